//! A keyboard-only walk through the real window on real rootless podman:
//! every user action is a key press (xdotool), never a click or an exported
//! action. Two projects added through GTK's own chooser, one built past the
//! review (whose default is Cancel, so Enter alone approves nothing), run,
//! typed into, left through the view keys, switched with Ctrl+Page Up/Down
//! and stopped.
// Helpers of tests, which fail by panicking.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use support::podman::{ProjectCleanup, podman, runs_for};

use crate::harness::{self, Desktop, nodes, shown_view, shows, terminal_shows};

/// Prints a marker, then echoes every line it reads with a prefix: the
/// typed bytes come back through the sandbox, not the terminal's own echo.
const ECHO_LINES: &str = "echo kbd-ready; while read -r line; do echo \"got:$line\"; done";

fn review_shown(tree: &Value) -> bool {
    shows(tree, "Review the Sandbox Definition")
}

fn chooser_open(tree: &Value) -> bool {
    !nodes(tree, "GtkFileChooserDialog").is_empty()
}

/// The header's title: the current project's name.
fn title(tree: &Value) -> Option<String> {
    nodes(tree, "AdwWindowTitle")
        .last()
        .and_then(|node| node["title"].as_str().map(str::to_owned))
}

/// The title of the sidebar row that is selected.
fn selected(tree: &Value) -> Option<String> {
    nodes(tree, "AdwActionRow")
        .into_iter()
        .find(|row| row["selected"] == Value::Bool(true))
        .and_then(|row| row["title"].as_str().map(str::to_owned))
}

fn sidebar_lists(tree: &Value, name: &str) -> bool {
    nodes(tree, "AdwActionRow")
        .iter()
        .any(|row| row["title"].as_str() == Some(name))
}

/// What the widget that has the keyboard focus shows (a button: its
/// label), or its type when it shows nothing.
fn focused(tree: &Value) -> Option<String> {
    fn walk(node: &Value) -> Option<&Value> {
        if node["focused"] == Value::Bool(true) {
            return Some(node);
        }
        node["children"].as_array()?.iter().find_map(walk)
    }
    walk(tree).map(|node| {
        nodes(node, "GtkLabel")
            .first()
            .and_then(|label| label["text"].as_str())
            .or(node["type"].as_str())
            .unwrap_or_default()
            .to_owned()
    })
}

/// What the focused text field holds.
fn focused_entry(tree: &Value) -> Option<String> {
    nodes(tree, "GtkText")
        .into_iter()
        .find(|text| text["focused"] == Value::Bool(true))
        .and_then(|text| text["entry_text"].as_str().map(str::to_owned))
}

fn current(tree: &Value, name: &str) -> bool {
    title(tree).as_deref() == Some(name) && selected(tree).as_deref() == Some(name)
}

/// Ctrl+Shift+O, the folder's path typed into the chooser's location
/// entry (Ctrl+L), Enter to add it.
fn add_by_keyboard(desktop: &Desktop, folder: &Path) {
    let name = folder.file_name().unwrap().to_string_lossy().into_owned();
    desktop.key("ctrl+shift+o");
    desktop.wait_for("the chooser", chooser_open);
    desktop.key("ctrl+l");
    desktop.wait_for("the chooser's location entry", |tree| {
        focused_entry(tree).is_some()
    });
    let path = folder.display().to_string();
    // GTK completes the location inline, with a selected tail that what is
    // typed next goes in front of (here a stale "p/": /tmp's common
    // prefix): Delete takes the tail away, as a user would. A completion
    // of a folder still loading can land later, in the middle of what is
    // typed: then, as a user would, select it all and type it again (the
    // folders are loaded by then).
    let mut entry = None;
    for _ in 0..3 {
        desktop.key("ctrl+a");
        desktop.type_text(&path);
        desktop.key("Delete");
        entry = focused_entry(&desktop.settled());
        if entry.as_deref().map(|text| text.trim_end_matches('/')) == Some(path.as_str()) {
            break;
        }
    }
    assert_eq!(
        entry.as_deref().map(|text| text.trim_end_matches('/')),
        Some(path.as_str()),
        "what the chooser's location reads"
    );
    desktop.key("Return");
    desktop.wait_for(&format!("{name} added"), |tree| {
        !chooser_open(tree) && sidebar_lists(tree, &name) && current(tree, &name)
    });
}

#[test]
fn a_keyboard_only_walk_adds_builds_runs_and_switches_projects_and_views() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(1280, 800);
    // GTK's own chooser, as on a desktop without a portal for it.
    desktop.launch_with(&[("GDK_DEBUG", "no-portals")]);
    // Written elsewhere (a clone): never approved, so Build asks first.
    let (_keep_a, a) = harness::project("kbd-walk-a", &["sh", "-c", ECHO_LINES]);
    let (_keep_b, b) = harness::project("kbd-walk-b", &["sh"]);
    let _cleanup_a = ProjectCleanup(a.clone());
    let _cleanup_b = ProjectCleanup(b.clone());
    let tree = desktop.wait_for("the sidebar", |tree| shows(tree, "Projects"));
    assert!(!sidebar_lists(&tree, "kbd-walk-a") && !sidebar_lists(&tree, "kbd-walk-b"));
    desktop.focus();

    // Two projects added; the newer one is current and first in the list.
    add_by_keyboard(&desktop, &b);
    add_by_keyboard(&desktop, &a);
    desktop.screenshot("kbd-added");

    // Build: the review first. Enter alone is Cancel and builds nothing.
    desktop.key("ctrl+shift+b");
    // Cancel has the focus (the dialog gives it once it is shown).
    desktop.wait_for("the review dialog, Cancel focused", |tree| {
        review_shown(tree) && focused(tree).as_deref() == Some("Cancel")
    });
    desktop.key("Return");
    desktop.wait_for("the review cancelled", |tree| !review_shown(tree));
    let tree = desktop.settled();
    assert!(
        !shows(&tree, "Building") && !shows(&tree, "STEP 1/"),
        "Enter built"
    );
    let label = format!("label=io.github.paddockapp.project={}", a.display());
    let (_, images) = podman(&["images", "-q", "--filter", &label]);
    assert_eq!(images.trim(), "", "Enter built an image");
    // Build again; Tab to Approve and Build, Enter.
    desktop.key("ctrl+shift+b");
    desktop.wait_for("the review dialog again", review_shown);
    for _ in 0..8 {
        if focused(&desktop.settled()).is_some_and(|text| text.contains("Approve")) {
            break;
        }
        desktop.key("Tab");
    }
    let tree = desktop.settled();
    assert_eq!(
        focused(&tree).as_deref(),
        Some("Approve and Build"),
        "Tab reaches Approve"
    );
    desktop.screenshot("kbd-review-approve-focused");
    desktop.key("Return");
    let tree = desktop.wait_for_within("the build to finish", Duration::from_secs(300), |tree| {
        !review_shown(tree) && (shows(tree, "Built") || shows(tree, "Build failed"))
    });
    assert!(!shows(&tree, "Build failed"), "the build failed");
    assert_eq!(shown_view(&tree).as_deref(), Some("build"));

    // Run: the terminal shows the sandbox, which echoes what is typed.
    desktop.key("ctrl+shift+r");
    // What is typed goes to the terminal once it has the focus, which
    // follows the view's switch (a key before then is lost, as it would be
    // for a user typing that fast).
    desktop.wait_for("the sandbox in the focused terminal", |tree| {
        terminal_shows(tree, "kbd-ready")
            && nodes(tree, "VteTerminal")
                .iter()
                .any(|terminal| terminal["focused"] == Value::Bool(true))
    });
    desktop.type_text("typed by keys");
    desktop.key("Return");
    desktop.wait_for("the sandbox's echo", |tree| {
        terminal_shows(tree, "got:typed by keys")
    });
    desktop.screenshot("kbd-running");

    // Out of the terminal and through every view.
    for (key, view) in [
        ("alt+1", "settings"),
        ("alt+2", "build"),
        ("alt+3", "terminal"),
        ("alt+4", "changes"),
        ("alt+5", "network"),
        ("alt+1", "settings"),
    ] {
        desktop.key(key);
        desktop.wait_for(&format!("the {view} view after {key}"), |tree| {
            shown_view(tree).as_deref() == Some(view)
        });
    }

    // Between projects: the sidebar lists the newest first.
    desktop.key("ctrl+Page_Down");
    desktop.wait_for("the next project", |tree| current(tree, "kbd-walk-b"));
    desktop.key("ctrl+Page_Up");
    desktop.wait_for("the previous project", |tree| current(tree, "kbd-walk-a"));

    // Stop.
    desktop.key("ctrl+shift+s");
    desktop.wait_for("the sandbox stopped", |tree| {
        current(tree, "kbd-walk-a") && shows(tree, "Stopped")
    });
    assert!(!runs_for(&a), "the sandbox still runs");
    desktop.screenshot("kbd-stopped");
    desktop.quit();
}
