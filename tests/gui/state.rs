//! One state per project, the same everywhere: two projects through idle,
//! building, running, stopped and exited with an error, each phase read
//! back from the sidebar's badges, the page's banners, the tab titles and
//! the views at once; removing a running project asks first, and Undo in
//! the toast brings it back with its terminal.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use support::podman::{ProjectCleanup, runs_for};
use support::wait::poll;

use crate::harness::{Desktop, nodes, shows, terminal_shows, texts};

/// The badge of the sidebar row titled `name`: what the row shows besides
/// its title and subtitle.
fn badge(tree: &Value, name: &str) -> Option<String> {
    let row = nodes(tree, "AdwActionRow")
        .into_iter()
        .find(|row| row["title"].as_str() == Some(name))?;
    let subtitle = row["subtitle"].as_str().unwrap_or_default().to_owned();
    nodes(row, "GtkLabel")
        .into_iter()
        .filter_map(|label| label["text"].as_str())
        .find(|text| !text.is_empty() && *text != name && *text != subtitle)
        .map(str::to_owned)
}

/// The titles of the banners on screen.
fn banners(tree: &Value) -> Vec<String> {
    nodes(tree, "AdwBanner")
        .into_iter()
        .filter(|banner| banner["revealed"] == Value::Bool(true))
        .filter_map(|banner| banner["title"].as_str().map(str::to_owned))
        .collect()
}

/// The banners that speak about the project's own sandbox (the window's
/// own one, about the host, may be there too: no krun here).
fn sandbox_banners(tree: &Value) -> Vec<String> {
    banners(tree)
        .into_iter()
        .filter(|title| !title.contains("MicroVMs") && !title.contains("Podman"))
        .collect()
}

fn tab_titles(tree: &Value) -> Vec<String> {
    nodes(tree, "AdwTabBar")
        .into_iter()
        .flat_map(|bar| bar["tabs"].as_array().cloned().unwrap_or_default())
        .filter_map(|title| title.as_str().map(str::to_owned))
        .collect()
}

/// Whether a label reads exactly `text` (a button's, say).
fn says(tree: &Value, text: &str) -> bool {
    texts(tree).iter().any(|t| t == text)
}

/// The window's texts without the sidebar rows of other projects: the
/// tests share one podman service, and the window lists every Paddock
/// sandbox on it, other tests' too.
fn own_texts(tree: &Value, names: &[&str]) -> Vec<String> {
    let others: Vec<String> = nodes(tree, "AdwActionRow")
        .into_iter()
        .filter(|row| {
            row["title"]
                .as_str()
                .is_some_and(|title| title.starts_with("gui-") && !names.contains(&title))
        })
        .flat_map(texts)
        .collect();
    texts(tree)
        .into_iter()
        .filter(|text| !others.contains(text))
        .collect()
}

fn badge_is(tree: &Value, name: &str, label: &str) -> bool {
    badge(tree, name).as_deref() == Some(label)
}

fn open(desktop: &Desktop, project: &Path) {
    desktop
        .activate("open-project", Some(project))
        .expect("open");
}

#[test]
fn two_projects_agree_everywhere_in_every_phase() {
    let mut desktop = Desktop::launched();
    let (_keep_a, a) = desktop.approved_project(
        "gui-state-a",
        &["sh", "-c", "echo ready-a; read line; exit 3"],
    );
    let (_keep_b, b) = desktop.approved_project(
        "gui-state-b",
        &["sh", "-c", "while true; do echo tick-b; sleep 1; done"],
    );
    let _cleanup_a = ProjectCleanup(a.clone());
    let _cleanup_b = ProjectCleanup(b.clone());
    open(&desktop, &b);
    open(&desktop, &a);

    // Idle: nothing built, nothing to tell.
    let tree = desktop.wait_for("both idle", |tree| {
        badge_is(tree, "gui-state-a", "Not built") && badge_is(tree, "gui-state-b", "Not built")
    });
    assert!(sandbox_banners(&tree).is_empty(), "{:?}", banners(&tree));

    // Building A: its badge and its Build view say so; B stays idle.
    desktop.activate("build-project", Some(&a)).expect("build");
    let tree = desktop.wait_for("A building", |tree| {
        badge_is(tree, "gui-state-a", "Building…") && shows(tree, "Step ")
    });
    assert!(badge_is(&tree, "gui-state-b", "Not built"));
    desktop.screenshot("state-building");
    desktop.wait_for_within("A built", Duration::from_secs(300), |tree| {
        badge_is(tree, "gui-state-a", "Built")
    });

    // Running A: badge, header, tab and no banner agree.
    desktop.activate("run-project", Some(&a)).expect("run");
    let tree = desktop.wait_for("A running", |tree| {
        terminal_shows(tree, "ready-a") && badge_is(tree, "gui-state-a", "Running")
    });
    assert!(says(&tree, "Stop"), "the header offers Stop");
    assert!(sandbox_banners(&tree).is_empty(), "{:?}", banners(&tree));
    assert!(!shows(&tree, "Not Running"));
    assert!(!tab_titles(&tree).iter().any(|t| t != "gui-state-a"));

    // B builds and runs while A runs on.
    desktop.activate("run-project", Some(&b)).expect("run B");
    let tree = desktop.wait_for_within("B running", Duration::from_secs(300), |tree| {
        terminal_shows(tree, "tick-b") && badge_is(tree, "gui-state-b", "Running")
    });
    assert!(badge_is(&tree, "gui-state-a", "Running"));
    assert!(sandbox_banners(&tree).is_empty(), "{:?}", banners(&tree));
    desktop.screenshot("state-two-running");

    // Stopping B ends neutral: "Stopped", not podman's 137.
    desktop.activate("stop-current", None).expect("stop");
    let tree = desktop.wait_for_within("B stopped", Duration::from_secs(60), |tree| {
        badge_is(tree, "gui-state-b", "Stopped")
    });
    assert!(!runs_for(&b));
    let own = own_texts(&tree, &["gui-state-a", "gui-state-b"]);
    assert!(
        !own.iter().any(|t| t.contains("137")),
        "the stop's exit code is no news: {own:?}"
    );
    assert!(sandbox_banners(&tree).is_empty(), "{:?}", banners(&tree));
    assert!(badge_is(&tree, "gui-state-a", "Running"));
    assert!(
        says(&tree, "Run") && !says(&tree, "Stop"),
        "the header offers Run"
    );
    assert!(
        !tab_titles(&tree)
            .iter()
            .any(|t| t != "gui-state-b (Stopped)")
    );
    desktop.screenshot("state-stopped");

    // A exits with an error: words first, the number as the detail, in the
    // one banner, the badge and A's tab (not B's).
    open(&desktop, &a);
    desktop.wait_for("A's terminal", |tree| terminal_shows(tree, "ready-a"));
    desktop.focus();
    desktop.display.xdotool(&["type", "--delay", "30", "bye"]);
    desktop.key("Return");
    let tree = desktop.wait_for("A exited", |tree| badge_is(tree, "gui-state-a", "Failed"));
    let shown = sandbox_banners(&tree);
    assert_eq!(
        shown,
        vec!["The agent ended with an error (exit code 3)".to_owned()],
        "one banner"
    );
    assert!(badge_is(&tree, "gui-state-b", "Stopped"));
    let tooltip = nodes(&tree, "GtkBox")
        .into_iter()
        .filter_map(|node| node["tooltip"].as_str())
        .any(|tooltip| tooltip == "Exit code 3");
    assert!(tooltip, "the badge's detail is the code");
    desktop.screenshot("state-exited");

    // Run Again from the banner: running again, the old run's end is history.
    desktop.click("Run Again");
    let tree = desktop.wait_for("A running again", |tree| {
        badge_is(tree, "gui-state-a", "Running") && tab_titles(tree).len() == 2
    });
    assert_eq!(
        tab_titles(&tree),
        vec!["gui-state-a (Failed)".to_owned(), "gui-state-a".to_owned()],
        "the run that ended is the one renamed"
    );
    assert!(sandbox_banners(&tree).is_empty(), "{:?}", banners(&tree));
    desktop.quit();
}

#[test]
fn removing_a_running_project_asks_first_and_undo_restores_it() {
    let mut desktop = Desktop::launched();
    let (_keep, project) = desktop.approved_project(
        "gui-state-rm",
        &[
            "sh",
            "-c",
            "i=0; while true; do i=$((i+1)); echo tick-$i; sleep 1; done",
        ],
    );
    let (_keep_idle, idle) = desktop.approved_project("gui-state-idle", &["sh"]);
    let _cleanup = ProjectCleanup(project.clone());
    open(&desktop, &idle);
    desktop
        .activate("run-project", Some(&project))
        .expect("run builds, then runs");
    desktop.wait_for_within("ticks", Duration::from_secs(300), |tree| {
        terminal_shows(tree, "tick-2") && badge_is(tree, "gui-state-rm", "Running")
    });

    // There is no remove button in the row (nor in the Tab order): the
    // row's context menu has it.
    let tree = desktop.settled();
    assert!(
        !nodes(&tree, "GtkButton")
            .iter()
            .any(|button| button["tooltip"].as_str() == Some("Remove From List")),
        "a remove button is still in the row"
    );
    let row = nodes(&tree, "AdwActionRow")
        .into_iter()
        .find(|row| row["title"].as_str() == Some("gui-state-rm"))
        .and_then(|row| row["bounds"].as_array().cloned())
        .expect("the row");
    let at = |i: usize| row[i].as_f64().unwrap();
    desktop.display.xdotool(&[
        "mousemove",
        &format!("{}", (at(0) + at(2) / 2.0).round()),
        &format!("{}", (at(1) + at(3) / 2.0).round()),
        "click",
        "3",
    ]);
    let tree = desktop.wait_for("the context menu", |tree| shows(tree, "Remove From List"));
    let item = nodes(&tree, "GtkModelButton")
        .into_iter()
        .find(|node| texts(node).iter().any(|t| t.contains("Remove From List")))
        .and_then(|node| node["bounds"].as_array().cloned())
        .expect("the menu item");
    let at = |i: usize| item[i].as_f64().unwrap();
    desktop.display.xdotool(&[
        "mousemove",
        &format!("{}", (at(0) + at(2) / 2.0).round()),
        &format!("{}", (at(1) + at(3) / 2.0).round()),
        "click",
        "1",
    ]);

    // Running: asked first; Cancel keeps everything.
    desktop.wait_for("the question", |tree| {
        shows(tree, "Remove Running Project?")
    });
    desktop.screenshot("state-remove-running");
    desktop.click("Cancel");
    let tree = desktop.wait_for("the question gone", |tree| {
        !shows(tree, "Remove Running Project?")
    });
    assert!(badge(&tree, "gui-state-rm").is_some(), "still listed");

    // Asked again (the exported action is the menu item's), and removed.
    desktop
        .activate("remove-project", Some(&project))
        .expect("remove");
    desktop.wait_for("the question again", |tree| {
        shows(tree, "Remove Running Project?")
    });
    desktop.click("Remove");
    let tree = desktop.wait_for("the row gone and the toast", |tree| {
        badge(tree, "gui-state-rm").is_none() && shows(tree, "Removed gui-state-rm")
    });
    assert!(shows(&tree, "Undo"));
    assert!(runs_for(&project), "removing from the list stops nothing");
    desktop.click("Undo");
    let tree = desktop.wait_for("the project back", |tree| {
        badge_is(tree, "gui-state-rm", "Running") && terminal_shows(tree, "tick-")
    });
    let before = crate::harness::terminal_text(&tree);
    // The same terminal, still attached: new ticks arrive.
    desktop.wait_for("new ticks", |tree| {
        crate::harness::terminal_text(tree).len() > before.len()
    });
    let listed = std::fs::read_to_string(desktop.home.data().join("paddock/state.json")).unwrap();
    assert!(
        listed.contains("gui-state-rm"),
        "Undo saved the list: {listed}"
    );

    // An idle project goes without a question.
    desktop
        .activate("remove-project", Some(&idle))
        .expect("remove");
    desktop.wait_for("the idle row gone", |tree| {
        badge(tree, "gui-state-idle").is_none() && !shows(tree, "Remove Running Project?")
    });
    assert!(poll(
        Duration::from_secs(5),
        Duration::from_millis(200),
        || { runs_for(&project) }
    ));
    desktop.quit();
}

/// The first launch in a phone-sized window shows the empty state with its
/// Add button, not an empty list with the empty state out of sight; the
/// list has a note of its own.
#[test]
fn a_narrow_first_launch_shows_the_empty_state() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(360, 640);
    desktop.launch();
    let tree = desktop.wait_for("the empty state", |tree| {
        nodes(tree, "AdwNavigationSplitView")
            .iter()
            .any(|n| n["collapsed"] == Value::Bool(true))
            && nodes(tree, "AdwStatusPage")
                .iter()
                .any(|page| page["title"].as_str() == Some("No Projects"))
    });
    assert!(shows(&tree, "Add Project"), "with its button");
    desktop.screenshot("state-empty-narrow");
    // Back to the list, with the header's back button (the top left one):
    // it says why it is empty.
    let back = nodes(&tree, "GtkButton")
        .into_iter()
        .filter_map(|button| button["bounds"].as_array().cloned())
        .find(|b| b[0].as_f64() < Some(60.0) && b[1].as_f64() < Some(50.0))
        .expect("the back button");
    let at = |i: usize| back[i].as_f64().unwrap();
    desktop.display.xdotool(&[
        "mousemove",
        &format!("{}", (at(0) + at(2) / 2.0).round()),
        &format!("{}", (at(1) + at(3) / 2.0).round()),
        "click",
        "1",
    ]);
    // Sandboxes of other tests on this podman may be listed (a running
    // sandbox's project is added back): the note is there when none is.
    desktop.wait_for("the list, or its note", |tree| {
        let rows = nodes(tree, "AdwActionRow").len();
        (rows == 0 && shows(tree, "Projects you add appear here"))
            || (rows > 0 && !shows(tree, "No Projects"))
    });
    desktop.quit();
}

/// A failed build in light and dark at 360 px: one heading, Retry and the
/// way to the setting at fault instead of a greyed Cancel, the badge in
/// the list; nothing drawn outside the window.
#[test]
fn a_failed_build_offers_retry_and_the_setting_light_dark_and_narrow() {
    for (dark, width, name) in [
        (false, 1000, "state-build-failed"),
        (true, 360, "state-build-failed-narrow-dark"),
    ] {
        let mut desktop = Desktop::start();
        let (_keep, project) = desktop.approved_project("gui-state-fail", &["sh"]);
        let definition = project.join(".agent-sandbox/paddock.toml");
        let text = std::fs::read_to_string(&definition).unwrap();
        std::fs::write(
            &definition,
            text.replace(
                &support::podman::base_image(),
                "localhost/paddock-test/does-not-exist:none",
            ),
        )
        .unwrap();
        desktop.approve(&project);
        let _cleanup = ProjectCleanup(project.clone());
        desktop.set_window_size(width, 640);
        let scheme = if dark { "prefer-dark" } else { "prefer-light" };
        desktop.launch_with(&[("ADW_DEBUG_COLOR_SCHEME", scheme)]);
        open(&desktop, &project);
        desktop.wait_for("the Build view's empty page", |tree| {
            shows(tree, "gui-state-fail")
        });
        desktop
            .activate("build-project", Some(&project))
            .expect("build");
        desktop.wait_for_within("the failure", Duration::from_secs(120), |tree| {
            shows(tree, "Build Failed") && shows(tree, "Retry")
        });
        // Its buttons in their final places (they were seen mid-layout, at
        // a negative x, once in a full run).
        let tree = desktop.settled();
        assert!(shows(&tree, "Change Base Image"), "the setting at fault");
        assert_eq!(
            texts(&tree)
                .iter()
                .filter(|t| t.eq_ignore_ascii_case("Build failed"))
                .count(),
            usize::from(width > 400) + 1,
            "one heading (and the badge, when the list is in view): {:?}",
            texts(&tree)
        );
        assert!(!shows(&tree, "`"), "commands in monospace, not backticks");
        let shot = desktop.screenshot(name);
        let clipped = crate::harness::outside_window(&tree);
        assert!(clipped.is_empty(), "{}: {clipped:#?}", shot.display());
        // The setting at fault is one click away.
        desktop.focus();
        desktop.click("Change Base Image");
        desktop.wait_for("the Sandbox view", |tree| {
            shows(tree, "Base Image") && shows(tree, "CPUs")
        });
        // Short options: the chosen one fits beside its title, explained
        // in the subtitle.
        let tree = desktop.wait_for("the explained choice", |tree| {
            shows(
                tree,
                "This project keeps its own settings; the login is shared by all projects",
            )
        });
        assert!(shows(&tree, "This Project"));
        desktop.screenshot(&format!("{name}-sandbox"));
        desktop.quit();
    }
}
