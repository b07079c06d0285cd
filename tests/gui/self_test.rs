//! The self-test through the window: System Check's "Run Self-Test" on the
//! real podman service (crun without libkrun) and on a service whose
//! runtime is the +LIBKRUN STAND-IN (plain crun that claims libkrun). Both
//! must say "not a microVM", pass every other check that applies, keep the
//! result for the banner and copy the report.

use std::time::Duration;

use support::podman::PodmanService;
use support::sites::build_gateway;
use support::stand_ins;
use support::wait::poll;

use crate::harness::{Desktop, shows};

fn self_test_in_the_window(desktop: &mut Desktop, shot: &str) {
    // Its gateway check starts the gateway Paddock ships beside itself.
    build_gateway();
    desktop
        .activate("system-check", None)
        .expect("system check");
    desktop.wait_for("the system check", |tree| shows(tree, "Run Self-Test"));
    desktop.settled();
    let started = |tree: &serde_json::Value| {
        shows(tree, "Running the Self-Test") || shows(tree, "Last Self-Test")
    };
    desktop.focus();
    desktop.click("Run Self-Test");
    // A click that lands while the page still lays out its checks is lost
    // under load: one more, then it must have started.
    if !poll(Duration::from_secs(10), Duration::from_millis(300), || {
        started(&desktop.tree())
    }) {
        desktop.click("Run Self-Test");
    }
    desktop.wait_for("the self-test running", started);
    let tree =
        desktop.wait_for_within("the self-test's result", Duration::from_secs(300), |tree| {
            shows(tree, "Last Self-Test") && shows(tree, "Start to exit")
        });
    assert!(shows(&tree, "not a microVM"), "the verdict is shown");
    assert!(
        !shows(&tree, "microVM; guest kernel"),
        "never a microVM here"
    );
    for passed in [
        "owned by you",
        "writing .agent-sandbox/: refused",
        "interfaces: lo",
        "to its exit (code 0)",
        "a gateway for a throw-away sandbox network answered ready in",
    ] {
        assert!(shows(&tree, passed), "{passed:?} is shown");
    }
    // The kept result is a blocking check: the system check and the banner.
    desktop.wait_for("the self-test as a blocking check", |tree| {
        shows(tree, "Self-test") && shows(tree, "Install crun with libkrun")
    });
    desktop.screenshot(shot);
    let kept = desktop.home.data().join("paddock/selftest.json");
    let json = std::fs::read_to_string(&kept).expect("the result is kept");
    assert!(json.contains("\"isolation\""), "{json}");

    desktop.click("Copy Report");
    desktop.wait_for("the Copied toast", |tree| shows(tree, "Copied"));
    desktop.quit();
}

#[test]
fn the_window_runs_the_self_test_in_container_mode() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(1280, 800);
    desktop.launch();
    self_test_in_the_window(&mut desktop, "self-test-container");
}

#[test]
fn the_window_runs_the_self_test_with_the_krun_stand_in() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let conf = stand_ins::krun_runtime(dir.path(), None);
    let service = PodmanService::start(&dir.path().join("podman.sock"), Some(&conf));
    let mut desktop = Desktop::start();
    desktop.set_window_size(1280, 800);
    desktop.launch_with(&[("CONTAINER_HOST", &service.container_host())]);
    self_test_in_the_window(&mut desktop, "self-test-stand-in");
}

/// The window's badge takes the host's verdict too: a container-mode
/// sandbox whose image prints a fake microVM report is "container only".
#[test]
fn a_fake_report_is_not_a_microvm_badge() {
    let mut desktop = Desktop::start();
    desktop.launch();
    let (_keep, dir) = crate::harness::project("gui-fake", &["true"]);
    let sandbox = dir.join(".agent-sandbox");
    std::fs::write(
        sandbox.join("Containerfile.fake"),
        format!(
            "FROM {}\nENTRYPOINT [\"/bin/sh\", \"-c\", \"echo 'paddock-sandbox guest-kernel=6.99.0-fake-krun uid=1000 isolation=microvm'; echo fake-agent-ran; sleep 30\"]\n",
            support::podman::base_image()
        ),
    )
    .unwrap();
    std::fs::write(
        sandbox.join("paddock.toml"),
        "version = 1\n\n[agent]\npreset = \"shell\"\n\n[image]\ncontainerfile = \"Containerfile.fake\"\n\n[resources]\ncpus = 1\nmemory_mib = 512\n\n[sandbox]\nruntime = \"container\"\nnetwork = \"offline\"\n",
    )
    .unwrap();
    desktop.approve(&dir);
    let _cleanup = support::podman::ProjectCleanup(dir.clone());
    desktop.activate("open-project", Some(&dir)).expect("open");
    desktop.wait_for("the project page", |tree| shows(tree, "gui-fake"));
    desktop.activate("run-project", Some(&dir)).expect("run");
    // Paddock sets its own entrypoint now, so the fake line may never be
    // printed; whichever runs, the badge is the host's verdict.
    let tree = desktop.wait_for_within("the verdict", Duration::from_secs(300), |tree| {
        shows(tree, "container only")
    });
    assert!(!crate::harness::terminal_text(&tree).contains("paddock-sandbox"));
    desktop.screenshot("fake-report-badge");
    desktop.quit();
}
