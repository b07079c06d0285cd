//! A microVM's CPUs and memory under an old and a new crun, built for real
//! with rootless podman from plans made with a stated crun version fact,
//! and the image's `/.krun_vm.json` read back with `podman cp`. No VM
//! starts here; what crun's krun handler does with the file is taken from
//! crun's source (see `render::KRUN_VM_FILE`). The same through `paddock
//! build`: tests/cli/vm_sizing.rs.

use std::path::Path;

use engine::{BuildOutcome, Engine};
use sandbox::definition::Definition;
use sandbox::host_facts::{HostFacts, VmSizing};
use sandbox::plan::{self, SandboxPlan};
use sandbox::presets::Presets;
use sandbox::project::Project;
use sandbox::render::KRUN_VM_FILE;
use support::podman::{ImageGuard, base_image, file_in_image, podman};
use support::{machine, unique};
use tokio_util::sync::CancellationToken;

use crate::plans::runtime;

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
        uid: machine::uid(),
        gid: machine::gid(),
        kernel: Some("6.1.0-host".into()),
        home: home.clone(),
        vm_sizing: VmSizing::for_crun(Some(crun_version)),
    };
    let approved = crate::plans::approved(&project, &definition, &home);
    plan::plan(&project, &approved, &agent, &host).expect("plan")
}

/// Builds the plan's image; the guard removes it.
fn build(plan: &SandboxPlan) -> ImageGuard {
    let guard = ImageGuard(plan.build.image.clone());
    runtime().block_on(async {
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

#[test]
fn an_old_crun_gets_the_size_in_the_image_and_a_new_one_does_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join(unique("vm-sizing"));
    std::fs::create_dir(&root).expect("project");

    let old = plan(&root, "1.21");
    let new = plan(&root, "1.27");
    assert_ne!(old.build.image, new.build.image);

    let _old_image = build(&old);
    let text = file_in_image(podman, &old.build.image, KRUN_VM_FILE)
        .expect("crun 1.21: the image has /.krun_vm.json");
    let config: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(config, serde_json::json!({"cpus": 3, "ram_mib": 1536}));
    assert!(config["cpus"].is_u64() && config["ram_mib"].is_u64());

    let _new_image = build(&new);
    assert_eq!(
        file_in_image(podman, &new.build.image, KRUN_VM_FILE),
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
