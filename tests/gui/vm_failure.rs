//! A microVM that cannot start says so in the window. A STAND-IN runtime
//! (crun that claims `+LIBKRUN` and whose "VMM" prints libkrun's coloured
//! error line and exits, as measured on a nested KVM host) behind a podman
//! service of the test's own: no krun can run here.

use std::time::Duration;

use support::podman::{PodmanService, ProjectCleanup, project_filter};
use support::stand_ins;

use crate::harness::{Desktop, shows, terminal_text};

#[test]
fn a_stand_in_vmm_that_fails_at_boot_shows_the_microvm_could_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let conf = stand_ins::failing_vmm_runtime(dir.path());
    let service = PodmanService::start(&dir.path().join("podman.sock"), Some(&conf));
    let mut desktop = Desktop::start();
    desktop.launch_with(&[("CONTAINER_HOST", &service.container_host())]);
    let (_keep, project) =
        desktop.approved_project("gui-vmm", &["sh", "-c", "echo the-agent-started"]);
    let definition = project.join(".agent-sandbox/paddock.toml");
    let text = std::fs::read_to_string(&definition).unwrap();
    std::fs::write(
        &definition,
        text.replace("runtime = \"container\"", "runtime = \"krun\""),
    )
    .unwrap();
    desktop.approve(&project);
    let _images = ProjectCleanup(project.clone());

    desktop
        .activate("open-project", Some(&project))
        .expect("open");
    desktop.wait_for("the project page", |tree| shows(tree, "gui-vmm"));
    desktop.build(&project);
    desktop
        .activate("run-project", Some(&project))
        .expect("run");
    let tree = desktop.wait_for_within("the failure", Duration::from_secs(120), |tree| {
        shows(tree, "The microVM Could Not Start")
    });
    desktop.screenshot("harden-vmm-failure");
    assert!(
        shows(&tree, "Received KVM_EXIT_INTERNAL_ERROR signal"),
        "the VMM's own message"
    );
    assert!(shows(&tree, "nested virtualization"), "what to check");
    assert!(shows(&tree, "microVM did not start"), "the header says so");
    assert!(!shows(&tree, "did not report itself"));
    let terminal = terminal_text(&tree);
    assert!(!terminal.contains('\u{1b}'), "{terminal:?}");
    assert!(!terminal.contains("the-agent-started"), "{terminal}");
    desktop.quit();

    // Its sandbox is removed through the service that knows its runtime.
    let (_, names) = service.podman(&[
        "ps",
        "-a",
        "--format",
        "{{.Names}}",
        "--filter",
        &project_filter(&project),
    ]);
    for name in names.lines() {
        service.podman(&["rm", "-f", "-t", "0", name]);
    }
}
