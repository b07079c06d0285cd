//! `paddock build` against a podman service whose runtime is a stand-in
//! (plain crun claiming libkrun and a version): the image holds the
//! microVM's size in `/.krun_vm.json` exactly when that crun is older than
//! 1.27. How the file and the annotations are made from a plan:
//! tests/engine/vm_sizing.rs.

use sandbox::render::KRUN_VM_FILE;
use support::paddock::TestProject;
use support::podman::{PodmanService, file_in_image, project_filter};
use support::stand_ins;

/// The image `paddock build` made for the project (by the project's label).
fn project_image(project: &TestProject, service: &PodmanService) -> String {
    let (_, images) = service.podman(&[
        "images",
        "--format",
        "{{.Repository}}:{{.Tag}}",
        "--filter",
        &project_filter(&project.root),
    ]);
    let images: Vec<&str> = images.split_whitespace().collect();
    assert_eq!(images.len(), 1, "{images:?}");
    images[0].to_owned()
}

#[test]
fn paddock_build_reads_the_crun_version_from_podman() {
    for (claimed, expected) in [
        (
            "1.21",
            Some(serde_json::json!({"cpus": 3, "ram_mib": 1536})),
        ),
        ("1.27", None),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let conf = stand_ins::krun_runtime(dir.path(), Some(claimed));
        let service = PodmanService::start(&dir.path().join("podman.sock"), Some(&conf));
        let project = TestProject::init("cli-vm-sizing", &["--cpus", "3", "--memory", "1536"]);
        let output = project
            .paddock()
            .env("CONTAINER_HOST", service.container_host())
            .args(["build", project.path()])
            .output()
            .expect("paddock build runs");
        assert!(
            output.status.success(),
            "crun {claimed}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let image = project_image(&project, &service);
        let found = file_in_image(|args| service.podman(args), &image, KRUN_VM_FILE)
            .map(|text| serde_json::from_str::<serde_json::Value>(&text).expect("JSON"));
        assert_eq!(found, expected, "crun {claimed}");
    }
}
