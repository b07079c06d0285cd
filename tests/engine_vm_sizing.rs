//! `paddock build` against a podman service whose runtime is a stand-in
//! (plain crun claiming libkrun and a version): the image holds the
//! microVM's size in `/.krun_vm.json`, read back with `podman cp`, exactly
//! when that crun is older than 1.27. How the file and the annotations are
//! made from a plan: tests/engine/vm_sizing.rs.

mod engine_support;
mod host_support;

use engine_support::{TestProject, podman, unique};
use host_support::{PodmanService, krun_runtime_stand_in};
use sandbox::render::KRUN_VM_FILE;

/// The image's `/.krun_vm.json`, `None` when it has none, asking the
/// podman service at `container_host` when given.
fn vm_file_through(container_host: Option<&str>, image: &str) -> Option<String> {
    let podman = |args: &[&str]| match container_host {
        None => podman(args),
        Some(host) => {
            let mut all = vec!["--url", host];
            all.extend_from_slice(args);
            podman(&all)
        }
    };
    let name = unique("vm-file");
    let (created, out) = podman(&["create", "--name", &name, image]);
    assert!(created, "podman create: {out}");
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("krun_vm.json");
    let (copied, out) = podman(&[
        "cp",
        &format!("{name}:{KRUN_VM_FILE}"),
        target.to_str().expect("a text path"),
    ]);
    let _ = podman(&["rm", "-f", &name]);
    if !copied {
        assert!(
            out.contains("no such file or directory"),
            "podman cp failed otherwise: {out}"
        );
        return None;
    }
    Some(std::fs::read_to_string(&target).expect("the copied file"))
}

/// The image `paddock build` made for the project (by the project's label).
fn project_image(project: &TestProject, container_host: &str) -> String {
    let (_, images) = podman(&[
        "--url",
        container_host,
        "images",
        "--format",
        "{{.Repository}}:{{.Tag}}",
        "--filter",
        &format!("label=io.github.paddockapp.project={}", project.path()),
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
        let conf = krun_runtime_stand_in(dir.path(), Some(claimed));
        let service = PodmanService::start(&dir.path().join("podman.sock"), Some(&conf));
        let host = service.container_host();
        let project = TestProject::init("cli-vm-sizing", &["--cpus", "3", "--memory", "1536"]);
        let output = project
            .paddock()
            .env("CONTAINER_HOST", &host)
            .args(["build", project.path()])
            .output()
            .expect("paddock build runs");
        assert!(
            output.status.success(),
            "crun {claimed}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let image = project_image(&project, &host);
        let found = vm_file_through(Some(&host), &image)
            .map(|text| serde_json::from_str::<serde_json::Value>(&text).expect("JSON"));
        assert_eq!(found, expected, "crun {claimed}");
    }
}
