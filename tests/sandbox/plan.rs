//! The plan a project's definition becomes: what the engine builds and runs.

use std::path::Path;

use sandbox::approval::{ApprovalError, Approvals, Approved, Gate, HostSockets};
use sandbox::definition::{AgentHome, Cache, Definition, Runtime};
use sandbox::host_facts::{HostFacts, VmSizing};
use sandbox::names::{LABEL_PROJECT, LABEL_SPEC};
use sandbox::plan::{self, Isolation, SandboxNetwork, SandboxPlan};
use sandbox::presets::Presets;
use sandbox::project::{self, Project};
use sandbox::render::KRUN_VM_FILE;

fn host(home: &Path, vm_sizing: VmSizing) -> HostFacts {
    HostFacts {
        uid: 1000,
        gid: 1000,
        kernel: Some("6.1.0-40-amd64".into()),
        home: home.to_owned(),
        vm_sizing,
    }
}

/// The plan on a host whose crun reads the krun annotations.
pub(crate) fn plan_for(root: &Path, definition: &Definition) -> SandboxPlan {
    plan_with(root, definition, VmSizing::Annotations)
}

fn plan_with(root: &Path, definition: &Definition, vm_sizing: VmSizing) -> SandboxPlan {
    let home = root.parent().expect("parent").join("home");
    let project = Project::open(root, &home).expect("a valid project");
    let presets = Presets::builtin();
    definition.validate(&presets).expect("valid");
    let agent = definition.resolve_agent(&presets).expect("agent");
    let approved = approved(&project, definition, &home);
    plan::plan(&project, &approved, &agent, &host(&home, vm_sizing)).expect("plan")
}

/// `definition` saved in the project and approved, as `paddock init`
/// would: the only way to a plan.
fn approved(project: &Project, definition: &Definition, home: &Path) -> Approved {
    project.save_definition(definition).expect("save");
    let approvals = Approvals::at(home.join(".local/share/paddock/approvals"));
    let sockets = HostSockets::new(Vec::new());
    let presets = Presets::builtin();
    approvals
        .approve_written(project, &presets, home, &sockets)
        .expect("approve");
    match approvals
        .gate(project, &presets, home, &sockets)
        .expect("gate")
    {
        Gate::Approved(approved) => *approved,
        Gate::NeedsApproval(_) => panic!("just approved"),
    }
}

fn containerfile(plan: &SandboxPlan) -> String {
    String::from_utf8_lossy(&plan.build.context[&plan.build.containerfile]).into_owned()
}

pub(crate) fn base() -> Definition {
    let mut definition = Definition::new("claude", "registry.fedoraproject.org/fedora:44");
    definition.caches.push(Cache {
        name: "venv".into(),
        path: "/venv".into(),
    });
    definition
}

#[test]
fn a_microvm_plan() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("demo");
    std::fs::create_dir_all(&root).expect("project");
    let root = root.canonicalize().expect("canonical");
    let plan = plan_for(&root, &base());

    let c = &plan.container;
    assert!(c.name.starts_with("paddock-demo-"), "{}", c.name);
    assert_eq!(c.image, plan.build.image);
    assert!(c.image.starts_with("localhost/paddock/demo-"));
    assert_eq!(c.workdir, "/src/demo");
    assert_eq!(c.isolation, Isolation::MicroVm);
    assert_eq!(c.limits, None, "a microVM is bounded by its own size");
    assert_eq!(
        c.annotations.get("run.oci.handler").map(String::as_str),
        Some("krun")
    );
    assert_eq!(
        c.annotations.get("krun.cpus").map(String::as_str),
        Some("2")
    );
    assert_eq!(
        c.annotations.get("krun.ram_mib").map(String::as_str),
        Some("4096")
    );
    assert_eq!(
        c.env.get("PADDOCK_HOST_KERNEL").map(String::as_str),
        Some("6.1.0-40-amd64")
    );
    assert_eq!(
        c.env.get("PADDOCK_ISOLATION").map(String::as_str),
        Some("microvm")
    );
    assert_eq!(c.env.get("PADDOCK_UID").map(String::as_str), Some("1000"));
    assert_eq!(
        c.env.get("CLAUDE_CONFIG_DIR").map(String::as_str),
        Some("/home/agent/.claude")
    );
    assert_eq!(c.command, None, "the image's CMD is the agent");
    assert_eq!(c.network, SandboxNetwork::Full);

    assert_eq!(c.binds.len(), 2);
    assert_eq!(
        (
            c.binds[0].source.as_path(),
            c.binds[0].target.as_str(),
            c.binds[0].read_only
        ),
        (root.as_path(), "/src/demo", false)
    );
    assert_eq!(
        (
            c.binds[1].source.as_path(),
            c.binds[1].target.as_str(),
            c.binds[1].read_only
        ),
        (
            root.join(".agent-sandbox").as_path(),
            "/src/demo/.agent-sandbox",
            true
        )
    );
    let volumes: Vec<(&str, &str)> = c
        .volumes
        .iter()
        .map(|v| (v.volume.as_str(), v.target.as_str()))
        .collect();
    // The settings are the project's own; the login is every project's.
    assert!(
        volumes[0].0.starts_with("paddock-demo-")
            && volumes[0].0.ends_with("-claude-home")
            && volumes[0].1 == "/home/agent/.claude",
        "{volumes:?}"
    );
    assert_eq!(volumes[1], ("paddock-claude-login", "/.paddock/login"));
    assert_eq!(
        plan.login
            .as_ref()
            .map(|l| (l.shared_home.as_str(), l.files.clone())),
        Some(("paddock-claude-home", vec![".credentials.json".to_owned()]))
    );
    assert!(
        volumes[2].0.starts_with("paddock-demo-")
            && volumes[2].0.ends_with("-cache-venv")
            && volumes[2].1 == "/venv",
        "{volumes:?}"
    );

    assert_eq!(
        c.labels.get(LABEL_PROJECT).map(String::as_str),
        root.to_str()
    );
    let spec = c.labels.get(LABEL_SPEC).expect("spec label");
    assert!(plan.build.image.ends_with(&format!(":{spec}")));
    assert_eq!(plan.build.labels, c.labels);
    assert_eq!(plan.build.containerfile, "Containerfile");
    assert_eq!(
        plan.build.context.keys().collect::<Vec<_>>(),
        ["Containerfile", "entrypoint.sh"]
    );
    assert_eq!(
        plan.build.build_args.get("HOST_UID").map(String::as_str),
        Some("1000")
    );
}

#[test]
fn a_container_plan_has_no_krun_annotations() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("demo");
    std::fs::create_dir_all(&root).expect("project");
    let mut definition = base();
    definition.sandbox.runtime = Runtime::Container;
    definition.agent.home = AgentHome::Project;
    definition.resources.pids = 512;
    let plan = plan_for(&root, &definition);
    assert!(plan.container.annotations.is_empty());
    assert_eq!(plan.container.isolation, Isolation::Container);
    assert_eq!(
        plan.container.limits,
        Some(definition.resources),
        "a container gets the CPUs, memory and process limit as cgroup limits"
    );
    assert_eq!(
        plan.container
            .env
            .get("PADDOCK_ISOLATION")
            .map(String::as_str),
        Some("container")
    );
    let home = &plan.container.volumes[0].volume;
    assert!(
        home.starts_with("paddock-demo-") && home.ends_with("-claude-home"),
        "{home}"
    );
}

#[test]
fn the_image_tag_follows_what_goes_into_the_image() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("demo");
    std::fs::create_dir_all(&root).expect("project");
    let first = plan_for(&root, &base()).build.image.clone();
    assert_eq!(
        plan_for(&root, &base()).build.image,
        first,
        "unchanged definition, same tag: no rebuild"
    );

    let mut env_only = base();
    env_only.env.insert("FOO".into(), "bar".into());
    env_only.resources.cpus = 8;
    assert_eq!(
        plan_for(&root, &env_only).build.image,
        first,
        "run-time settings do not touch the image"
    );

    let mut packages = base();
    packages.image.packages.push("vim".into());
    assert_ne!(plan_for(&root, &packages).build.image, first);
}

#[test]
fn under_a_crun_older_than_1_27_the_vm_size_is_built_into_the_image() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("demo");
    std::fs::create_dir_all(&root).expect("project");
    let old_crun = VmSizing::for_crun(Some("1.21"));
    let first = plan_with(&root, &base(), old_crun);
    let file = containerfile(&first);
    assert!(
        file.contains(&format!(
            "'{{\"cpus\":2,\"ram_mib\":4096}}' >{KRUN_VM_FILE}"
        )),
        "{file}"
    );
    assert_eq!(
        first
            .container
            .annotations
            .get("krun.cpus")
            .map(String::as_str),
        Some("2"),
        "the annotations stay for when crun is updated"
    );

    let mut more_cpus = base();
    more_cpus.resources.cpus = 8;
    let mut more_memory = base();
    more_memory.resources.memory_mib = 8192;
    for changed in [&more_cpus, &more_memory] {
        assert_ne!(
            plan_with(&root, changed, old_crun).build.image,
            first.build.image,
            "a new size is a new image"
        );
        assert_eq!(
            plan_with(&root, changed, VmSizing::Annotations).build.image,
            plan_for(&root, &base()).build.image,
            "with crun 1.27 the size is only an annotation"
        );
    }
    assert!(!containerfile(&plan_for(&root, &base())).contains(KRUN_VM_FILE));

    let mut container = base();
    container.sandbox.runtime = Runtime::Container;
    let plain = plan_with(&root, &container, old_crun);
    assert!(!containerfile(&plain).contains(KRUN_VM_FILE));
    container.resources.cpus = 8;
    assert_eq!(
        plan_with(&root, &container, old_crun).build.image,
        plain.build.image,
        "a container has no VM to size"
    );
}

#[test]
fn a_handwritten_containerfile_is_built_as_it_is_and_started_with_paddocks_entrypoint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("demo");
    std::fs::create_dir_all(root.join(".agent-sandbox")).expect("project");
    std::fs::write(root.join(".agent-sandbox/Dockerfile"), "FROM fedora:44\n").expect("Dockerfile");
    let mut definition = Definition::new("claude", "unused");
    definition.image.base = None;
    definition.image.containerfile = Some("Dockerfile".into());
    definition.image.user_home = Some("/home/appuser".into());
    definition.sandbox.mount = Some("/app".into());
    let plan = plan_for(&root, &definition);
    assert_eq!(plan.build.containerfile, "Dockerfile");
    let built = String::from_utf8(plan.build.context["Dockerfile"].clone()).expect("text");
    assert!(built.starts_with("FROM fedora:44\n"), "{built}");
    assert!(
        built.ends_with("\nCOPY --chmod=0755 entrypoint.sh /usr/local/bin/paddock-entrypoint\n"),
        "the entrypoint is the final image's last step: {built}"
    );
    assert!(plan.build.context.contains_key("entrypoint.sh"));
    assert_eq!(
        plan.container.entrypoint,
        ["/usr/local/bin/paddock-entrypoint"],
        "whatever ENTRYPOINT the file sets"
    );
    assert_eq!(
        plan.container.user, "1000:1000",
        "whatever USER the file sets"
    );
    assert_eq!(
        plan.container.command,
        Some(vec![
            "claude".to_owned(),
            "--dangerously-skip-permissions".to_owned()
        ])
    );
    assert_eq!(plan.container.volumes[0].target, "/home/appuser/.claude");
    let first = plan.build.image.clone();
    std::fs::write(root.join(".agent-sandbox/Dockerfile"), "FROM fedora:43\n").expect("Dockerfile");
    assert_ne!(
        plan_for(&root, &definition).build.image,
        first,
        "the hash covers the hand-written file"
    );
}

#[test]
fn a_linked_agent_sandbox_folder_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("demo");
    let elsewhere = dir.path().join("secrets");
    std::fs::create_dir_all(&root).expect("project");
    std::fs::create_dir_all(&elsewhere).expect("elsewhere");
    std::fs::write(elsewhere.join("paddock.toml"), "version = 1\n").expect("file");
    std::os::unix::fs::symlink(&elsewhere, root.join(".agent-sandbox")).expect("link");
    let home = dir.path().join("home");
    let project = Project::open(&root, &home).expect("project");
    let presets = Presets::builtin();
    let definition = base();
    let refused = |result: Result<(), project::ProjectError>| {
        let error = result.expect_err("refused");
        assert!(
            matches!(error, project::ProjectError::Symlink { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("symbolic link"), "{error}");
    };
    let approvals = Approvals::at(home.join("approvals"));
    refused(
        match approvals.gate(&project, &presets, &home, &HostSockets::new(Vec::new())) {
            Err(ApprovalError::Project(error)) => Err(error),
            Err(other) => panic!("{other}"),
            Ok(_) => Ok(()),
        },
    );
    refused(project.load_definition(&presets).map(|_| ()));
    refused(project.save_definition(&definition));
    assert_eq!(
        std::fs::read_to_string(elsewhere.join("paddock.toml")).expect("file"),
        "version = 1\n",
        "untouched"
    );
}

#[test]
fn a_linked_file_is_not_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("demo");
    std::fs::create_dir_all(root.join(".agent-sandbox")).expect("project");
    std::fs::write(dir.path().join("id_ed25519"), "PRIVATE KEY").expect("file");
    std::os::unix::fs::symlink(
        dir.path().join("id_ed25519"),
        root.join(".agent-sandbox/Dockerfile"),
    )
    .expect("link");
    let project = Project::open(&root, &dir.path().join("home")).expect("project");
    let error = project
        .read_sandbox_file("Dockerfile")
        .expect_err("refused");
    assert!(!error.to_string().contains("PRIVATE KEY"));
    assert!(
        matches!(error, project::ProjectError::Symlink { .. }),
        "{error}"
    );
}

#[test]
fn a_bind_source_whose_name_is_not_utf8_is_refused_not_altered() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"data-\xff-latin1"));
    std::fs::create_dir_all(&source).expect("a folder with a Latin-1 name");
    let error = plan::Bind::pinned(source, "/data".into(), true)
        .expect_err("a name podman's API cannot carry");
    let message = error.to_string();
    assert!(message.contains("not valid UTF-8"), "{message}");
    assert!(message.contains("rename it"), "{message}");
    assert!(message.contains("data-\u{fffd}-latin1"), "{message}");
}
