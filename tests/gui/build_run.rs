//! Build and run through the window: the real app on a private display and
//! bus, real rootless podman, a container-mode definition on the local
//! busybox image (no krun runtime exists here). A notification daemon test
//! double records the desktop notifications.

use std::time::Duration;

use support::podman::{ProjectCleanup, base_image, images_of, runs_for};
use support::wait::poll;

use crate::harness::{Desktop, nodes, shows, terminal_shows, terminal_text};

fn progress(tree: &serde_json::Value) -> Option<f64> {
    nodes(tree, "GtkProgressBar")
        .first()
        .and_then(|bar| bar["fraction"].as_f64())
}

#[test]
fn build_run_type_exit_and_notify() {
    let mut desktop = Desktop::start();
    desktop.start_notification_double();
    desktop.set_window_size(1280, 800);
    desktop.launch();
    let (_keep, project) = desktop.approved_project(
        "gui-run",
        &[
            "sh",
            "-c",
            "echo paddock-hello-from-the-sandbox; read line; echo \"got:$line\"; exit 3",
        ],
    );
    // Slow enough steps to see a build in progress.
    std::fs::write(project.join("notes.txt"), "the project").unwrap();
    let _cleanup = ProjectCleanup(project.clone());
    desktop
        .activate("open-project", Some(&project))
        .expect("open");
    desktop.wait_for("the project page", |tree| shows(tree, "gui-run"));

    desktop
        .activate("build-project", Some(&project))
        .expect("build");
    let tree = desktop.wait_for("build steps in the log", |tree| {
        shows(tree, "STEP 1/") && shows(tree, "Step ")
    });
    assert!(progress(&tree).is_some(), "a progress bar is shown");
    desktop.screenshot("build-in-progress");
    // Other projects may be listed (sandboxes of other tests on this
    // podman): the build view's own progress and failure count.
    let tree = desktop.wait_for_within("the build to finish", Duration::from_secs(300), |tree| {
        progress(tree) == Some(1.0) || shows(tree, "Build failed")
    });
    assert!(!shows(&tree, "Build failed"), "the build failed");
    assert_eq!(progress(&tree), Some(1.0));

    desktop
        .activate("run-project", Some(&project))
        .expect("run");
    desktop.wait_for("the sandbox's output in the terminal", |tree| {
        terminal_shows(tree, "paddock-hello-from-the-sandbox")
    });
    let tree = desktop.wait_for("the isolation verdict", |tree| {
        shows(tree, "container only")
    });
    // The entrypoint's report fed the verdict; it is not the agent's output.
    let terminal = terminal_text(&tree);
    assert!(
        !terminal.contains("paddock-sandbox") && !terminal.contains("guest-kernel="),
        "the report line is shown: {terminal}"
    );
    assert!(terminal.starts_with("paddock-hello-from-the-sandbox"));
    desktop.screenshot("running-terminal");

    // Keystrokes reach the sandbox's stdin; then the window loses the focus
    // so that the exit is worth a notification.
    desktop.focus();
    desktop
        .display
        .xdotool(&["type", "--delay", "30", "typed-by-the-test"]);
    desktop.key("Return");
    desktop.wait_for("the echoed line", |tree| {
        terminal_shows(tree, "got:typed-by-the-test")
    });
    desktop.unfocus();
    desktop.wait_for("how it ended, with the code", |tree| {
        shows(tree, "The agent ended with an error (exit code 3)")
    });
    let notified = poll(Duration::from_secs(30), Duration::from_millis(300), || {
        let calls = desktop.notifications();
        calls.contains("gui-run: Failed") && calls.contains("(exit code 3)")
    });
    assert!(
        notified,
        "no exit notification; the double saw: {}",
        desktop.notifications()
    );
    desktop.quit();
}

#[test]
fn a_microvm_without_krun_is_refused_before_anything_is_built() {
    let mut desktop = Desktop::launched();
    let (_keep, project) = desktop.approved_project("gui-no-krun", &["sh"]);
    let definition = project.join(".agent-sandbox/paddock.toml");
    let text = std::fs::read_to_string(&definition).unwrap();
    std::fs::write(
        &definition,
        text.replace("runtime = \"container\"", "runtime = \"krun\""),
    )
    .unwrap();
    desktop.approve(&project);
    let _cleanup = ProjectCleanup(project.clone());
    desktop
        .activate("run-project", Some(&project))
        .expect("run");
    let tree = desktop.wait_for_within("the refusal", Duration::from_secs(120), |tree| {
        shows(tree, "The Sandbox Could Not Start")
    });
    assert!(shows(&tree, "crun-krun"), "the refusal names the fix");
    assert!(!shows(&tree, "STEP 1/"), "nothing was built");
    assert_eq!(
        images_of(&project),
        Vec::<String>::new(),
        "an image was built for a sandbox that cannot start"
    );
    desktop.quit();
}

#[test]
fn a_failing_build_shows_the_failing_step() {
    let mut desktop = Desktop::launched();
    let (_keep, project) = desktop.approved_project("gui-fail", &["sh"]);
    // A package list on an image with no package manager fails validation;
    // a bad base image fails the build itself, at its FROM step.
    let definition = project.join(".agent-sandbox/paddock.toml");
    let text = std::fs::read_to_string(&definition).unwrap();
    let base = base_image();
    std::fs::write(
        &definition,
        text.replace(&base, "localhost/paddock-test/does-not-exist:none"),
    )
    .unwrap();
    desktop.approve(&project);
    let _cleanup = ProjectCleanup(project.clone());
    desktop
        .activate("build-project", Some(&project))
        .expect("build");
    let tree = desktop.wait_for_within("the failure", Duration::from_secs(120), |tree| {
        shows(tree, "Build Failed")
    });
    assert!(
        shows(&tree, "STEP 1/") && shows(&tree, "does-not-exist"),
        "the failure names the failing step"
    );
    desktop.screenshot("build-failed");
    desktop.quit();
}

#[test]
fn reattach_after_a_restart_while_the_sandbox_keeps_running() {
    let mut desktop = Desktop::launched();
    let (_keep, project) = desktop.approved_project(
        "gui-reattach",
        &[
            "sh",
            "-c",
            "i=0; while true; do i=$((i+1)); echo tick-$i; sleep 1; done",
        ],
    );
    let _cleanup = ProjectCleanup(project.clone());
    desktop
        .activate("run-project", Some(&project))
        .expect("run builds, then runs");
    desktop.wait_for_within("ticks", Duration::from_secs(300), |tree| {
        terminal_shows(tree, "tick-2")
    });
    desktop.quit();

    // The sandbox outlived the window.
    assert!(runs_for(&project), "the sandbox kept running");

    desktop.launch();
    desktop
        .activate("open-project", Some(&project))
        .expect("open");
    desktop.wait_for("the offer to reattach", |tree| {
        shows(tree, "running without a terminal here")
    });
    desktop
        .activate("run-project", Some(&project))
        .expect("reattach");
    let tree = desktop.wait_for("new ticks in a reattached terminal", |tree| {
        terminal_shows(tree, "tick-")
    });
    assert!(shows(&tree, "Running"));

    // Closing the terminal (a single tab shows no tab bar: its key, or its
    // menu) asks; "Keep Running" detaches and the sandbox goes on.
    desktop.focus();
    desktop.key("ctrl+shift+w");
    desktop.wait_for("the stop-or-keep question", |tree| {
        shows(tree, "Stop the Sandbox?")
    });
    desktop.screenshot("close-terminal");
    desktop.click("Keep Running");
    desktop.wait_for("the detached sandbox", |tree| {
        !shows(tree, "Stop the Sandbox?")
            && nodes(tree, "VteTerminal").is_empty()
            && shows(tree, "running without a terminal here")
    });
    assert!(runs_for(&project), "kept running");

    // Reattached, then closed with "Stop": the sandbox ends.
    desktop
        .activate("run-project", Some(&project))
        .expect("reattach");
    desktop.wait_for("the terminal again", |tree| terminal_shows(tree, "tick-"));
    desktop.focus();
    desktop.key("ctrl+shift+w");
    desktop.wait_for("the question again", |tree| {
        shows(tree, "Stop the Sandbox?")
    });
    desktop.click("_Stop");
    assert!(
        poll(Duration::from_secs(60), Duration::from_millis(500), || {
            !runs_for(&project)
        }),
        "the sandbox was not stopped"
    );
    desktop.wait_for("the project no longer running", |tree| {
        !shows(tree, "Stop the Sandbox?") && !shows(tree, "running without a terminal here")
    });
    desktop.quit();
}

/// The log's scrolled window in the Build view: where it is and where its
/// end is.
fn log_position(tree: &serde_json::Value) -> Option<(f64, f64)> {
    nodes(tree, "GtkScrolledWindow")
        .into_iter()
        .find(|scroller| !nodes(scroller, "GtkTextView").is_empty())
        .and_then(|scroller| {
            Some((
                scroller["scrolled"].as_f64()?,
                scroller["scroll_end"].as_f64()?,
            ))
        })
}

fn scroll_to_end_shown(tree: &serde_json::Value) -> bool {
    nodes(tree, "GtkButton")
        .iter()
        .any(|button| button["tooltip"].as_str() == Some("Scroll to End"))
}

/// At 360 px the log wraps into many more lines than it has: a build that
/// ends while the Build view is hidden is at its end when the view is
/// shown, and stays there until the user scrolls up.
#[test]
fn the_finished_log_is_shown_at_its_end() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(360, 720);
    desktop.launch();
    let (_keep, project) = desktop.approved_project("gui-log-end", &["sh"]);
    let _cleanup = ProjectCleanup(project.clone());
    desktop
        .activate("open-project", Some(&project))
        .expect("open");
    desktop.wait_for("the project page", |tree| shows(tree, "gui-log-end"));
    desktop
        .activate("build-project", Some(&project))
        .expect("build");
    desktop.wait_for("build steps in the log", |tree| shows(tree, "STEP 1/"));
    desktop.view(0).expect("the Sandbox view");
    // The Sandbox view does not say when the build ends: podman does.
    assert!(
        poll(Duration::from_secs(300), Duration::from_millis(200), || {
            !images_of(&project).is_empty()
        }),
        "the build made no image"
    );
    std::thread::sleep(Duration::from_secs(1));
    desktop.view(1).expect("the Build view");
    let tree = desktop.wait_for("the finished log at its end", |tree| {
        progress(tree) == Some(1.0) && log_position(tree).is_some_and(|(at, end)| at >= end - 4.0)
    });
    let (_, end) = log_position(&tree).expect("the log");
    assert!(
        end > 0.0,
        "the log fits the view, so this shows nothing: {end}"
    );
    let tree = desktop.settled();
    assert!(
        !scroll_to_end_shown(&tree),
        "Scroll to End shows at the end"
    );
    desktop.screenshot("build-log-end-narrow");

    // The user's wheel lets go of the end, and the button brings it back.
    let scroller = nodes(&tree, "GtkTextView")[0].clone();
    desktop.point_at(&scroller);
    desktop.wheel(-3);
    desktop.wait_for("Scroll to End after scrolling up", scroll_to_end_shown);
    let at_end_again = |tree: &serde_json::Value| {
        !scroll_to_end_shown(tree) && log_position(tree).is_some_and(|(at, end)| at >= end - 4.0)
    };
    desktop.click("Scroll to End");
    // On a loaded machine the first synthetic click on the button that has
    // just appeared was lost twice in full runs (the pointer on it, its
    // tooltip shown, no click); a second one is what a user would do.
    if !poll(Duration::from_secs(10), Duration::from_millis(200), || {
        at_end_again(&desktop.tree())
    }) {
        desktop.click("Scroll to End");
    }
    desktop.wait_for("the log at its end again", at_end_again);
    desktop.quit();
}
