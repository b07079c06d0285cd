//! Faults, with the real app on a private display and bus and real rootless
//! podman: the podman service going away mid-build and mid-run (a service
//! of the test's own, killed and restarted), the app itself killed while a
//! sandbox runs, and a second launch.

mod gui_harness;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gui_harness::{Desktop, PodmanCleanup, nodes, podman, shows};
use serde_json::Value;

const DISCONNECTED: &str = "Podman stopped answering";
const DETACHED: &str = "running without a terminal here";

/// `podman system service` on a socket of the test's own, in its own
/// process group so that killing it takes podman's re-executed child too
/// (and nothing else: each sandbox's conmon has its own session).
struct PrivateService {
    socket: PathBuf,
    process: Option<Child>,
}

impl PrivateService {
    /// Not started yet: see `restart`.
    fn new(socket: &Path) -> PrivateService {
        PrivateService {
            socket: socket.to_owned(),
            process: None,
        }
    }

    fn container_host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    fn restart(&mut self) {
        use std::os::unix::process::CommandExt;
        assert!(self.process.is_none(), "the service already runs");
        let child = Command::new("podman")
            .args(["system", "service", "--time=0"])
            .arg(self.container_host())
            // With CONTAINER_HOST set, podman is a remote client and serves nothing.
            .env_remove("CONTAINER_HOST")
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("podman is installed in the dev environment");
        self.process = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (answers, _) = podman(&["--url", &self.container_host(), "version"]);
            if answers {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the test's podman service did not start"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// SIGKILL to the whole service: no goodbye to its clients. Its socket
    /// file stays behind, as after a crash.
    fn kill(&mut self) {
        let Some(mut child) = self.process.take() else {
            return;
        };
        let group = rustix::process::Pid::from_child(&child);
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        let _ = child.wait();
    }
}

impl Drop for PrivateService {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The highest `tick-N` any visible terminal shows.
fn last_tick(tree: &Value) -> Option<u32> {
    nodes(tree, "VteTerminal")
        .iter()
        .filter_map(|terminal| terminal["text"].as_str())
        .flat_map(|text| text.split_whitespace())
        .filter_map(|word| word.strip_prefix("tick-")?.parse().ok())
        .max()
}

const TICKS: &[&str] = &[
    "sh",
    "-c",
    "i=0; while [ ! -e stop-ticking ]; do i=$((i+1)); echo tick-$i; sleep 1; done; exit 7",
];

fn sandbox_running(project: &Path) -> bool {
    let label = format!("label=io.github.paddockapp.project={}", project.display());
    let (_, running) = podman(&["ps", "-q", "--filter", &label]);
    !running.trim().is_empty()
}

#[test]
fn podman_going_away_mid_build_and_mid_run_loses_nothing() {
    let dir = tempfile::Builder::new()
        .prefix("paddock-outage")
        .tempdir()
        .expect("a temp dir");
    let mut service = PrivateService::new(&dir.path().join("podman.sock"));
    let mut desktop = Desktop::start();
    desktop.set_window_size(1280, 800);
    // A build that is still in its slow step when the service goes away.
    // Its base is tagged for this test alone, so that the working container
    // the killed build leaves in storage is recognisably its own.
    let base = format!(
        "localhost/paddock-test-outage-{}-base:latest",
        std::process::id()
    );
    assert!(
        podman(&[
            "tag",
            &std::env::var("PADDOCK_TEST_BASE_IMAGE").unwrap(),
            &base
        ])
        .0
    );
    let _base = BuildLeftovers(base.clone());
    let (_keep, building) = desktop.approved_project("gui-outage-build", &["sh"]);
    let definition = building.join(".agent-sandbox/paddock.toml");
    let text = std::fs::read_to_string(&definition).unwrap();
    std::fs::write(
        &definition,
        text.replace(
            "[image]\n",
            "[image]\ncontainerfile = \"Slowfile\"\nuser_home = \"/root\"\n",
        )
        .lines()
        .filter(|line| !line.starts_with("base = "))
        .collect::<Vec<_>>()
        .join("\n"),
    )
    .unwrap();
    std::fs::write(
        building.join(".agent-sandbox/Slowfile"),
        format!("FROM {base}\nRUN sleep 20\n"),
    )
    .unwrap();
    desktop.approve(&building);
    let _cleanup_build = PodmanCleanup(building.clone());

    // The window comes up before podman does: the system check says so,
    // and once podman answers everything is looked at again by itself.
    desktop.launch_with(&[("CONTAINER_HOST", &service.container_host())]);
    desktop
        .activate("open-project", Some(&building))
        .expect("open");
    desktop.wait_for("the missing podman in the banner", |tree| {
        shows(tree, "MicroVMs cannot run: Podman API socket") && shows(tree, "gui-outage-build")
    });
    service.restart();
    desktop.wait_for("the banner to clear", |tree| {
        !shows(tree, "Podman API socket")
    });
    desktop
        .activate("build-project", Some(&building))
        .expect("build");
    let tree = desktop.wait_for("the slow step", |tree| shows(tree, "RUN sleep 20"));
    let build = nodes(&tree, "GtkButton").into_iter().find(|button| {
        button["tooltip"]
            .as_str()
            .is_some_and(|tip| tip.starts_with("Build the sandbox image"))
    });
    assert_eq!(
        build.map(|button| button["insensitive"] == true),
        Some(true),
        "Build is offered during the build"
    );
    service.kill();
    // The banner offers the fix (its button shows once it has slid in).
    desktop.wait_for("the disconnection and the failed build", |tree| {
        shows(tree, DISCONNECTED) && shows(tree, "Show Fix") && shows(tree, "Build Failed")
    });
    desktop.screenshot("podman-gone-mid-build");
    service.restart();
    desktop.wait_for("the reconnection", |tree| !shows(tree, DISCONNECTED));
    let label = format!("label=io.github.paddockapp.project={}", building.display());
    let (_, images) = podman(&["images", "-q", "--filter", &label]);
    assert!(
        images.trim().is_empty(),
        "the interrupted build tagged {images}"
    );

    // A run: the sandbox outlives the service, and its terminal comes back.
    let (_keep_run, running) = desktop.approved_project("gui-outage-run", TICKS);
    let _cleanup_run = PodmanCleanup(running.clone());
    desktop
        .activate("run-project", Some(&running))
        .expect("run builds, then runs");
    desktop.wait_for_within("ticks", Duration::from_secs(300), |tree| {
        last_tick(tree).is_some_and(|tick| tick >= 2)
    });
    service.kill();
    let tree = desktop.wait_for("the disconnection and the lost terminal", |tree| {
        shows(tree, DISCONNECTED) && shows(tree, "connection to the sandbox was lost")
    });
    let before = last_tick(&tree).expect("ticks before the outage");
    assert!(
        shows(&tree, "Running"),
        "the project still shows it running"
    );
    desktop.screenshot("podman-gone-mid-run");
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        sandbox_running(&running),
        "the sandbox died with the service"
    );
    service.restart();
    desktop.wait_for("the reconnection and the offer to reattach", |tree| {
        !shows(tree, DISCONNECTED) && shows(tree, DETACHED)
    });
    desktop
        .activate("run-project", Some(&running))
        .expect("reattach");
    desktop.wait_for("ticks counted on through the outage", |tree| {
        last_tick(tree).is_some_and(|tick| tick > before + 3)
    });
    std::fs::write(running.join("stop-ticking"), "").unwrap();
    desktop.wait_for("the exit code", |tree| {
        shows(tree, "The sandbox exited with code 7")
    });
    desktop.quit();
}

/// Removes the test's base tag and the working container of a build the
/// service died in (buildah names it after the base image).
struct BuildLeftovers(String);

impl Drop for BuildLeftovers {
    fn drop(&mut self) {
        let (_, names) = podman(&["ps", "-a", "--external", "--format", "{{.Names}}"]);
        let stem = self
            .0
            .rsplit('/')
            .next()
            .and_then(|name| name.split(':').next())
            .unwrap_or_default()
            .to_owned();
        for name in names.lines().filter(|name| name.starts_with(&stem)) {
            let _ = podman(&["rm", "-f", name]);
        }
        let _ = podman(&["rmi", "-f", &self.0]);
    }
}

#[test]
fn killed_mid_run_the_next_launch_reattaches_or_tells_how_it_ended() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(1280, 800);
    desktop.launch();
    let (_keep, project) = desktop.approved_project("gui-killed", TICKS);
    let _cleanup = PodmanCleanup(project.clone());
    desktop
        .activate("run-project", Some(&project))
        .expect("run builds, then runs");
    desktop.wait_for_within("ticks", Duration::from_secs(300), |tree| {
        last_tick(tree).is_some_and(|tick| tick >= 2)
    });

    desktop.kill();
    std::thread::sleep(Duration::from_secs(2));
    assert!(sandbox_running(&project), "the sandbox died with the app");
    desktop.launch();
    desktop.wait_for("the offer to reattach", |tree| shows(tree, DETACHED));
    desktop
        .activate("run-project", Some(&project))
        .expect("reattach");
    desktop.wait_for("ticks in a reattached terminal", |tree| {
        last_tick(tree).is_some()
    });

    // Killed again, and the sandbox ends while no Paddock runs.
    desktop.kill();
    std::fs::write(project.join("stop-ticking"), "").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while sandbox_running(&project) {
        assert!(Instant::now() < deadline, "the sandbox did not stop");
        std::thread::sleep(Duration::from_millis(300));
    }
    desktop.launch();
    // On the project and in the project list.
    let tree = desktop.wait_for("how it ended", |tree| {
        shows(tree, "The sandbox exited with code 7") && shows(tree, "Exited with code 7")
    });
    assert!(!shows(&tree, DETACHED));
    desktop.screenshot("ended-while-paddock-was-gone");
    desktop.quit();
}

#[test]
fn a_second_launch_hands_over_to_the_running_window() {
    let mut desktop = Desktop::start();
    desktop.launch();
    let windows = |tree: &Value| nodes(tree, "AdwApplicationWindow").len();
    assert_eq!(windows(&desktop.tree()), 1);

    let mut second = desktop
        .command(env!("CARGO_BIN_EXE_paddock"))
        .stdout(Stdio::null())
        .spawn()
        .expect("a second paddock");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = second.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            panic!("the second launch did not hand over and exit");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "the second launch exits 0");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(windows(&desktop.tree()), 1, "still one window");

    let (_keep, project) = desktop.approved_project("gui-second-launch", &["sh"]);
    let status = desktop
        .command(env!("CARGO_BIN_EXE_paddock"))
        .arg("open")
        .arg(&project)
        .status()
        .expect("paddock open");
    assert!(status.success());
    let tree = desktop.wait_for("the project in the first window", |tree| {
        shows(tree, "gui-second-launch")
    });
    assert_eq!(windows(&tree), 1, "still one window");
    desktop.quit();
}
