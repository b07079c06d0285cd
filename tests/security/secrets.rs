//! API keys with the real things: GNOME Keyring's Secret Service on a
//! private session bus (a fresh login keyring, unlocked with a test
//! password), the `paddock` binary, and the real podman service. A key
//! stored with `paddock secret set` reaches the sandbox's environment and
//! nothing else: not `podman inspect`, not the image or its history, not a
//! file of the project or of Paddock's data, not the CLI's own output.

// Its helpers, like its tests, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::bus::PrivateBus;
use support::keyring::TestKeyring;
use support::paddock::TestProject;
use support::podman::{oci_config, podman, podman_files_holding, project_filter};
use support::process::run_with_input;
use support::pty::PtyChild;

/// A variable a user preset for the shell agent takes its key from.
const KEY: &str = "SANDBOX_TEST_API_KEY";

struct Setup {
    project: TestProject,
    bus: PrivateBus,
    _keyring: TestKeyring,
}

impl Setup {
    fn new(test: &str) -> Setup {
        let project = TestProject::init(test, &["--container"]);
        let bus = PrivateBus::start();
        let keyring = TestKeyring::start(&bus, &project.home().path().join("keyring"));
        // The shell preset, taking its key from KEY.
        let agents = project.home().config().join("paddock/agents");
        std::fs::create_dir_all(&agents).unwrap();
        std::fs::write(
            agents.join("shell.toml"),
            format!("name = \"Shell\"\ncommand = []\nsecrets = [\"{KEY}\"]\n"),
        )
        .unwrap();
        Setup {
            project,
            bus,
            _keyring: keyring,
        }
    }

    /// `paddock` in the project's home, with the keyring on its bus.
    fn command(&self) -> Command {
        let mut paddock = self.project.paddock();
        paddock.env("DBUS_SESSION_BUS_ADDRESS", self.bus.address());
        paddock
    }

    fn paddock(&self, args: &[&str], stdin: &[u8]) -> Output {
        run_with_input(self.command().args(args), stdin)
    }

    fn in_pty(&self, args: &[&str]) -> PtyChild {
        let mut paddock = self.command();
        paddock.args(args);
        PtyChild::spawn(paddock, 80, 24)
    }

    fn run(&self, script: &str) -> Output {
        self.paddock(&["run", self.project.path(), "--", "sh", "-c", script], b"")
    }

    fn sandbox(&self) -> String {
        let filter = project_filter(&self.project.root);
        let (ok, out) = podman(&["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"]);
        assert!(ok, "{out}");
        out.trim().to_owned()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file under `dir`, read as bytes.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            found.extend(files(&path));
        } else if kind.is_file()
            && let Ok(bytes) = std::fs::read(&path)
        {
            found.push((path, bytes));
        }
    }
    found
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// The agent's view of the key, spelled out with a dash after each
/// character: proof that it arrived which neither the command nor podman's
/// log of its output holds as the key itself.
const SPELL_KEY: &str =
    "echo \"inside:$(printf '%s' \"$SANDBOX_TEST_API_KEY\" | sed 's/./&-/g'):\"";

fn spelled(value: &str) -> String {
    let dashed: String = value.chars().flat_map(|c| [c, '-']).collect();
    format!("inside:{dashed}:")
}

/// No file of podman's (storage, containers' folders and their
/// `config.json`, the secret store, runtime state) holds `value`.
fn assert_nothing_at_rest(value: &str, when: &str) {
    let holding = podman_files_holding(value.as_bytes());
    assert!(holding.is_empty(), "{when}: the key is in {holding:?}");
}

#[test]
fn a_stored_key_reaches_the_sandbox_and_nothing_else() {
    let setup = Setup::new("secret");
    let value = format!(
        "sk-test-{}-{:?}",
        std::process::id(),
        std::time::Instant::now()
    );

    let stored = setup.paddock(&["secret", "set", KEY], format!("{value}\n").as_bytes());
    assert!(stored.status.success(), "{}", text(&stored.stderr));
    let listed = setup.paddock(&["secret", "ls"], b"");
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    assert_eq!(text(&listed.stdout).trim(), KEY);

    let ran = setup.run(SPELL_KEY);
    let stdout = text(&ran.stdout);
    let stderr = text(&ran.stderr);
    assert_eq!(ran.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&spelled(&value)),
        "the key did not arrive (the trailing newline is not part of it): {stdout}"
    );
    assert!(stderr.contains(&format!("passing {KEY}")), "{stderr}");

    // Nowhere else: the CLI's own output and messages...
    for output in [&stored, &listed] {
        assert!(!contains(&output.stdout, &value) && !contains(&output.stderr, &value));
    }
    assert!(!stderr.contains(&value), "{stderr}");
    // ...podman's view of the container, its image and the image's history...
    let sandbox = setup.sandbox();
    let (ok, inspect) = podman(&["inspect", &sandbox]);
    assert!(ok, "{inspect}");
    assert!(
        inspect.contains(KEY),
        "the secret is not even named: {inspect}"
    );
    assert!(!inspect.contains(&value), "podman inspect shows the key");
    let (_, image) = podman(&["inspect", "--format", "{{.ImageName}}", &sandbox]);
    let image = image.trim();
    for args in [
        vec!["image", "inspect", image],
        vec!["history", "--no-trunc", image],
    ] {
        let (ok, out) = podman(&args);
        assert!(ok, "{out}");
        assert!(!out.contains(&value), "podman {args:?} shows the key");
    }
    // ...the project, Paddock's data (approvals) and the presets...
    for dir in [
        &setup.project.root,
        &setup.project.home().data(),
        &setup.project.home().config(),
    ] {
        for (path, bytes) in files(dir) {
            assert!(
                !contains(&bytes, &value),
                "{} holds the key",
                path.display()
            );
        }
    }
    // ...and, the sandbox having stopped, no file of podman's: not its
    // secret store, not the container's folder, not its config.json.
    let config = oci_config(&sandbox);
    let config_text = std::fs::read_to_string(&config).unwrap();
    assert!(
        config_text.contains("PADDOCK_ISOLATION"),
        "{} is not the sandbox's config: {config_text}",
        config.display()
    );
    assert!(!config_text.contains(&value), "{config_text}");
    assert_nothing_at_rest(&value, "after the run");
    let (_, secrets) = podman(&["secret", "ls", "--format", "{{.Name}}"]);
    assert!(!secrets.contains(&format!("{sandbox}.")), "{secrets}");

    // A key stored for this project only wins over the one for every project.
    let local = format!("{value}-local");
    let stored = setup.paddock(
        &["secret", "set", KEY, "--project", setup.project.path()],
        local.as_bytes(),
    );
    assert!(stored.status.success(), "{}", text(&stored.stderr));
    let ran = setup.run(SPELL_KEY);
    assert!(
        text(&ran.stdout).contains(&spelled(&local)),
        "{}",
        text(&ran.stdout)
    );
    assert_nothing_at_rest(&local, "after the second run");

    let removed = setup.paddock(&["rm", &sandbox], b"");
    assert!(removed.status.success(), "{}", text(&removed.stderr));
    let (_, secrets) = podman(&["secret", "ls", "--format", "{{.Name}}"]);
    assert!(!secrets.contains(&format!("{sandbox}.")), "{secrets}");
}

#[test]
fn a_running_sandbox_keeps_its_key_nowhere_at_rest_and_gets_it_again_after_stop_and_start() {
    let setup = Setup::new("secret-rest");
    let value = format!(
        "sk-rest-{}-{:?}",
        std::process::id(),
        std::time::Instant::now()
    );
    let stored = setup.paddock(&["secret", "set", KEY], value.as_bytes());
    assert!(stored.status.success(), "{}", text(&stored.stderr));
    let script = format!("{SPELL_KEY}; trap 'exit 0' TERM; sleep 300 & wait");

    for round in ["first start", "start after stop"] {
        let started = setup.paddock(
            &[
                "run",
                "--detach",
                setup.project.path(),
                "--",
                "sh",
                "-c",
                &script,
            ],
            b"",
        );
        assert!(
            started.status.success(),
            "{round}: {}",
            text(&started.stderr)
        );
        let sandbox = setup.sandbox();
        support::wait::wait_until(
            &format!("{round}: the key in the sandbox"),
            std::time::Duration::from_secs(30),
            || podman(&["logs", &sandbox]).1.contains(&spelled(&value)),
        );
        let (_, state) = podman(&["inspect", "--format", "{{.State.Status}}", &sandbox]);
        assert_eq!(state.trim(), "running", "{round}");
        // Running, and already nowhere at rest: podman's secret store and its
        // copy in the container's folder are gone once the entrypoint read it.
        assert_nothing_at_rest(&value, round);
        let (_, secrets) = podman(&["secret", "ls", "--format", "{{.Name}}"]);
        assert!(
            !secrets.contains(&format!("{sandbox}.")),
            "{round}: {secrets}"
        );

        let stopped = setup.paddock(&["stop", &sandbox], b"");
        assert!(
            stopped.status.success(),
            "{round}: {}",
            text(&stopped.stderr)
        );
        assert!(oci_config(&sandbox).is_file(), "{round}");
        assert_nothing_at_rest(&value, "after stop");
    }
}

#[test]
fn a_missing_key_is_named_with_the_command_that_stores_it() {
    let setup = Setup::new("secret-missing");
    let ran = setup.run(&format!("echo \"inside:${KEY}:\""));
    let stdout = text(&ran.stdout);
    let stderr = text(&ran.stderr);
    assert_eq!(
        ran.status.code(),
        Some(0),
        "a missing key stops nothing: {stdout}{stderr}"
    );
    assert!(stdout.contains("inside::"), "{stdout}");
    assert!(
        stderr.contains(&format!("No API key for Shell is stored ({KEY})")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("paddock secret set {KEY}")),
        "{stderr}"
    );

    // Stored and removed again, it is missing again; removing twice says so.
    let stored = setup.paddock(&["secret", "set", KEY], b"sk-short-lived");
    assert!(stored.status.success(), "{}", text(&stored.stderr));
    let removed = setup.paddock(&["secret", "rm", KEY], b"");
    assert!(removed.status.success(), "{}", text(&removed.stderr));
    let again = setup.paddock(&["secret", "rm", KEY], b"");
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("is not stored"),
        "{}",
        text(&again.stderr)
    );
    let listed = setup.paddock(&["secret", "ls"], b"");
    assert!(
        text(&listed.stdout).contains("No API keys are stored"),
        "{}",
        text(&listed.stdout)
    );
}

#[test]
fn bad_names_and_empty_values_are_refused_with_a_reason() {
    let setup = Setup::new("secret-bad");
    let bad = setup.paddock(&["secret", "set", "NOT-A-NAME"], b"value");
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("cannot be a secret's variable"),
        "{}",
        text(&bad.stderr)
    );
    let empty = setup.paddock(&["secret", "set", KEY], b"\n");
    assert!(!empty.status.success());
    assert!(
        text(&empty.stderr).contains("No value for"),
        "{}",
        text(&empty.stderr)
    );
}

#[test]
fn a_key_typed_at_a_terminal_is_not_shown() {
    let setup = Setup::new("secret-tty");
    let mut child = setup.in_pty(&["secret", "set", KEY]);
    assert!(
        child.wait_for("(not shown)", std::time::Duration::from_secs(20)),
        "{}",
        child.screen()
    );
    child.type_bytes(b"typed-secret-value\r");
    let (code, screen) = child.finish(std::time::Duration::from_secs(20));
    assert_eq!(code, Some(0), "{screen}");
    assert!(!screen.contains("typed-secret-value"), "{screen}");
    assert!(screen.contains(&format!("Stored {KEY}")), "{screen}");
    let ran = setup.run(&format!("echo \"inside:${KEY}:\""));
    assert!(
        text(&ran.stdout).contains("inside:typed-secret-value:"),
        "{}",
        text(&ran.stdout)
    );
}
