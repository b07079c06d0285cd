//! The About dialog and the keyboard shortcuts, in the real window on a
//! private display and bus.

use crate::harness::{Desktop, nodes, shows, texts};

#[test]
fn about_names_the_app_its_version_license_and_links() {
    let mut desktop = Desktop::launched();
    desktop.activate("about", None).expect("app.about");
    let tree = desktop.wait_for("the About dialog", |tree| {
        !nodes(tree, "AdwAboutDialog").is_empty()
    });
    let about = nodes(&tree, "AdwAboutDialog")[0];
    assert_eq!(about["application_name"], "Paddock");
    assert_eq!(about["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(about["license"], "Gpl30", "Cargo.toml says GPL-3.0");
    assert_eq!(about["website"], "https://github.com/paddockapp/paddock");
    assert_eq!(
        about["issue_url"],
        "https://github.com/paddockapp/paddock/issues"
    );
    desktop.screenshot("about");
    desktop.focus();
    desktop.key("Escape");
    desktop.wait_for("the dialog to close", |tree| {
        nodes(tree, "AdwAboutDialog").is_empty()
    });
    desktop.quit();
}

/// Every key the shortcuts window lists under General is bound to an
/// action of the app, and none is a key a terminal program reads (Ctrl and
/// a letter without Shift); two of them are pressed for real (the window's
/// own key, and Quit).
#[test]
fn the_listed_shortcuts_are_bound() {
    let mut desktop = Desktop::launched();
    desktop.wait_for("the sidebar", |tree| shows(tree, "Projects"));
    desktop.focus();
    desktop.key("ctrl+question");
    let tree = desktop.wait_for("the shortcuts window", |tree| {
        !nodes(tree, "GtkShortcutsWindow").is_empty() && shows(tree, "Build the sandbox")
    });
    desktop.screenshot("shortcuts");
    let bound: Vec<String> = tree["accels"]
        .as_object()
        .expect("the app's accelerators")
        .values()
        .flat_map(|labels| labels.as_array().cloned().unwrap_or_default())
        .filter_map(|label| label.as_str().map(str::to_owned))
        .collect();
    for key in &bound {
        let plain_control_letter = key.starts_with("Ctrl+")
            && !key.contains("Shift")
            && key.len() == "Ctrl+B".len()
            && key.ends_with(|c: char| c.is_ascii_alphabetic());
        assert!(!plain_control_letter, "{key} is taken from the terminal");
    }
    let listed = nodes(&tree, "GtkShortcutsShortcut");
    assert!(listed.len() >= 11, "every shortcut is listed: {listed:?}");
    assert!(
        listed
            .iter()
            .any(|s| s["title"] == "Preferences" && s["keys"] == "Ctrl+,"),
        "Preferences is listed with Ctrl+comma: {listed:?}"
    );
    let general: Vec<&serde_json::Value> = listed
        .iter()
        .copied()
        .filter(|shortcut| {
            shortcut["title"].as_str().is_some_and(|t| {
                ![
                    "Copy",
                    "Find",
                    "Zoom in",
                    "Zoom out",
                    "Reset zoom",
                    "Close the terminal",
                ]
                .contains(&t)
                    && !t.starts_with("Paste")
            })
        })
        .collect();
    assert!(
        general.len() >= 11,
        "every app shortcut is listed: {general:?}"
    );
    for shortcut in general {
        let key = shortcut["keys"].as_str().expect("the keys of a shortcut");
        assert!(
            bound.iter().any(|b| b == key),
            "{:?} lists {key}, which no action has (bound: {bound:?})",
            shortcut["title"]
        );
    }
    assert!(texts(&tree).iter().any(|t| t == "Show the Terminal view"));
    for view in ["Show the Changes view", "Show the Network view"] {
        assert!(texts(&tree).iter().any(|t| t == view), "{view} is listed");
    }
    // The key caps are words, not GTK's names of the keys.
    let caps: Vec<String> = nodes(&tree, "GtkShortcutLabel")
        .into_iter()
        .flat_map(texts)
        .collect();
    assert!(caps.iter().any(|cap| cap == "Page Up"), "caps: {caps:?}");
    assert!(caps.iter().any(|cap| cap == "Page Down"), "caps: {caps:?}");
    assert!(
        !caps.iter().any(|cap| cap.contains('_')),
        "a key cap spelled as in code: {caps:?}"
    );
    desktop.key("Escape");
    desktop.wait_for("the window to close", |tree| {
        nodes(tree, "GtkShortcutsWindow").is_empty()
    });
    // Ctrl+Shift+Q quits: the process ends without the quit action being called.
    desktop.key("ctrl+shift+q");
    assert!(desktop.wait_for_exit(), "Ctrl+Shift+Q did not quit");
}
