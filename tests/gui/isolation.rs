//! The header's isolation badge is a button whose popover says what the
//! isolation means for this project, in plain words: a container-mode
//! definition on the local busybox image under real rootless podman (no
//! krun runtime exists here, so the microVM texts are not reached).

use std::time::Duration;

use support::podman::ProjectCleanup;

use crate::harness::{Desktop, nodes, shows, texts};

#[test]
fn the_isolation_badge_opens_a_popover_that_explains_container_only() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(1280, 800);
    desktop.launch();
    let (_keep, project) = desktop.approved_project("gui-badge", &["sh", "-c", "sleep 600"]);
    let _cleanup = ProjectCleanup(project.clone());
    desktop
        .activate("open-project", Some(&project))
        .expect("open");
    desktop.wait_for("the project page", |tree| shows(tree, "gui-badge"));
    desktop.build(&project);
    desktop
        .activate("run-project", Some(&project))
        .expect("run");
    let tree = desktop.wait_for_within("the badge", Duration::from_secs(60), |tree| {
        !nodes(tree, "GtkMenuButton").is_empty() && shows(tree, "container only")
    });
    assert!(
        nodes(&tree, "GtkPopover").is_empty(),
        "no popover before a click"
    );
    assert!(!shows(&tree, "Runs in a Container Only"));

    desktop.click("container only");
    let tree = desktop.wait_for("the popover", |tree| !nodes(tree, "GtkPopover").is_empty());
    let popover = texts(nodes(&tree, "GtkPopover")[0]);
    assert!(
        popover.iter().any(|t| t == "Runs in a Container Only"),
        "{popover:?}"
    );
    let explanation = popover.join("\n");
    assert!(
        explanation.contains("shares this computer’s kernel")
            && explanation.contains("Choose microVM under Isolation"),
        "what it means and what to do: {explanation}"
    );
    // The badge's own word is not repeated below the explanation.
    assert!(
        !popover.iter().any(|t| t == "container only"),
        "{popover:?}"
    );
    desktop.screenshot("polish-isolation-popover");

    desktop.key("Escape");
    desktop.wait_for("the popover to close", |tree| {
        nodes(tree, "GtkPopover").is_empty()
    });
    desktop.quit();
}
