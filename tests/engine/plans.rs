//! Plans built by hand and sessions read to their end: the engine knows
//! nothing of paddock.toml, so its tests say exactly what to build and run.

use std::collections::BTreeMap;
use std::path::Path;

use engine::{Engine, Output, Session};
use sandbox::approval::{Approvals, Approved, Gate, HostSockets};
use sandbox::definition::Definition;
use sandbox::plan::{
    Bind, BuildNetwork, BuildPlan, ContainerPlan, Gated, Isolation, SandboxNetwork,
};
use sandbox::presets::Presets;
use sandbox::project::Project;
use support::podman::{ContainerGuard, ImageGuard, PROJECT_LABEL, base_image};
use support::{machine, unique};

/// A plan whose Containerfile is `FROM <base>` followed by `steps`.
pub fn build_plan(image: &str, steps: &str) -> Gated<BuildPlan> {
    Gated::unchecked(BuildPlan {
        image: image.to_owned(),
        context: BTreeMap::from([(
            "Containerfile".to_owned(),
            format!("FROM {}\n{steps}", base_image()).into_bytes(),
        )]),
        containerfile: "Containerfile".into(),
        build_args: BTreeMap::new(),
        labels: BTreeMap::from([(PROJECT_LABEL.to_owned(), "/tmp/paddock-test".to_owned())]),
        network: BuildNetwork::Private,
    })
}

/// `definition` saved in the project and approved (in approvals kept
/// under `home`), as `paddock init` would: the only way to a real plan.
pub fn approved(project: &Project, definition: &Definition, home: &Path) -> Approved {
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

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A sandbox plan made by hand: `project` mounted read-write at /work with
/// its `.agent-sandbox/` read-only on top, running `command` as a container.
pub fn container_plan(
    name: &str,
    image: &str,
    project: &Path,
    command: &[&str],
) -> Gated<ContainerPlan> {
    let sandbox_dir = project.join(".agent-sandbox");
    std::fs::create_dir_all(&sandbox_dir).expect("a temp project");
    let project = project.canonicalize().expect("a canonical project path");
    let sandbox_dir = sandbox_dir.canonicalize().expect("a canonical path");
    Gated::unchecked(ContainerPlan {
        name: name.to_owned(),
        image: image.to_owned(),
        // The plain test image has no entrypoint of Paddock's: `env` just
        // runs the command.
        entrypoint: vec!["env".to_owned()],
        user: format!("{}:{}", machine::uid(), machine::gid()),
        command: Some(command.iter().map(|arg| (*arg).to_owned()).collect()),
        workdir: "/work".into(),
        env: BTreeMap::from([("TERM".to_owned(), "xterm-256color".to_owned())]),
        annotations: BTreeMap::new(),
        labels: BTreeMap::from([(PROJECT_LABEL.to_owned(), project.display().to_string())]),
        binds: vec![
            Bind::pinned(project, "/work".into(), false).expect("pinned"),
            Bind::pinned(sandbox_dir, "/work/.agent-sandbox".into(), true).expect("pinned"),
        ],
        volumes: Vec::new(),
        network: SandboxNetwork::Full,
        isolation: Isolation::Container,
        limits: None,
        secrets: Default::default(),
    })
}

/// Builds the plain test image (base + nothing) under a unique tag.
pub async fn test_image(engine: &Engine, test: &str) -> ImageGuard {
    let image = format!("localhost/{}:spec1", unique(test));
    let plan = build_plan(&image, "RUN true\n");
    let (sender, _receiver) = tokio::sync::mpsc::unbounded_channel();
    engine
        .build(&plan, &sender, &tokio_util::sync::CancellationToken::new())
        .await
        .expect("the test image builds");
    ImageGuard(image)
}

/// Reads a session to its end, returning stdout (terminal output) and stderr.
pub async fn read_all(session: &mut Session) -> (String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    while let Some(chunk) = session.output.next().await {
        match chunk.expect("the output stream") {
            Output::Stdout(bytes) => out.extend(bytes),
            Output::Stderr(bytes) => err.extend(bytes),
            Output::Verdict(_) => {}
        }
    }
    (
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

/// Runs a plan to its end without a terminal: (exit code, stdout, stderr).
pub async fn run_to_end(engine: &Engine, plan: &Gated<ContainerPlan>) -> (i64, String, String) {
    engine
        .create(plan, false, &BTreeMap::new())
        .await
        .expect("the sandbox is created");
    let mut session = engine.attach(&plan.name, false).await.expect("attach");
    engine.start(plan).await.expect("start");
    session.input.close().await.expect("closing stdin");
    let (out, err) = read_all(&mut session).await;
    let code = engine.wait(&plan.name).await.expect("wait");
    (code, out, err)
}

/// Where most engine tests start: a connected engine, the plain test image,
/// a project folder, and the name of a sandbox that is removed at the end.
pub struct Fixture {
    pub engine: Engine,
    pub name: String,
    pub project: tempfile::TempDir,
    // Before the image: the sandbox goes first.
    _sandbox: ContainerGuard,
    pub image: ImageGuard,
}

impl Fixture {
    pub async fn new(test: &str) -> Fixture {
        let engine = Engine::connect()
            .await
            .expect("the dev environment's podman answers");
        let image = test_image(&engine, test).await;
        let name = unique(test);
        Fixture {
            engine,
            _sandbox: ContainerGuard::new(&name),
            name,
            project: tempfile::tempdir().expect("a project folder"),
            image,
        }
    }

    /// The plan of this fixture's sandbox, running `command`.
    pub fn plan(&self, command: &[&str]) -> Gated<ContainerPlan> {
        container_plan(&self.name, &self.image.0, self.project.path(), command)
    }
}
