//! The Sandbox view's form in the real window: nothing is written per
//! wheel notch or keystroke, and `paddock.toml` is the truth: a hand edit
//! appears in the open form and survives the next change made there.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use support::wait::poll;

use crate::harness::{Desktop, nodes, shows};

fn row<'a>(tree: &'a Value, kind: &str, title: &str) -> Option<&'a Value> {
    nodes(tree, kind)
        .into_iter()
        .find(|row| row["title"] == title)
}

fn spin_value(tree: &Value, title: &str) -> Option<f64> {
    row(tree, "AdwSpinRow", title).and_then(|row| row["value"].as_f64())
}

fn scroll_positions(tree: &Value) -> Vec<f64> {
    nodes(tree, "GtkScrolledWindow")
        .iter()
        .filter_map(|s| s["scrolled"].as_f64())
        .collect()
}

/// Whether `node` lies wholly inside a window `height` pixels high.
fn in_view(node: &Value, height: f64) -> bool {
    let edge = |i: usize| node["bounds"][i].as_f64();
    matches!((edge(1), edge(3)), (Some(y), Some(h)) if y >= 0.0 && y + h <= height)
}

/// Waits until `file` holds `needle`; its text.
fn wait_for_file(file: &Path, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "{} never held {needle:?}:\n{text}",
            file.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_wheel_over_cpus_and_memory_scrolls_the_page_and_changes_nothing() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(1000, 700);
    desktop.launch();
    let (_keep, project) = desktop.approved_project("wheel", &["sh", "-c", "sleep 1"]);
    let file = project.join(".agent-sandbox/paddock.toml");
    let before = std::fs::read(&file).unwrap();
    desktop
        .activate("open-project", Some(&project))
        .expect("open");
    let tree = desktop.wait_for("the CPUs and Memory rows", |tree| {
        spin_value(tree, "CPUs") == Some(1.0) && spin_value(tree, "Memory") == Some(0.5)
    });
    let scrolled = scroll_positions(&tree);

    // Down over CPUs: the page scrolls, which shows that the wheel reached
    // the window (CPUs at its minimum would not go lower anyway).
    desktop.point_at(row(&tree, "AdwSpinRow", "CPUs").unwrap());
    desktop.wheel(2);
    let tree = desktop.wait_for("the page scrolled by the wheel", |tree| {
        scroll_positions(tree) != scrolled
    });
    // Up over each row: a spin button would count up here.
    for title in ["CPUs", "Memory"] {
        let tree = desktop.settled();
        desktop.point_at(row(&tree, "AdwSpinRow", title).unwrap());
        desktop.wheel(-2);
    }
    drop(tree);
    std::thread::sleep(Duration::from_millis(1500));
    let tree = desktop.settled();
    assert_eq!(
        spin_value(&tree, "CPUs"),
        Some(1.0),
        "the wheel changed CPUs"
    );
    assert_eq!(
        spin_value(&tree, "Memory"),
        Some(0.5),
        "the wheel changed the memory"
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "the wheel wrote paddock.toml"
    );
    desktop.quit();
}

#[test]
fn a_hand_edit_appears_in_the_open_form_and_survives_the_next_change() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(1000, 800);
    desktop.launch();
    let (_keep, project) = desktop.approved_project("hand-edit", &["sh", "-c", "sleep 1"]);
    let file = project.join(".agent-sandbox/paddock.toml");
    desktop
        .activate("open-project", Some(&project))
        .expect("open");
    desktop.wait_for("the form", |tree| spin_value(tree, "CPUs") == Some(1.0));

    // As an editor saves: the whole file written anew, with a variable and
    // another CPU count.
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = format!(
        "{}\n[env]\nHAND_ADDED = \"kept\"\n",
        text.replace("cpus = 1", "cpus = 3")
    );
    std::fs::write(&file, &edited).unwrap();
    let tree = desktop.wait_for("the hand edit in the form", |tree| {
        spin_value(tree, "CPUs") == Some(3.0)
            && row(tree, "AdwEntryRow", "HAND_ADDED").is_some_and(|r| r["text"] == "kept")
    });

    // Text typed without Enter is not applied, not even when another field is.
    let base = row(&tree, "AdwEntryRow", "Base Image").unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned();
    desktop.point_at(row(&tree, "AdwEntryRow", "Base Image").unwrap());
    desktop.display.xdotool(&["click", "1"]);
    desktop.display.xdotool(&["key", "End"]);
    desktop
        .display
        .xdotool(&["type", "--delay", "30", "x-not-applied"]);
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        edited,
        "typing wrote the file"
    );

    // A change made in the form: a variable added with the Add Variable row,
    // scrolled into view first.
    let mut tree = desktop.settled();
    desktop.point_at(row(&tree, "AdwComboRow", "Agent").unwrap());
    // However long the form has grown above it.
    for _ in 0..12 {
        if row(&tree, "AdwEntryRow", "Add Variable").is_some_and(|add| in_view(add, 800.0)) {
            break;
        }
        desktop.wheel(5);
        tree = desktop.settled();
    }
    // Sandboxes of other tests on this podman are announced in a toast,
    // which may cover the row at the window's bottom: it times out.
    poll(Duration::from_secs(15), Duration::from_millis(300), || {
        !shows(&desktop.tree(), "still running")
    });
    let tree = desktop.settled();
    desktop.point_at(row(&tree, "AdwEntryRow", "Add Variable").unwrap());
    desktop.display.xdotool(&["click", "1"]);
    desktop
        .display
        .xdotool(&["type", "--delay", "30", "FROM_FORM=yes"]);
    desktop.key("Return");
    let written = wait_for_file(&file, "FROM_FORM");
    let definition: toml::Table = toml::from_str(&written).expect("valid TOML");
    assert_eq!(
        definition["env"]["HAND_ADDED"].as_str(),
        Some("kept"),
        "{written}"
    );
    assert_eq!(definition["env"]["FROM_FORM"].as_str(), Some("yes"));
    assert_eq!(definition["resources"]["cpus"].as_integer(), Some(3));
    assert_eq!(
        definition["image"]["base"].as_str(),
        Some(base.as_str()),
        "text that was never applied was written: {written}"
    );
    desktop.wait_for("the new variable as its own row", |tree| {
        row(tree, "AdwEntryRow", "FROM_FORM").is_some_and(|r| r["text"] == "yes")
            && row(tree, "AdwEntryRow", "Add Variable").is_some_and(|r| r["text"] == "")
    });
    desktop.screenshot("settings-form");
    desktop.quit();
}

/// The Sandbox view with variables and a definition error under its
/// group, light and dark, wide and at 360 px, for the screenshots.
#[test]
fn the_sandbox_view_light_dark_and_narrow() {
    for (width, height, scheme, name) in [
        (1000, 800, "prefer-light", "settings-sandbox-light"),
        (1000, 800, "prefer-dark", "settings-sandbox-dark"),
        (360, 700, "prefer-light", "settings-sandbox-narrow"),
    ] {
        let mut desktop = Desktop::start();
        desktop.set_window_size(width, height);
        desktop.launch_with(&[("ADW_DEBUG_COLOR_SCHEME", scheme)]);
        let (_keep, project) = desktop.approved_project("web-app", &["sh", "-c", "sleep 1"]);
        let file = project.join(".agent-sandbox/paddock.toml");
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, format!("{text}\n[env]\nRUST_LOG = \"debug\"\n")).unwrap();
        desktop.approve(&project);
        desktop
            .activate("open-project", Some(&project))
            .expect("open");
        let tree = desktop.wait_for("the form", |tree| {
            row(tree, "AdwEntryRow", "RUST_LOG").is_some()
        });
        assert_eq!(tree["dark"], scheme == "prefer-dark");
        desktop.screenshot(name);
        desktop.quit();
    }
}
