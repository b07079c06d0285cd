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

/// Every key the shortcuts dialog lists under General is bound to an
/// action of the app; two of them are pressed for real (the dialog's own
/// key, and Quit).
#[test]
fn the_listed_shortcuts_are_bound() {
    let mut desktop = Desktop::launched();
    desktop.wait_for("the sidebar", |tree| shows(tree, "Projects"));
    desktop.focus();
    desktop.key("ctrl+question");
    let tree = desktop.wait_for("the shortcuts dialog", |tree| {
        shows(tree, "Keyboard Shortcuts") && shows(tree, "Build the sandbox")
    });
    desktop.screenshot("shortcuts");
    let bound: Vec<String> = tree["accels"]
        .as_object()
        .expect("the app's accelerators")
        .values()
        .flat_map(|labels| labels.as_array().cloned().unwrap_or_default())
        .filter_map(|label| label.as_str().map(str::to_owned))
        .collect();
    let general = nodes(&tree, "AdwPreferencesGroup")
        .into_iter()
        .find(|group| texts(group).first().map(String::as_str) == Some("General"))
        .expect("the General group");
    let rows = nodes(general, "AdwActionRow");
    assert!(rows.len() >= 6, "every app shortcut is listed: {rows:?}");
    for row in rows {
        let texts = texts(row);
        let key = texts.last().expect("the key of a row");
        assert!(
            bound.contains(key),
            "{:?} lists {key}, which no action has (bound: {bound:?})",
            texts.first()
        );
    }
    desktop.key("Escape");
    desktop.wait_for("the dialog to close", |tree| {
        !shows(tree, "Keyboard Shortcuts")
    });
    // Ctrl+Q quits: the process ends without the quit action being called.
    desktop.key("ctrl+q");
    assert!(desktop.wait_for_exit(), "Ctrl+Q did not quit");
}
