//! A microVM's CPUs and memory under an old and a new crun, built for real
//! with rootless podman, and the image's `/.krun_vm.json` read back with
//! `podman cp`: once from a plan made with a stated crun version fact, once
//! through `paddock build` against a podman service whose runtime is a
//! stand-in (plain crun claiming libkrun and a version). No VM starts here;
//! what crun's krun handler does with the file is taken from crun's source
//! (see `render::KRUN_VM_FILE`).

mod engine_support;
mod host_support;

use std::path::Path;

use engine::{BuildOutcome, Engine};
use engine_support::{ImageGuard, TestProject, base_image, podman, unique};
use host_support::{PodmanService, krun_runtime_stand_in};
use sandbox::definition::Definition;
use sandbox::host_facts::{HostFacts, VmSizing};
use sandbox::plan::{self, SandboxPlan};
use sandbox::presets::Presets;
use sandbox::project::Project;
use sandbox::render::KRUN_VM_FILE;
use tokio_util::sync::CancellationToken;

fn id(flag: &str) -> u32 {
    let out = std::process::Command::new("id")
        .arg(flag)
        .output()
        .expect("id");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a number")
}

/// The plan for a shell sandbox with 3 CPUs and 1536 MiB, on a host whose
/// podman reports `crun_version`.
fn plan(root: &Path, crun_version: &str) -> SandboxPlan {
    let home = root.parent().expect("parent").join("home");
    let project = Project::open(root, &home).expect("a valid project");
    let presets = Presets::builtin();
    let mut definition = Definition::new("shell", &base_image());
    definition.resources.cpus = 3;
    definition.resources.memory_mib = 1536;
    definition.validate(&presets).expect("valid");
    let agent = definition.resolve_agent(&presets).expect("agent");
    let host = HostFacts {
        uid: id("-u"),
        gid: id("-g"),
        kernel: Some("6.1.0-host".into()),
        home,
        vm_sizing: VmSizing::for_crun(Some(crun_version)),
    };
    plan::plan(&project, &definition, &agent, &host).expect("plan")
}

/// Builds the plan's image; the guard removes it.
fn build(plan: &SandboxPlan) -> ImageGuard {
    let guard = ImageGuard(plan.build.image.clone());
    engine_support::runtime().block_on(async {
        let engine = Engine::connect().await.expect("podman");
        let (sender, _receiver) = tokio::sync::mpsc::unbounded_channel();
        let outcome = engine
            .build(&plan.build, &sender, &CancellationToken::new())
            .await
            .expect("the sandbox image builds");
        assert_eq!(outcome, BuildOutcome::Built);
    });
    guard
}

/// The image's `/.krun_vm.json`, `None` when it has none.
fn vm_file(image: &str) -> Option<String> {
    vm_file_through(None, image)
}

/// The same, asking the podman service at `container_host` when given.
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

#[test]
fn an_old_crun_gets_the_size_in_the_image_and_a_new_one_does_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join(unique("vm-sizing"));
    std::fs::create_dir(&root).expect("project");

    let old = plan(&root, "1.21");
    let new = plan(&root, "1.27");
    assert_ne!(old.build.image, new.build.image);

    let _old_image = build(&old);
    let text = vm_file(&old.build.image).expect("crun 1.21: the image has /.krun_vm.json");
    let config: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(config, serde_json::json!({"cpus": 3, "ram_mib": 1536}));
    assert!(config["cpus"].is_u64() && config["ram_mib"].is_u64());

    let _new_image = build(&new);
    assert_eq!(
        vm_file(&new.build.image),
        None,
        "crun 1.27 reads the annotations; the image has no /.krun_vm.json"
    );
    assert_eq!(
        new.container
            .annotations
            .get("krun.cpus")
            .map(String::as_str),
        Some("3")
    );
    assert_eq!(
        new.container
            .annotations
            .get("krun.ram_mib")
            .map(String::as_str),
        Some("1536")
    );
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
