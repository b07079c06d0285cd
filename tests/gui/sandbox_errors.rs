//! The Sandbox view in the real window keeps `paddock.toml` the user's
//! (a change made in the form rewrites only its own value), and while the
//! definition is not valid, Run and Build are insensitive with a tooltip
//! that says why, their shortcuts do nothing, and each problem is shown.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Desktop, nodes, shows, texts};

const FIX_FIRST: &str = "Fix the errors in the sandbox settings first";

fn spin_value(tree: &Value, title: &str) -> Option<f64> {
    nodes(tree, "AdwSpinRow")
        .into_iter()
        .find(|row| row["title"] == title)
        .and_then(|row| row["value"].as_f64())
}

/// The header's Build or Run button (by what it says), sensitive or not,
/// and its tooltip.
fn header_button(tree: &Value, label: &str) -> Option<(bool, String)> {
    nodes(tree, "GtkButton")
        .into_iter()
        .filter(|button| {
            button["tooltip"].as_str().is_some_and(|t| {
                t == FIX_FIRST
                    || t.starts_with("Build the sandbox")
                    || t.starts_with("Run the agent")
            })
        })
        .find(|button| texts(button).iter().any(|t| t == label))
        .map(|button| {
            (
                button["insensitive"] != true,
                button["tooltip"].as_str().unwrap_or_default().to_owned(),
            )
        })
}

/// Whether Build and Run are both insensitive and say why.
fn blocked(tree: &Value) -> bool {
    ["Build", "Run"].iter().all(|label| {
        header_button(tree, label)
            .is_some_and(|(sensitive, tooltip)| !sensitive && tooltip == FIX_FIRST)
    })
}

fn usable(tree: &Value) -> bool {
    ["Build", "Run"]
        .iter()
        .all(|label| header_button(tree, label).is_some_and(|(sensitive, _)| sensitive))
}

/// Waits until `file` holds other bytes than `before`; them.
fn changed_from(file: &Path, before: &str) -> String {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        if text != before {
            return text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "{} was never written",
            file.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Clicks the + of the spin row `title`: one step more.
fn step_up(desktop: &Desktop, title: &str) {
    let tree = desktop.settled();
    let row = nodes(&tree, "AdwSpinRow")
        .into_iter()
        .find(|row| row["title"] == title)
        .unwrap_or_else(|| panic!("no spin row {title}"));
    // A spin button's buttons: − then +.
    let plus = nodes(row, "GtkButton")
        .into_iter()
        .last()
        .unwrap_or_else(|| panic!("no + in {row}"));
    desktop.point_at(plus);
    desktop.display.xdotool(&["click", "1"]);
}

/// Types `text` into the entry row `title` in place of what it holds, and
/// applies it with Enter.
fn apply_text(desktop: &Desktop, title: &str, text: &str) {
    let tree = desktop.settled();
    let row = nodes(&tree, "AdwEntryRow")
        .into_iter()
        .find(|row| row["title"] == title)
        .unwrap_or_else(|| panic!("no entry row {title}"));
    desktop.point_at(row);
    desktop.display.xdotool(&["click", "1"]);
    desktop.key("ctrl+a");
    desktop.display.xdotool(&["type", "--delay", "20", text]);
    desktop.key("Return");
}

/// `text` as a person keeps a shared file: a comment above each table and
/// after each value, blank lines between.
fn commented(text: &str) -> String {
    let mut out = String::from("# Our sandbox: ask the team before changing it.\n");
    for line in text.lines() {
        if line.starts_with('[') {
            out.push_str(&format!("\n# About {line}\n{line}\n"));
        } else if line.contains('=') {
            out.push_str(&format!("{line}   # agreed\n"));
        }
    }
    out
}

#[test]
fn a_change_in_the_form_rewrites_only_its_value_and_keeps_every_comment() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(1000, 800);
    desktop.launch();
    let (_keep, project) = desktop.approved_project("comments", &["sh", "-c", "sleep 1"]);
    let file = project.join(".agent-sandbox/paddock.toml");
    let original = commented(&std::fs::read_to_string(&file).unwrap());
    std::fs::write(&file, &original).unwrap();
    desktop.approve(&project);
    desktop
        .activate("open-project", Some(&project))
        .expect("open");
    desktop.wait_for("the form", |tree| spin_value(tree, "CPUs") == Some(1.0));

    step_up(&desktop, "CPUs");
    desktop.wait_for("two CPUs in the form", |tree| {
        spin_value(tree, "CPUs") == Some(2.0)
    });
    let written = changed_from(&file, &original);
    assert_eq!(
        written,
        original.replace("cpus = 1   # agreed", "cpus = 2   # agreed"),
        "only the CPUs value may change"
    );

    // A hand edit while the form is open (a comment and a variable), then
    // another change in the form: both stay, byte for byte.
    let edited = format!("{written}\n# Added by hand.\n[env]\nHAND = \"1\" # mine\n");
    std::fs::write(&file, &edited).unwrap();
    desktop.wait_for("the hand edit in the form", |tree| {
        nodes(tree, "AdwEntryRow")
            .iter()
            .any(|row| row["title"] == "HAND")
    });
    // (Memory: this machine may have no third CPU to give.)
    step_up(&desktop, "Memory");
    desktop.wait_for("0.75 GiB in the form", |tree| {
        spin_value(tree, "Memory") == Some(0.75)
    });
    let written = changed_from(&file, &edited);
    assert_eq!(
        written,
        edited.replace("memory_mib = 512   # agreed", "memory_mib = 768   # agreed")
    );

    // The merge path: the file changes between the change in the form and
    // its write (which waits for the user to stop), so the change is put on
    // top of what the file holds then.
    step_up(&desktop, "Memory");
    let meanwhile = written.replace("HAND = \"1\" # mine", "HAND = \"2\" # mine, again");
    std::fs::write(&file, &meanwhile).unwrap();
    let merged = changed_from(&file, &meanwhile);
    assert_eq!(
        merged,
        meanwhile.replace(
            "memory_mib = 768   # agreed",
            "memory_mib = 1024   # agreed"
        )
    );
    desktop.quit();
}

#[test]
fn while_the_definition_is_invalid_run_and_build_are_insensitive_and_say_why() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(1000, 800);
    desktop.launch();
    let (_keep, project) = desktop.approved_project("invalid", &["sh", "-c", "sleep 1"]);
    let file = project.join(".agent-sandbox/paddock.toml");
    let good = std::fs::read_to_string(&file).unwrap();
    desktop
        .activate("open-project", Some(&project))
        .expect("open");
    let tree = desktop.wait_for("the form, Run and Build", usable);
    let base = nodes(&tree, "AdwEntryRow")
        .into_iter()
        .find(|row| row["title"] == "Base Image")
        .and_then(|row| row["text"].as_str())
        .unwrap()
        .to_owned();

    // A value the form refuses: it stays in its row, marked, with the
    // message under its group, naming the field.
    apply_text(&desktop, "Base Image", "not an image!");
    let tree = desktop.wait_for("Run and Build insensitive", blocked);
    assert!(
        texts(&tree)
            .iter()
            .any(|t| t.starts_with("Base Image: ") && t.contains("not an image!")),
        "no caption for the base image:\n{}",
        texts(&tree).join("\n")
    );
    desktop.screenshot("forms-sandbox-field-error");
    // Their shortcuts do nothing either.
    desktop.key("ctrl+shift+b");
    desktop.key("ctrl+shift+r");
    std::thread::sleep(Duration::from_millis(1500));
    let tree = desktop.settled();
    assert!(blocked(&tree), "a shortcut started something");
    assert!(!shows(&tree, "Cancel"), "a build began");
    assert!(shows(&tree, "Not built"), "an image was built");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), good, "written");

    apply_text(&desktop, "Base Image", &base);
    desktop.wait_for("Run and Build usable again", usable);

    // A broken file on disk: every problem listed with its place, and the
    // buttons insensitive until it is fixed.
    let broken = good
        .replace("[image]", "[image\n")
        .replace("cpus = 1", "cpus = 0");
    std::fs::write(&file, &broken).unwrap();
    let tree = desktop.wait_for("the problems of the file", |tree| {
        blocked(tree) && shows(tree, "The Sandbox Definition Is Not Valid")
    });
    let subtitles: Vec<&str> = nodes(&tree, "AdwActionRow")
        .into_iter()
        .filter_map(|row| row["subtitle"].as_str())
        .filter(|s| s.starts_with("Line "))
        .collect();
    assert_eq!(subtitles.len(), 2, "{subtitles:?}");
    desktop.screenshot("forms-sandbox-errors");
    std::fs::write(&file, &good).unwrap();
    desktop.wait_for("the form again, Run and Build usable", |tree| {
        usable(tree) && spin_value(tree, "CPUs") == Some(1.0)
    });
    desktop.quit();
}

/// The Sandbox view with a broken `paddock.toml`, light and at 360 px,
/// for the screenshots.
#[test]
fn the_problems_of_a_broken_file_light_and_narrow() {
    for (width, height, name) in [
        (1000, 800, "forms-sandbox-errors-light"),
        (360, 700, "forms-sandbox-errors-narrow"),
    ] {
        let mut desktop = Desktop::start();
        desktop.set_window_size(width, height);
        desktop.launch_with(&[("ADW_DEBUG_COLOR_SCHEME", "prefer-light")]);
        let (_keep, project) = desktop.approved_project("broken-file", &["sh", "-c", "sleep 1"]);
        let file = project.join(".agent-sandbox/paddock.toml");
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(
            &file,
            text.replace("[image]", "[image\n")
                .replace("cpus = 1", "cpus = 0")
                + "\n[env]\nbad-name = \"x\"\n",
        )
        .unwrap();
        desktop
            .activate("open-project", Some(&project))
            .expect("open");
        desktop.wait_for("the problems", |tree| {
            shows(tree, "The Sandbox Definition Is Not Valid")
        });
        desktop.screenshot(name);
        desktop.quit();
    }
}
