//! Faults, with the real app on a private display and bus and real rootless
//! podman: the podman service going away mid-build and mid-run (a service
//! of the test's own, killed and restarted), the app itself killed while a
//! sandbox runs, and a second launch.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use support::podman::{PodmanService, ProjectCleanup, base_image, images_of, podman, runs_for};
use support::process::exited_within;
use support::wait::wait_until;

use crate::harness::{Desktop, nodes, shows};

const DISCONNECTED: &str = "Podman stopped answering";
const DETACHED: &str = "running without a terminal here";

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

#[test]
fn podman_going_away_mid_build_and_mid_run_loses_nothing() {
    let dir = tempfile::Builder::new()
        .prefix("paddock-outage")
        .tempdir()
        .expect("a temp dir");
    let mut service = PodmanService::stopped(&dir.path().join("podman.sock"));
    let mut desktop = Desktop::start();
    desktop.set_window_size(1280, 800);
    // A build that is still in its slow step when the service goes away.
    // Its base is tagged for this test alone, so that the working container
    // the killed build leaves in storage is recognisably its own.
    let base = format!(
        "localhost/paddock-test-outage-{}-base:latest",
        std::process::id()
    );
    assert!(podman(&["tag", &base_image(), &base]).0);
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
    let _cleanup_build = ProjectCleanup(building.clone());

    // The window comes up before podman does: the system check says so,
    // and once podman answers everything is looked at again by itself.
    desktop.launch_with(&[("CONTAINER_HOST", &service.container_host())]);
    desktop
        .activate("open-project", Some(&building))
        .expect("open");
    desktop.wait_for("the missing podman in the banner", |tree| {
        shows(tree, "Sandboxes cannot run on this computer yet") && shows(tree, "gui-outage-build")
    });
    service.restart();
    desktop.wait_for("the banner to clear", |tree| {
        !shows(tree, "Sandboxes cannot run on this computer yet")
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
    let images = images_of(&building);
    assert!(images.is_empty(), "the interrupted build tagged {images:?}");

    // A run: the sandbox outlives the service, and its terminal comes back.
    let (_keep_run, running) = desktop.approved_project("gui-outage-run", TICKS);
    let _cleanup_run = ProjectCleanup(running.clone());
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
    assert!(runs_for(&running), "the sandbox died with the service");
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
    desktop.wait_for("how it ended, with the code", |tree| {
        shows(tree, "The agent ended with an error (exit code 7)")
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
    let mut desktop = Desktop::launched();
    let (_keep, project) = desktop.approved_project("gui-killed", TICKS);
    let _cleanup = ProjectCleanup(project.clone());
    desktop
        .activate("run-project", Some(&project))
        .expect("run builds, then runs");
    desktop.wait_for_within("ticks", Duration::from_secs(300), |tree| {
        last_tick(tree).is_some_and(|tick| tick >= 2)
    });

    desktop.kill();
    std::thread::sleep(Duration::from_secs(2));
    assert!(runs_for(&project), "the sandbox died with the app");
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
    wait_until("the sandbox's end", Duration::from_secs(30), || {
        !runs_for(&project)
    });
    desktop.launch();
    // On the project and in the project list (the code as the badge's
    // detail).
    let tree = desktop.wait_for("how it ended", |tree| {
        shows(tree, "The agent ended with an error (exit code 7)")
            && shows(tree, "Failed")
            && shows(tree, "Exit code 7")
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
        .paddock()
        .stdout(Stdio::null())
        .spawn()
        .expect("a second paddock");
    let Some(status) = exited_within(&mut second, Duration::from_secs(30)) else {
        let _ = second.kill();
        panic!("the second launch did not hand over and exit");
    };
    assert!(status.success(), "the second launch exits 0");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(windows(&desktop.tree()), 1, "still one window");

    let (_keep, project) = desktop.approved_project("gui-second-launch", &["sh"]);
    desktop.open_from_terminal(&project);
    let tree = desktop.wait_for("the project in the first window", |tree| {
        shows(tree, "gui-second-launch")
    });
    assert_eq!(windows(&tree), 1, "still one window");
    desktop.quit();
}
