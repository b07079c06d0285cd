//! The user's GSettings at work in the real window: the app runs with its
//! compiled schema and the key-file backend under the test's own
//! XDG_CONFIG_HOME, so what it stores survives a restart and `gsettings`
//! (another process) sees and changes the same values.

use std::path::Path;

use serde_json::Value;
use support::podman::ProjectCleanup;

use crate::harness::{APP_ID, Desktop, nodes, terminal_shows};

fn font_scales(tree: &Value) -> Vec<f64> {
    tree["terminals"]
        .as_array()
        .map(|terminals| {
            terminals
                .iter()
                .filter_map(|t| t["font_scale"].as_f64())
                .collect()
        })
        .unwrap_or_default()
}

fn fonts(tree: &Value) -> Vec<String> {
    tree["terminals"]
        .as_array()
        .map(|terminals| {
            terminals
                .iter()
                .map(|t| t["font"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// Builds and runs PROJECT through the window and waits for its terminal.
fn run(desktop: &Desktop, project: &Path, marker: &str) {
    desktop.build(project);
    desktop.activate("run-project", Some(project)).expect("run");
    desktop.wait_for("the sandbox's output", |tree| terminal_shows(tree, marker));
}

#[test]
fn settings_reach_every_terminal_and_outlive_a_restart() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(1100, 720);
    desktop.gsettings(&["set", APP_ID, "default-cpus", "3"]);
    desktop.launch();

    // The size from the settings (the window's size without its shadow).
    let tree = desktop.wait_for("the restored size", |tree| {
        tree["window"]["default_width"] == 1100 && tree["window"]["default_height"] == 720
    });
    assert_eq!(tree["window"]["maximized"], false);

    // A folder without a definition starts with the default CPUs.
    let fresh_parent = tempfile::tempdir().expect("a temp dir");
    let fresh = fresh_parent.path().join("fresh-project");
    std::fs::create_dir(&fresh).expect("a project folder");
    desktop
        .activate("open-project", Some(&fresh))
        .expect("open");
    desktop.wait_for("the CPUs row showing 3", |tree| {
        nodes(tree, "AdwSpinRow")
            .iter()
            .any(|row| row["title"] == "CPUs" && row["value"] == 3.0)
    });

    // Two terminals, in two projects.
    let (_keep_a, a) = desktop.approved_project("zoom-a", &["sh", "-c", "echo ready-a; sleep 600"]);
    let (_keep_b, b) = desktop.approved_project("zoom-b", &["sh", "-c", "echo ready-b; sleep 600"]);
    let _cleanup_a = ProjectCleanup(a.clone());
    let _cleanup_b = ProjectCleanup(b.clone());
    run(&desktop, &a, "ready-a");
    run(&desktop, &b, "ready-b");
    assert!(
        !fresh.join(".agent-sandbox").exists(),
        "a folder only looked at got a definition"
    );
    let tree = desktop.wait_for("two terminals", |tree| font_scales(tree).len() == 2);
    assert!(font_scales(&tree).iter().all(|s| near(*s, 1.0)), "{tree}");

    // Ctrl+= in the terminal on screen (zoom-b's) zooms both.
    desktop.focus();
    desktop.key("ctrl+equal");
    let tree = desktop.wait_for("both terminals zoomed in", |tree| {
        let scales = font_scales(tree);
        scales.len() == 2 && scales.iter().all(|s| near(*s, 1.1))
    });
    assert_eq!(font_scales(&tree).len(), 2);
    let stored: f64 = desktop
        .gsettings(&["get", APP_ID, "terminal-zoom"])
        .parse()
        .expect("a number");
    assert!(near(stored, 1.1), "terminal-zoom is {stored}");

    // Ctrl+0 goes back to the default size, for both; Ctrl+= again for the restart.
    desktop.key("ctrl+0");
    desktop.wait_for("the default zoom", |tree| {
        let scales = font_scales(tree);
        scales.len() == 2 && scales.iter().all(|s| near(*s, 1.0))
    });
    assert_eq!(desktop.gsettings(&["get", APP_ID, "terminal-zoom"]), "1.0");
    desktop.key("ctrl+equal");
    desktop.wait_for("both zoomed in again", |tree| {
        font_scales(tree).iter().all(|s| near(*s, 1.1))
    });

    // A font set from outside reaches the open terminals.
    desktop.gsettings(&["set", APP_ID, "terminal-font", "Monospace 15"]);
    desktop.wait_for("both terminals in Monospace 15", |tree| {
        let fonts = fonts(tree);
        fonts.len() == 2 && fonts.iter().all(|f| f == "Monospace 15")
    });

    // A size the window is given is the size it comes back with.
    let size = |tree: &Value| {
        (
            tree["window"]["default_width"].as_i64().unwrap_or(0),
            tree["window"]["default_height"].as_i64().unwrap_or(0),
        )
    };
    desktop.display.xdotool(&[
        "search",
        "--onlyvisible",
        "--name",
        "Paddock|zoom",
        "windowsize",
        "1200",
        "760",
    ]);
    let tree = desktop.wait_for("a larger window", |tree| {
        size(tree).0 > 1100 && size(tree).1 > 720
    });
    let (width, height) = size(&tree);
    desktop.quit();
    assert_eq!(
        desktop.gsettings(&["get", APP_ID, "window-width"]),
        width.to_string()
    );
    assert_eq!(
        desktop.gsettings(&["get", APP_ID, "window-height"]),
        height.to_string()
    );

    // After a restart: the size, and the zoom and font of a reattached terminal.
    desktop.launch();
    desktop.wait_for("the size of the last session", |tree| {
        size(tree) == (width, height)
    });
    desktop.activate("run-project", Some(&a)).expect("reattach");
    let tree = desktop.wait_for("a reattached terminal", |tree| {
        !font_scales(tree).is_empty()
    });
    assert!(
        font_scales(&tree).iter().all(|s| near(*s, 1.1)),
        "the zoom did not survive the restart: {tree}"
    );
    assert!(
        fonts(&tree).iter().all(|f| f == "Monospace 15"),
        "the font did not survive the restart: {tree}"
    );

    desktop.quit();
}
