//! The agent cannot widen its own sandbox, with the real podman service: a
//! container-mode sandbox built by the engine from the busybox test image,
//! run with exactly the plan's mounts (the definition's folder read-only on
//! top of the read-write project, an approved extra mount read-only by
//! default). From inside, rewriting paddock.toml fails; the same change
//! made from outside is caught by the approval gate.

use std::path::Path;
use std::process::Command;

use engine::Engine;
use sandbox::approval::{Approvals, Gate, HostSockets, Status};
use sandbox::definition::{Definition, Mount, NetworkMode, Runtime};
use sandbox::host_facts::{HostFacts, VmSizing};
use sandbox::plan::{self, SandboxPlan};
use sandbox::presets::Presets;
use sandbox::project::Project;
use support::podman::{ContainerGuard, ImageGuard, base_image};
use support::{machine, unique};
use tokio_util::sync::CancellationToken;

/// `podman run` with the plan's environment, mounts and options, the way
/// the engine creates the sandbox (same bind options).
fn run_in_sandbox(plan: &SandboxPlan, name: &str, script: &str) -> (i32, String) {
    let c = &plan.container;
    let mut command = Command::new("podman");
    command.args(["run", "--name", name, "--userns=keep-id", "-w", &c.workdir]);
    command.args(["--user", &c.user]);
    if c.network == sandbox::plan::SandboxNetwork::None {
        command.arg("--network=none");
    }
    for (key, value) in &c.env {
        command.args(["-e", &format!("{key}={value}")]);
    }
    for bind in &c.binds {
        let options = if bind.read_only { "ro,z" } else { "rw,z" };
        command.args([
            "-v",
            &format!("{}:{}:{options}", bind.source.display(), bind.target),
        ]);
    }
    command.args([&c.image, "sh", "-c", script]);
    let out = command.output().expect("podman run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_cannot_rewrite_its_definition_and_an_outside_change_needs_approval() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = dir.path().canonicalize().expect("canonical");
    let home = base.join("home");
    let root = base.join("home/src/demo");
    std::fs::create_dir_all(&root).expect("project");
    let datasets = home.join("datasets");
    std::fs::create_dir_all(&datasets).expect("datasets");
    std::fs::write(datasets.join("train.csv"), "a,b\n").expect("data");
    let project = Project::open(&root, &home).expect("project");
    let presets = Presets::builtin();
    let approvals = Approvals::at(home.join(".local/share/paddock/approvals"));
    let sockets = HostSockets::from_env();

    let mut definition = Definition::new("shell", &base_image());
    definition.sandbox.runtime = Runtime::Container;
    definition.set_network_mode(NetworkMode::Offline);
    definition.sandbox.mount = Some("/src/demo".into());
    definition.mounts.push(Mount {
        source: "~/datasets".into(),
        target: "/data".into(),
        read_only: true,
    });
    project.save_definition(&definition).expect("save");
    // As `paddock init` or the window would: what the user wrote is approved.
    approvals
        .approve_written(&project, &presets, &home, &sockets)
        .expect("approve");
    let Gate::Approved(approved) = approvals
        .gate(&project, &presets, &home, &sockets)
        .expect("gate")
    else {
        panic!("just approved");
    };

    let agent = approved
        .definition()
        .resolve_agent(&presets)
        .expect("agent");
    let host = HostFacts {
        uid: machine::uid(),
        gid: machine::gid(),
        kernel: Some(machine::kernel()),
        home: home.clone(),
        vm_sizing: VmSizing::Annotations,
    };
    let plan = plan::plan(&project, &approved, &agent, &host).expect("plan");
    let _image = ImageGuard(plan.build.image.clone());
    let engine = Engine::connect().await.expect("podman service");
    let (sender, _receiver) = tokio::sync::mpsc::unbounded_channel();
    engine
        .build(&plan.build, &sender, &CancellationToken::new())
        .await
        .expect("build");

    let before = std::fs::read_to_string(project.definition_path()).expect("read");
    let name = unique("security-sandbox");
    let _container = ContainerGuard::new(&name);
    let (code, out) = run_in_sandbox(
        &plan,
        &name,
        "echo 'cpus = 64' >> .agent-sandbox/paddock.toml && echo DEFINITION-WRITTEN; \
         rm -f .agent-sandbox/paddock.toml && echo DEFINITION-REMOVED; \
         echo x > .agent-sandbox/Dockerfile && echo CONTAINERFILE-WRITTEN; \
         echo 'cpus = 64' >> /data/train.csv && echo DATA-WRITTEN; \
         cat /data/train.csv; \
         echo work > notes.txt && echo PROJECT-WRITTEN",
    );
    assert_eq!(code, 0, "{out}");
    for refused in [
        "DEFINITION-WRITTEN",
        "DEFINITION-REMOVED",
        "CONTAINERFILE-WRITTEN",
        "DATA-WRITTEN",
    ] {
        assert!(!out.contains(refused), "{refused}: {out}");
    }
    assert!(out.contains("Read-only file system"), "{out}");
    assert!(out.contains("a,b"), "the extra mount is readable: {out}");
    assert!(
        out.contains("PROJECT-WRITTEN"),
        "the project is writable: {out}"
    );
    assert_eq!(
        std::fs::read_to_string(project.definition_path()).expect("read"),
        before
    );
    assert_eq!(
        std::fs::read_to_string(datasets.join("train.csv")).expect("read"),
        "a,b\n"
    );
    assert!(root.join("notes.txt").is_file());
    assert!(!project.sandbox_dir().join("Dockerfile").exists());
    assert!(matches!(
        approvals.gate(&project, &presets, &home, &sockets),
        Ok(Gate::Approved(_))
    ));

    // The same change from outside the sandbox: held for review.
    std::fs::write(project.definition_path(), format!("{before}\n# widened\n")).expect("write");
    match approvals.gate(&project, &presets, &home, &sockets) {
        Ok(Gate::NeedsApproval(review)) => {
            assert_eq!(review.status, Status::Changed);
            assert!(review.diff.contains("+# widened"), "{}", review.diff);
        }
        other => panic!("an outside change must be reviewed: {other:?}"),
    }
    assert!(Path::new(&project.definition_path()).is_file());
}
