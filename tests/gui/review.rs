//! The trust gate through the real window and the real podman service: a
//! definition the user never approved, or one changed since, is neither
//! built nor run until the user approves it in the window's review; what
//! the window approves the CLI runs without asking, and the other way
//! round; the review shows escape sequences escaped.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use support::podman::{ProjectCleanup, podman};

use crate::harness::{self, Desktop, nodes, shows};

fn progress(tree: &serde_json::Value) -> Option<f64> {
    nodes(tree, "GtkProgressBar")
        .first()
        .and_then(|bar| bar["fraction"].as_f64())
}

/// Images and containers podman has for the project.
fn podman_objects(project: &Path) -> String {
    let label = format!("label=io.github.paddockapp.project={}", project.display());
    let (_, images) = podman(&["images", "-q", "--filter", &label]);
    let (_, containers) = podman(&["ps", "-aq", "--filter", &label]);
    format!("{}{}", images.trim(), containers.trim())
}

fn cli(desktop: &Desktop, args: &[&str]) -> (bool, String) {
    let output = desktop
        .paddock()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("paddock");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

/// The top of the review's heading and of the scrolled view it is in.
fn heading_and_view(tree: &serde_json::Value) -> Option<(f64, f64)> {
    fn walk(node: &serde_json::Value, view: Option<f64>) -> Option<(f64, f64)> {
        let top = node["bounds"][1].as_f64();
        let view = if node["type"] == "GtkScrolledWindow" {
            top
        } else {
            view
        };
        if node["type"] == "GtkLabel" && node["text"] == "Review the Sandbox Definition" {
            return Some((top?, view?));
        }
        node["children"]
            .as_array()?
            .iter()
            .find_map(|child| walk(child, view))
    }
    walk(tree, None)
}

fn review_shown(tree: &serde_json::Value) -> bool {
    shows(tree, "Review the Sandbox Definition")
}

#[test]
fn the_window_builds_and_runs_only_what_the_user_approved_in_its_review() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(1280, 800);
    desktop.launch();
    // Written by someone else (a clone): never approved.
    let (_keep, project) = harness::project(
        "gui-review",
        &["sh", "-c", "echo approved-agent-ran; sleep 600"],
    );
    let _cleanup = ProjectCleanup(project.clone());
    desktop
        .activate("open-project", Some(&project))
        .expect("open");
    desktop.wait_for("the banner asking for a review", |tree| {
        shows(tree, "You have not approved this sandbox definition yet")
    });

    // Build: the review comes first; Cancel builds nothing.
    desktop
        .activate("build-project", Some(&project))
        .expect("build");
    let tree = desktop.wait_for("the review dialog", review_shown);
    assert!(shows(&tree, "current/paddock.toml"), "the diff is shown");
    assert!(
        shows(&tree, "isolation: container only"),
        "the notes are shown"
    );
    desktop.screenshot("review-dialog");
    desktop.click("Cancel");
    let tree = desktop.wait_for("the dialog to close", |tree| !review_shown(tree));
    assert!(!shows(&tree, "STEP 1/"), "nothing was built");
    assert_eq!(podman_objects(&project), "", "nothing reached podman");

    // Run: the review again; Approve and Run builds and runs.
    desktop
        .activate("run-project", Some(&project))
        .expect("run");
    desktop.wait_for("the review dialog", review_shown);
    desktop.click("Approve and Run");
    desktop.wait_for_within(
        "the approved agent in the terminal",
        Duration::from_secs(300),
        |tree| {
            nodes(tree, "VteTerminal").iter().any(|t| {
                t["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("approved-agent-ran"))
            })
        },
    );
    let tree = desktop.settled();
    assert!(
        !shows(&tree, "You have not approved this sandbox definition yet"),
        "the banner is gone once approved"
    );

    // What the window approved, the CLI builds without asking.
    let (ok, out) = cli(&desktop, &["build", &project.display().to_string()]);
    assert!(ok, "{out}");
    assert!(!out.contains("Approve this sandbox definition"), "{out}");

    // A change from outside, with an escape sequence in a comment that
    // would erase the line above it in a terminal (C1 CSI, which TOML
    // accepts in comments; 7-bit ESC would make the file invalid).
    let definition = project.join(".agent-sandbox/paddock.toml");
    let mut text = std::fs::read_to_string(&definition).expect("read");
    text.push_str("\n[env]\nSNEAKY = \"1\" # looks harmless\u{9b}1A\u{9b}2K\n");
    std::fs::write(&definition, text).expect("write");
    desktop.wait_for("the banner saying it changed", |tree| {
        shows(tree, "The sandbox definition changed since you approved it")
    });
    desktop
        .activate("build-project", Some(&project))
        .expect("build");
    let tree = desktop.wait_for("the review of the change", review_shown);
    assert!(shows(&tree, "+SNEAKY"), "the change is in the diff");
    assert!(
        shows(&tree, "\\x9b1A\\x9b2K"),
        "the escape is shown escaped"
    );
    assert!(shows(&tree, "WARNING: paddock.toml"), "and warned about");
    desktop.screenshot("review-dialog-changed");
    desktop.click("Cancel");
    desktop.wait_for("the dialog to close", |tree| !review_shown(tree));

    // The CLI refuses it too without an answer, and approves it with
    // --approve; then the window builds without asking.
    let (ok, out) = cli(&desktop, &["build", &project.display().to_string()]);
    assert!(!ok, "{out}");
    assert!(out.contains("was not approved"), "{out}");
    let (ok, out) = cli(
        &desktop,
        &["build", "--approve", &project.display().to_string()],
    );
    assert!(ok, "{out}");
    desktop
        .activate("build-project", Some(&project))
        .expect("build");
    let tree = desktop.wait_for_within("the build to finish", Duration::from_secs(300), |tree| {
        review_shown(tree) || progress(tree) == Some(1.0)
    });
    assert!(!review_shown(&tree), "approved in the CLI: no review");
}

/// The review fits a narrow window, in the light and the dark style.
#[test]
fn the_review_fits_a_narrow_window_in_both_styles() {
    let (_keep, project) = harness::project("gui-review-narrow", &["sh"]);
    let _cleanup = ProjectCleanup(project.clone());
    for (scheme, name) in [
        ("prefer-light", "review-dialog-narrow"),
        ("prefer-dark", "review-dialog-narrow-dark"),
    ] {
        let mut desktop = Desktop::start();
        desktop.set_window_size(360, 640);
        desktop.launch_with(&[("ADW_DEBUG_COLOR_SCHEME", scheme)]);
        desktop
            .activate("open-project", Some(&project))
            .expect("open");
        desktop.wait_for("the project page", |tree| shows(tree, "gui-review-narrow"));
        desktop
            .activate("build-project", Some(&project))
            .expect("build");
        desktop.wait_for("the review dialog", review_shown);
        let tree = desktop.settled();
        // The dialog scrolls when it is taller than the window: it opens
        // at its top, the heading in view (not scrolled to its focused
        // button).
        let (heading, view) = heading_and_view(&tree).expect("the heading in a scrolled view");
        assert!(
            heading >= view - 0.5,
            "the heading starts at y={heading}, above its view's top at y={view}"
        );
        assert!(
            harness::outside_window(&tree).is_empty(),
            "clipped: {:?}",
            harness::outside_window(&tree)
        );
        desktop.screenshot(name);
        desktop.click("Cancel");
        desktop.wait_for("the dialog to close", |tree| !review_shown(tree));
        assert_eq!(podman_objects(&project), "", "nothing was built");
    }
}
