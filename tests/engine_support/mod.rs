//! Shared by the engine's integration tests: unique names, plans built by
//! hand, and guards that remove what a test made from podman.
#![allow(dead_code)]
// Helpers of tests, which fail by panicking.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use std::path::{Path, PathBuf};

use engine::{Engine, Output, Session};
use sandbox::approval::{Approvals, Approved, Gate, HostSockets};
use sandbox::definition::Definition;
use sandbox::plan::{Bind, BuildNetwork, BuildPlan, ContainerPlan, Gated, Isolation};
use sandbox::presets::Presets;
use sandbox::project::Project;

pub mod pty;

/// `definition` saved in the project and approved (in approvals kept
/// under `home`), as `paddock init` would: the only way to a plan.
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

/// The local busybox image every test image starts from.
pub fn base_image() -> String {
    std::env::var("PADDOCK_TEST_BASE_IMAGE")
        .expect("PADDOCK_TEST_BASE_IMAGE is not set: run the tests through build-aux/dev-env test")
}

/// A name no other test (or parallel run) uses: test name, pid, counter.
pub fn unique(test: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "paddock-test-{test}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A plan whose Containerfile is `FROM <base>` followed by `steps`.
pub fn build_plan(image: &str, steps: &str) -> Gated<BuildPlan> {
    build_plan_with(image, steps, BTreeMap::new())
}

pub fn build_plan_with(
    image: &str,
    steps: &str,
    extra: BTreeMap<String, Vec<u8>>,
) -> Gated<BuildPlan> {
    let mut context = extra;
    context.insert(
        "Containerfile".into(),
        format!("FROM {}\n{steps}", base_image()).into_bytes(),
    );
    Gated::unchecked(BuildPlan {
        image: image.to_owned(),
        context,
        containerfile: "Containerfile".into(),
        build_args: BTreeMap::new(),
        labels: BTreeMap::from([(
            "io.github.paddockapp.project".to_owned(),
            "/tmp/paddock-test".to_owned(),
        )]),
        network: BuildNetwork::Private,
    })
}

/// Runs the podman CLI (against the same service) and returns its stdout.
pub fn podman(args: &[&str]) -> (bool, String) {
    let output = Command::new("podman")
        .args(args)
        .output()
        .expect("the podman CLI is installed in the dev environment");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

pub fn image_exists(image: &str) -> bool {
    podman(&["image", "exists", image]).0
}

/// Removes an image when the test ends, however it ends.
pub struct ImageGuard(pub String);

impl Drop for ImageGuard {
    fn drop(&mut self) {
        let _ = podman(&["rmi", "-f", &self.0]);
    }
}

/// Removes the podman secrets Paddock made for the sandbox `name` (a
/// container removed with `podman rm` leaves them behind).
pub fn remove_secrets_of(name: &str) {
    let (_, secrets) = podman(&["secret", "ls", "--format", "{{.Name}}"]);
    for secret in secrets
        .lines()
        .filter(|secret| secret.starts_with(&format!("{name}.")))
    {
        let _ = podman(&["secret", "rm", secret]);
    }
}

/// Removes a container (and, if asked, volumes) when the test ends.
pub struct ContainerGuard {
    pub name: String,
    pub volumes: Vec<String>,
}

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        let _ = podman(&["rm", "-f", "-t", "0", &self.name]);
        remove_secrets_of(&self.name);
        for volume in &self.volumes {
            let _ = podman(&["volume", "rm", "-f", volume]);
        }
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
        command: Some(command.iter().map(|arg| (*arg).to_owned()).collect()),
        workdir: "/work".into(),
        env: BTreeMap::from([("TERM".to_owned(), "xterm-256color".to_owned())]),
        annotations: BTreeMap::new(),
        labels: BTreeMap::from([(
            "io.github.paddockapp.project".to_owned(),
            project.display().to_string(),
        )]),
        binds: vec![
            Bind::pinned(project, "/work".into(), false).expect("pinned"),
            Bind::pinned(sandbox_dir, "/work/.agent-sandbox".into(), true).expect("pinned"),
        ],
        volumes: Vec::new(),
        offline: false,
        isolation: Isolation::Container,
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

/// The `paddock` binary under test.
pub fn paddock() -> Command {
    Command::new(env!("CARGO_BIN_EXE_paddock"))
}

/// A project folder set up with `paddock init --agent shell` on the local
/// base image; removes its sandbox, image and folder when dropped.
pub struct TestProject {
    dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl TestProject {
    pub fn init(test: &str, extra: &[&str]) -> TestProject {
        let dir = tempfile::tempdir().expect("a temp folder");
        let root = dir.path().join(unique(test));
        std::fs::create_dir(&root).expect("the project folder");
        let root = std::fs::canonicalize(&root).expect("canonical");
        let project = TestProject { dir, root };
        let output = project
            .paddock()
            .args(["init", "--agent", "shell", "--base", &base_image()])
            .args(extra)
            .arg(&project.root)
            .output()
            .expect("paddock init runs");
        assert!(
            output.status.success(),
            "paddock init failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        project
    }

    /// `paddock` keeping its approvals in this test's folder.
    pub fn paddock(&self) -> Command {
        let mut command = paddock();
        command.env("XDG_DATA_HOME", self.data_home());
        command
    }

    /// Where Paddock keeps this test's approvals (not the user's).
    pub fn data_home(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn path(&self) -> &str {
        self.root.to_str().expect("temp paths are text")
    }

    fn label(&self) -> String {
        format!("label=io.github.paddockapp.project={}", self.path())
    }
}

impl Drop for TestProject {
    fn drop(&mut self) {
        let label = self.label();
        let (_, containers) = podman(&["ps", "-a", "--filter", &label, "--format", "{{.Names}}"]);
        for name in containers.split_whitespace() {
            let _ = podman(&["rm", "-f", "-t", "0", name]);
            remove_secrets_of(name);
        }
        let (_, images) = podman(&["images", "-q", "--filter", &label]);
        for id in images.split_whitespace() {
            let _ = podman(&["rmi", "-f", id]);
        }
    }
}
