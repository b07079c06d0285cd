//! The screenshot tour: every page of the real window, driven through real
//! podman, in four variants (light, dark, 360 px, German), written as
//! `<page>-<variant>.png` into the screenshot folder. Ignored in the suite:
//! `build-aux/screenshots` runs it on a podman store of its own (so that no
//! other test's sandbox shows up in the sidebar) and puts the images into
//! data/screenshots/. The variants it takes: PADDOCK_SCREENSHOT_VARIANTS
//! (comma-separated names), all when unset.
//!
//! What a variant cannot show fails it: every wait below looks at widget
//! types, project and host names and terminal text, never at the
//! window's translated words, so the German tour waits for the same things.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use engine::OUTER_NETWORK;
use serde_json::Value;
use support::po::translations;
use support::podman::ProjectCleanup;
use support::sites::{Site, build_gateway};

use crate::harness::{
    self, Desktop, nodes, outside_window, shows, terminal_shows, texts, window_size,
};

struct Variant {
    name: &'static str,
    size: (u32, u32),
    env: &'static [(&'static str, &'static str)],
}

const VARIANTS: &[Variant] = &[
    Variant {
        name: "light",
        size: (1280, 800),
        env: &[("ADW_DEBUG_COLOR_SCHEME", "prefer-light")],
    },
    Variant {
        name: "dark",
        size: (1280, 800),
        env: &[("ADW_DEBUG_COLOR_SCHEME", "prefer-dark")],
    },
    Variant {
        name: "narrow",
        size: (360, 720),
        env: &[("ADW_DEBUG_COLOR_SCHEME", "prefer-light")],
    },
    Variant {
        name: "german",
        size: (1280, 800),
        env: &[
            ("ADW_DEBUG_COLOR_SCHEME", "prefer-light"),
            ("LANGUAGE", "de"),
            ("LANG", "de_DE.UTF-8"),
            ("LC_ALL", "de_DE.UTF-8"),
        ],
    },
];

/// The demo sandbox's hosts: one on its allowlist, one it is refused.
const ALLOWED: &str = "registry.example.org";
const BLOCKED: &str = "telemetry.example.com";

/// The demo agent, `tools/demo-agent.sh` in the project: a shell that
/// edits the project as an agent would (`.envrc` is a file the host's own
/// tools run, so the Changes view flags it), tries both hosts a few times,
/// prints a banner and waits at a prompt.
fn demo_agent() -> String {
    format!(
        r#"echo 'export DATABASE_URL=postgres://localhost/web_app' > .envrc
printf '# web-app\n\nA small web shop. Run `make dev`, then open localhost:8080.\n' > README.md
mkdir -p src
printf 'pub fn cart_total(prices: &[u32]) -> u32 {{\n    prices.iter().sum()\n}}\n' > src/cart.rs
for i in 1 2 3; do
    wget -q -T 3 -O /dev/null http://{ALLOWED}/
    wget -q -T 3 -O /dev/null http://{BLOCKED}/
    sleep 1
done >/dev/null 2>&1 &
printf '\033[1;35m*\033[0m \033[1mDemo agent\033[0m, a shell standing in for Claude Code, Codex and the like\n\n'
printf '  Working in   %s\n  Network      {ALLOWED} allowed, everything else blocked\n\n' "$PWD"
printf '\033[2m  Ctrl+Shift+C copies, Ctrl+Shift+V pastes text or a screenshot.\033[0m\n\n'
export PS1='web-app $ '
exec sh -i
"#
    )
}

/// The project the tour is about: approved, allowlist network, two
/// variables, a few files.
fn web_app(desktop: &Desktop) -> (tempfile::TempDir, PathBuf) {
    let (keep, dir) = harness::project("web-app", &["sh", "tools/demo-agent.sh"]);
    let file = dir.join(".agent-sandbox/paddock.toml");
    let text = std::fs::read_to_string(&file).expect("the definition");
    let text = text
        .replace("network = \"offline\"\n", "")
        .replace("cpus = 1", "cpus = 2")
        .replace("memory_mib = 512", "memory_mib = 2048");
    std::fs::write(
        &file,
        format!(
            "{text}\n[network]\nmode = \"allowlist\"\nallow = [\"{ALLOWED}\"]\n\n[env]\nRUST_LOG = \"info\"\nPORT = \"8080\"\n"
        ),
    )
    .expect("write the definition");
    std::fs::create_dir_all(dir.join("tools")).expect("the tools folder");
    for (path, text) in [
        ("tools/demo-agent.sh", demo_agent()),
        ("README.md", "# web-app\n".to_owned()),
        ("Makefile", "dev:\n\tcargo run\n".to_owned()),
    ] {
        std::fs::write(dir.join(path), text).expect("a file of the project");
    }
    desktop.approve(&dir);
    (keep, dir)
}

fn rows_titled<'a>(tree: &'a Value, title: &str) -> Vec<&'a Value> {
    nodes(tree, "AdwActionRow")
        .into_iter()
        .filter(|row| row["title"].as_str() == Some(title))
        .collect()
}

/// Moves the pointer onto the middle of the window, so that it has the
/// keyboard (X focus follows the pointer here) whatever its size.
fn focus(desktop: &Desktop) {
    let (width, height) = window_size(&desktop.tree()).unwrap_or((360, 294));
    desktop.display.xdotool(&[
        "mousemove",
        &(width / 2).to_string(),
        &(height / 2).to_string(),
    ]);
}

/// What the shots show that needs a fix, for the report: widgets drawn
/// outside the window, and in German, words of ours still in English.
struct Notes {
    lines: Vec<String>,
    german: HashMap<String, String>,
}

/// One shot, with what [`Notes`] looks for noted. The pointer rests on the
/// header's top edge, where it raises no tooltip and the window keeps the
/// focus.
fn shot(desktop: &Desktop, page: &str, variant: &Variant, notes: &mut Notes) {
    let (width, _) = window_size(&desktop.tree()).unwrap_or((360, 294));
    desktop
        .display
        .xdotool(&["mousemove", &(width / 2).to_string(), "2"]);
    desktop.screenshot(&format!("{page}-{}", variant.name));
    let tree = desktop.tree();
    // The outermost one says how far; the ones inside it repeat it.
    let clipped = outside_window(&tree);
    if let Some(first) = clipped.first() {
        notes.lines.push(format!(
            "{page}-{}: {} widgets drawn outside the {:?} window, the outermost {first}",
            variant.name,
            clipped.len(),
            window_size(&tree).unwrap_or_default()
        ));
    }
    if variant.name == "german" {
        let mut english: Vec<String> = texts(&tree)
            .into_iter()
            .filter(|text| {
                notes
                    .german
                    .get(text)
                    .is_some_and(|de| de.is_empty() || de != text)
            })
            .collect();
        english.sort();
        english.dedup();
        if !english.is_empty() {
            notes
                .lines
                .push(format!("{page}-{}: in English: {english:?}", variant.name));
        }
    }
}

fn tour(variant: &Variant, notes: &mut Notes) {
    let mut desktop = Desktop::start();
    desktop.set_window_size(variant.size.0, variant.size.1);
    let localedir = desktop.home.path().join("locale");
    compile_german(&localedir);
    let mut env: Vec<(&str, &str)> = variant.env.to_vec();
    let localedir = localedir.display().to_string();
    env.push(("PADDOCK_LOCALEDIR", &localedir));
    desktop.launch_with(&env);

    // No projects yet.
    desktop.wait_for("the empty state", |tree| {
        !nodes(tree, "AdwStatusPage").is_empty() && nodes(tree, "AdwSpinRow").is_empty()
    });
    shot(&desktop, "empty", variant, notes);

    // A second project, cloned and never approved, stays idle.
    let (_keep_docs, docs) = harness::project("docs-site", &["sh", "-c", "mdbook serve"]);
    let (_keep_web, web) = web_app(&desktop);
    let _cleanup = (ProjectCleanup(web.clone()), ProjectCleanup(docs.clone()));
    desktop.activate("open-project", Some(&docs)).expect("open");
    desktop.wait_for("docs-site", |tree| shows(tree, "docs-site"));
    desktop.activate("open-project", Some(&web)).expect("open");
    desktop.wait_for("the Sandbox view", |tree| {
        shows(tree, "web-app") && nodes(tree, "AdwSpinRow").len() >= 2 && shows(tree, "RUST_LOG")
    });
    shot(&desktop, "sandbox", variant, notes);

    desktop
        .activate("build-project", Some(&web))
        .expect("build");
    desktop.view(1).expect("the Build view");
    desktop.wait_for_within("the built image", Duration::from_secs(300), |tree| {
        nodes(tree, "GtkProgressBar")
            .iter()
            .any(|bar| bar["fraction"].as_f64() == Some(1.0))
    });
    shot(&desktop, "build", variant, notes);

    desktop.activate("run-project", Some(&web)).expect("run");
    desktop.wait_for_within("the agent's prompt", Duration::from_secs(300), |tree| {
        terminal_shows(tree, "web-app $")
    });
    desktop.view(2).expect("the Terminal view");
    let (x, y) = desktop.terminal_centre();
    desktop
        .display
        .xdotool(&["mousemove", &x.to_string(), &y.to_string()]);
    desktop
        .display
        .xdotool(&["type", "--delay", "40", "ls -F\n"]);
    desktop.wait_for("the listing", |tree| terminal_shows(tree, "Makefile"));
    shot(&desktop, "terminal", variant, notes);

    desktop
        .activate("show-changes", Some(&web))
        .expect("show changes");
    let tree = desktop.wait_for("the changed files", |tree| {
        !rows_titled(tree, ".envrc").is_empty() && !rows_titled(tree, "src/cart.rs").is_empty()
    });
    // The row, not its arrow button: at 360 px the view is wider than the
    // window and the button is out of sight.
    let row = rows_titled(&tree, ".envrc")[0].clone();
    desktop.point_at(&row);
    desktop.display.xdotool(&["click", "1"]);
    desktop.wait_for("the diff of .envrc", |tree| {
        nodes(tree, "GtkTextView")
            .iter()
            .any(|view| view["text"].as_str().is_some_and(|t| t.contains("+export")))
    });
    shot(&desktop, "changes", variant, notes);

    desktop.view(4).expect("the Network view");
    desktop.wait_for_within("both hosts", Duration::from_secs(120), |tree| {
        !rows_titled(tree, &format!("{ALLOWED}:80")).is_empty()
            && !rows_titled(tree, &format!("{BLOCKED}:80")).is_empty()
    });
    shot(&desktop, "network", variant, notes);

    desktop
        .activate("build-project", Some(&docs))
        .expect("build docs-site");
    desktop.wait_for("the review dialog", |tree| {
        !nodes(tree, "AdwAlertDialog").is_empty() && shows(tree, "docs-site")
    });
    shot(&desktop, "review", variant, notes);
    focus(&desktop);
    desktop.key("Escape");
    desktop.wait_for("the review to close", |tree| {
        nodes(tree, "AdwAlertDialog").is_empty()
    });

    desktop
        .activate("system-check", None)
        .expect("system check");
    desktop.wait_for("every check", |tree| {
        // "KVM" when /dev/kvm works, "/dev/kvm" in what is wrong with it.
        (shows(tree, "KVM") || shows(tree, "/dev/kvm"))
            && shows(tree, "cgroups")
            && shows(tree, "crun")
    });
    shot(&desktop, "system-check", variant, notes);

    // The Preferences dialog, once the app has one.
    if desktop.has_action("preferences") {
        desktop.activate("preferences", None).expect("preferences");
        desktop.wait_for("the Preferences dialog", |tree| {
            !nodes(tree, "AdwPreferencesDialog").is_empty()
        });
        shot(&desktop, "preferences", variant, notes);
        focus(&desktop);
        desktop.key("Escape");
        desktop.wait_for("the dialog to close", |tree| {
            nodes(tree, "AdwPreferencesDialog").is_empty()
        });
    } else {
        notes.lines.push(format!(
            "{}: no app.preferences action: no Preferences shot",
            variant.name
        ));
    }

    desktop.activate("shortcuts", None).expect("shortcuts");
    desktop.wait_for("the shortcuts window", |tree| {
        nodes(tree, "GtkShortcutsShortcut").len() > 5
    });
    // Its own size: it opens at the same corner as the main window.
    desktop.screenshot_sized(&format!("shortcuts-{}", variant.name), |tree| {
        nodes(tree, "GtkShortcutsWindow")
            .first()
            .and_then(|window| window_size(window))
    });
    desktop.quit();
}

/// po/de.po compiled where PADDOCK_LOCALEDIR points the app.
fn compile_german(localedir: &Path) {
    let messages = localedir.join("de/LC_MESSAGES");
    std::fs::create_dir_all(&messages).expect("the locale folder");
    let status = std::process::Command::new("msgfmt")
        .arg("-o")
        .arg(messages.join("paddock.mo"))
        .arg(support::source("po/de.po"))
        .status()
        .expect("msgfmt (gettext)");
    assert!(status.success(), "po/de.po does not compile");
}

#[test]
#[ignore = "takes minutes and writes the screenshots: build-aux/screenshots runs it"]
fn screenshot_tour() {
    let wanted = std::env::var("PADDOCK_SCREENSHOT_VARIANTS").unwrap_or_default();
    let variants: Vec<&Variant> = VARIANTS
        .iter()
        .filter(|v| wanted.is_empty() || wanted.split(',').any(|w| w.trim() == v.name))
        .collect();
    assert!(
        !variants.is_empty(),
        "PADDOCK_SCREENSHOT_VARIANTS={wanted:?} names none of light, dark, narrow, german"
    );
    build_gateway();
    let _allowed = Site::named(OUTER_NETWORK, ALLOWED, "registry");
    let _blocked = Site::named(OUTER_NETWORK, BLOCKED, "telemetry");
    let mut notes = Notes {
        lines: Vec::new(),
        german: translations(&support::source("po/de.po")),
    };
    for variant in variants {
        tour(variant, &mut notes);
    }
    let dir = harness::screenshot_dir();
    std::fs::write(dir.join("notes.txt"), notes.lines.join("\n") + "\n").unwrap();
}
