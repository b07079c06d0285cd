//! The German translation: complete, and shown by the real window.
//!
//! The app runs under its own Xvfb and session bus with LANGUAGE=de; what the
//! window shows is read back through the accessibility bus (AT-SPI), the way a
//! screen reader sees it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::bus::PrivateBus;
use support::display::VirtualDisplay;
use support::paddock::{TestHome, binary};
use support::po::translations;
use support::process::Reaped;

/// `command` speaking German, from the catalogue compiled into `localedir`.
fn speaking_german<'a>(command: &'a mut Command, localedir: &Path) -> &'a mut Command {
    command
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANGUAGE", "de")
        .env("LANG", "de_DE.UTF-8")
        .env("PADDOCK_LOCALEDIR", localedir)
}

fn compile_catalogue(dir: &Path) -> PathBuf {
    let messages = dir.join("de/LC_MESSAGES");
    std::fs::create_dir_all(&messages).expect("create locale dir");
    let status = Command::new("msgfmt")
        .arg("--check")
        .arg("-o")
        .arg(messages.join("paddock.mo"))
        .arg(support::source("po/de.po"))
        .status()
        .expect("run msgfmt");
    assert!(status.success(), "po/de.po does not compile");
    dir.to_path_buf()
}

#[test]
fn german_translation_is_complete() {
    let out = Command::new("msgfmt")
        .args(["--check", "--statistics", "-o", "/dev/null"])
        .arg(support::source("po/de.po"))
        .output()
        .expect("run msgfmt");
    let stats = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "po/de.po: {stats}");
    assert!(
        !stats.contains("fuzzy") && !stats.contains("untranslated"),
        "po/de.po has open messages: {stats}; translate them (build-aux/update-po lists them)"
    );
    // Every message of the template is in the translation.
    let template = translations(&support::source("po/paddock.pot"));
    let german = translations(&support::source("po/de.po"));
    let missing: Vec<_> = template
        .keys()
        .filter(|id| !german.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "not in po/de.po: {missing:?}; run build-aux/update-po"
    );
}

#[test]
fn window_shows_german_with_german_locale() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let localedir = compile_catalogue(tmp.path());
    let german = translations(&support::source("po/de.po"));

    let display = VirtualDisplay::start(1024, 768);
    // The system's session configuration activates the accessibility bus.
    let bus = PrivateBus::session();

    let _app = Reaped(
        Command::new(binary())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", tmp.path())
            .env(
                "XDG_RUNTIME_DIR",
                std::env::var_os("XDG_RUNTIME_DIR").unwrap_or_else(|| tmp.path().into()),
            )
            .env("DISPLAY", display.name())
            .env("DBUS_SESSION_BUS_ADDRESS", bus.address())
            .env("GSK_RENDERER", "cairo")
            .env("GSETTINGS_BACKEND", "memory")
            .env("LANGUAGE", "de")
            .env("LANG", "de_DE.UTF-8")
            .env("PADDOCK_LOCALEDIR", &localedir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start paddock"),
    );

    let out = Command::new("python3")
        .arg(support::source("tests/packaging/atspi.py"))
        .args(["paddock", "30"])
        .env("DBUS_SESSION_BUS_ADDRESS", bus.address())
        .env_remove("NO_AT_BRIDGE")
        .output()
        .expect("run the AT-SPI reader");
    assert!(
        out.status.success(),
        "reading the window over AT-SPI failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: Vec<String> =
        serde_json::from_slice(&out.stdout).expect("JSON from the AT-SPI reader");

    // Strings of ours that the window shows: their German form, never the English one.
    let translated: Vec<&String> = shown
        .iter()
        .filter(|text| german.values().any(|de| de == *text) && !german.contains_key(*text))
        .collect();
    let english: Vec<&String> = shown
        .iter()
        .filter(|text| german.get(*text).is_some_and(|de| de != *text))
        .collect();
    assert!(
        english.is_empty(),
        "shown in English despite a German translation: {english:?}"
    );
    assert!(
        translated.len() >= 2,
        "expected the window to show Paddock's German strings; it shows {shown:?}. \
         If the window's strings changed, run build-aux/update-po and translate what it reports."
    );
}

/// The CLI's own messages come out in German.
#[test]
fn cli_speaks_german_with_german_locale() {
    let home = TestHome::new();
    let localedir = compile_catalogue(&home.path().join("locale"));
    let german = translations(&support::source("po/de.po"));
    let project = home.path().join("project");
    std::fs::create_dir_all(&project).expect("project dir");

    let out = speaking_german(home.paddock().arg("init").arg(&project), &localedir)
        .output()
        .expect("run paddock init");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "paddock init failed: {text}");

    // Whole messages only (no placeholders), long enough not to match by chance.
    let whole = |s: &str| !s.contains('{') && s.chars().count() > 12;
    let in_german: Vec<&String> = german
        .iter()
        .filter(|(id, de)| id != de && whole(de) && text.contains(de.as_str()))
        .map(|(_, de)| de)
        .collect();
    let in_english: Vec<&String> = german
        .iter()
        .filter(|(id, de)| id != de && whole(id) && text.contains(id.as_str()))
        .map(|(id, _)| id)
        .collect();
    assert!(
        in_english.is_empty(),
        "in English despite a translation: {in_english:?}\n{text}"
    );
    assert!(!in_german.is_empty(), "no German message in:\n{text}");
}

/// `paddock --help` and a subcommand's help, clap's headings included, come
/// out in German; none of the English texts that have a translation is left.
#[test]
fn cli_help_is_german_with_german_locale() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let localedir = compile_catalogue(tmp.path());
    let german = translations(&support::source("po/de.po"));
    let help = |args: &[&str]| {
        let out = speaking_german(Command::new(binary()).args(args), &localedir)
            .output()
            .expect("run paddock --help");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "paddock {args:?} failed: {text}");
        text
    };

    for args in [
        &["--help"][..],
        &["init", "--help"],
        &["help", "rm"],
        &["secret", "set", "--help"],
    ] {
        let text = help(args);
        let in_english: Vec<&String> = german
            .keys()
            // Words alone ("container") are also option values, which stay English.
            .filter(|id| id.contains(' ') && id.chars().count() > 8 && text.contains(id.as_str()))
            .filter(|id| german.get(*id).is_some_and(|de| de != *id))
            .collect();
        assert!(
            in_english.is_empty(),
            "paddock {args:?} shows English despite a translation: {in_english:?}\n{text}"
        );
        for heading in ["Aufruf:", "Optionen:"] {
            assert!(
                text.contains(heading),
                "no {heading} in paddock {args:?}:\n{text}"
            );
        }
    }
    let top = help(&["--help"]);
    for expected in [
        "KI-Programmieragenten in einer MicroVM pro Projekt ausführen.",
        "Befehle:",
        "Eine laufende Sandbox anhalten",
        "API-Schlüssel für die Agenten speichern",
        "Version ausgeben",
    ] {
        assert!(
            top.contains(expected),
            "no {expected:?} in paddock --help:\n{top}"
        );
    }
    let init = help(&["init", "--help"]);
    for expected in [
        "Argumente:",
        "Virtuelle Prozessoren der MicroVM",
        "Hilfe ausgeben",
    ] {
        assert!(
            init.contains(expected),
            "no {expected:?} in paddock init --help:\n{init}"
        );
    }
}
