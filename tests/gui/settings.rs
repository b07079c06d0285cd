//! The user's GSettings at work in the real window: the app runs with its
//! compiled schema and the key-file backend under the test's own
//! XDG_CONFIG_HOME, so what it stores survives a restart and `gsettings`
//! (another process) sees and changes the same values.

use std::path::Path;

use std::time::Duration;

use serde_json::Value;
use support::podman::ProjectCleanup;
use support::wait::wait_until;

use crate::harness::{
    APP_ID, Desktop, nodes, outside_window, preferences, shows, terminal_shows, texts, titled,
};

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

/// Preferences, opened with Ctrl+comma: the memory typed there is what the
/// next project gets, made in the window or by `paddock init`; the font
/// chosen there reaches a terminal that is open, at once.
#[test]
fn preferences_set_what_new_projects_get_and_the_terminal_font() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(1100, 760);
    desktop.launch();
    let (_keep, project) =
        desktop.approved_project("prefs-font", &["sh", "-c", "echo ready-font; sleep 600"]);
    let _cleanup = ProjectCleanup(project.clone());
    run(&desktop, &project, "ready-font");
    let system_font = fonts(&desktop.tree());
    assert_eq!(system_font.len(), 1, "one terminal");

    let tree = desktop.open_preferences();
    // The key again, or the menu item, does not stack a second dialog.
    desktop.key("ctrl+comma");
    desktop
        .activate("preferences", None)
        .expect("app.preferences");
    let tree = {
        drop(tree);
        desktop.settled()
    };
    assert_eq!(nodes(&tree, "AdwPreferencesDialog").len(), 1, "one dialog");
    let dialog = preferences(&tree);
    let memory = titled(&dialog, "AdwSpinRow", "Memory").expect("a Memory row");
    assert_eq!(memory["value"], 4.0, "the schema's 4096 MiB: {memory}");
    assert_eq!(memory["subtitle"], "GiB", "the unit");
    assert!(titled(&dialog, "AdwSpinRow", "CPUs").is_some());

    // The wheel over the row scrolls the page and changes nothing.
    desktop.point_at(memory);
    desktop.wheel(3);
    desktop.wheel(-3);
    let tree = desktop.settled();
    let memory = titled(&preferences(&tree), "AdwSpinRow", "Memory")
        .cloned()
        .expect("the Memory row");
    assert_eq!(memory["value"], 4.0, "the wheel changed it");
    assert_eq!(
        desktop.gsettings(&["get", APP_ID, "default-memory-mib"]),
        "uint32 4096"
    );

    // 3 GiB typed into the row, applied with Enter.
    let field = nodes(&memory, "GtkText")
        .first()
        .copied()
        .expect("the spin row's text");
    desktop.click_node(field);
    desktop.key("ctrl+a");
    desktop.type_text("3");
    desktop.key("Return");
    wait_until(
        "3072 MiB for new projects in GSettings",
        Duration::from_secs(20),
        || desktop.gsettings(&["get", APP_ID, "default-memory-mib"]) == "uint32 3072",
    );

    // The system's font off: the button's font reaches the open terminal.
    let system = titled(&dialog, "AdwSwitchRow", "Use System Font").expect("the switch");
    desktop.click_node(system);
    desktop.wait_for("the terminal in Monospace 11", |tree| {
        fonts(tree) == ["Monospace 11"]
    });
    assert_eq!(
        desktop.gsettings(&["get", APP_ID, "terminal-font"]),
        "'Monospace 11'"
    );

    // A size chosen in the font dialog, too.
    let tree = desktop.settled();
    let button = nodes(&preferences(&tree), "GtkFontDialogButton")
        .first()
        .copied()
        .cloned()
        .expect("the font button");
    assert!(button.get("insensitive").is_none(), "{button}");
    desktop.click_node(&button);
    let listed = |tree: &Value| {
        nodes(tree, "GtkFontChooserDialog")
            .first()
            .is_some_and(|chooser| {
                nodes(chooser, "GtkLabel")
                    .iter()
                    .any(|label| label["text"] == "Monospace Regular")
            })
    };
    desktop.wait_for("the font chooser's list", listed);
    let tree = desktop.settled();
    let chooser = nodes(&tree, "GtkFontChooserDialog")[0].clone();
    let proportional = ["DejaVu Sans Book", "DejaVu Serif Book", "Sans Regular"];
    assert!(
        !texts(&chooser)
            .iter()
            .any(|t| proportional.contains(&t.as_str())),
        "the chooser offers a proportional font: {:?}",
        texts(&chooser)
    );
    let face = nodes(&chooser, "GtkLabel")
        .into_iter()
        .find(|label| label["text"] == "Monospace Regular")
        .cloned()
        .expect("Monospace Regular in the chooser's list (of monospace faces only)");
    desktop.click_node(&face);
    let size = nodes(&chooser, "GtkSpinButton")
        .first()
        .and_then(|spin| nodes(spin, "GtkText").first().copied())
        .cloned()
        .expect("the chooser's size field");
    desktop.click_node(&size);
    desktop.key("ctrl+a");
    desktop.type_text("15");
    desktop.key("Tab");
    desktop.click("Select");
    // Whichever monospace face the click picked, at 15 pt.
    let tree = desktop.wait_for("the terminal at 15 pt", |tree| {
        fonts(tree).len() == 1 && fonts(tree)[0].ends_with(" 15")
    });
    assert_eq!(
        desktop.gsettings(&["get", APP_ID, "terminal-font"]),
        format!("'{}'", fonts(&tree)[0])
    );

    // Back to the system's font.
    let tree = desktop.settled();
    let system = titled(&preferences(&tree), "AdwSwitchRow", "Use System Font")
        .cloned()
        .expect("the switch");
    desktop.click_node(&system);
    desktop.wait_for("the terminal in the system's font", |tree| {
        fonts(tree) == system_font
    });
    assert_eq!(desktop.gsettings(&["get", APP_ID, "terminal-font"]), "''");

    // Closed, the window makes a new project with 3 GiB...
    desktop.close_preferences();
    let parent = tempfile::tempdir().expect("a temp dir");
    let fresh = parent.path().join("fresh-window");
    std::fs::create_dir(&fresh).expect("a project folder");
    desktop
        .activate("open-project", Some(&fresh))
        .expect("open");
    desktop.wait_for("the new project's Memory row at 3 GiB", |tree| {
        titled(tree, "AdwSpinRow", "Memory").is_some_and(|row| row["value"] == 3.0)
    });
    // ...and so does `paddock init`.
    let cli = parent.path().join("fresh-cli");
    std::fs::create_dir(&cli).expect("a project folder");
    let init = desktop
        .paddock()
        .args(["init", "--container"])
        .arg(&cli)
        .output()
        .expect("paddock init");
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let written = std::fs::read_to_string(cli.join(".agent-sandbox/paddock.toml")).unwrap();
    assert!(written.contains("memory_mib = 3072"), "{written}");
    assert!(
        String::from_utf8_lossy(&init.stdout).contains("3072 MiB"),
        "{}",
        String::from_utf8_lossy(&init.stdout)
    );
    // Opened again, it shows what is stored.
    let tree = desktop.open_preferences();
    let memory = titled(&preferences(&tree), "AdwSpinRow", "Memory")
        .cloned()
        .expect("the Memory row");
    assert_eq!(memory["value"], 3.0);
    desktop.quit();
}

/// The Preferences dialog light, dark and at 360 px, both pages: nothing
/// drawn outside the window, for the screenshots.
#[test]
fn preferences_light_dark_and_narrow() {
    // libadwaita's preferences dialog is never narrower than GNOME's
    // narrowest window, 360 px, even empty; a window here (X without a
    // compositor) draws a 5 px frame each side inside its size.
    for (width, height, scheme, name) in [
        (1000, 760, "prefer-light", "prefs-light"),
        (1000, 760, "prefer-dark", "prefs-dark"),
        (370, 700, "prefer-light", "prefs-narrow"),
    ] {
        let mut desktop = Desktop::start();
        desktop.set_window_size(width, height);
        desktop.launch_with(&[("ADW_DEBUG_COLOR_SCHEME", scheme)]);
        let tree = desktop.open_preferences();
        assert_eq!(tree["dark"], scheme == "prefer-dark");
        let clipped = outside_window(&tree);
        let shot = desktop.screenshot(name);
        assert!(
            clipped.is_empty(),
            "drawn outside the window (see {}): {clipped:#?}",
            shot.display()
        );
        let keys = nodes(&tree, "AdwViewSwitcherButton")
            .into_iter()
            .find(|button| shows(button, "API Keys"))
            .cloned()
            .expect("the API Keys page's switcher button");
        desktop.click_node(&keys);
        let tree = desktop.wait_for("the API Keys page", |tree| {
            shows(&preferences(tree), "Anthropic API Key")
        });
        // The variables' names where there is room for them.
        let named = nodes(&preferences(&tree), "GtkLabel")
            .iter()
            .any(|label| label["text"] == "ANTHROPIC_API_KEY");
        assert_eq!(named, width > 500, "the variable's name at {width} px");
        desktop.screenshot(&format!("{name}-keys"));
        desktop.quit();
    }
}
