//! The API Keys group of the project page and the window's Run, with GNOME
//! Keyring on the window's private session bus: a row per variable the
//! definition takes, never with its value; looking at the project does not
//! touch the keyring (dbus-monitor on the bus sees every call to it), and
//! keys in the keyring reach the sandbox the window starts, and no file of
//! podman's holds one while that runs or after the window stopped it.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::keyring::TestKeyring;
use support::podman::{
    ProjectCleanup, containers_of, oci_config, podman, podman_files_holding, runs_for,
};
use support::process::{Reaped, run_with_input};
use support::wait::wait_until;

use crate::harness::{Desktop, nodes, shows, terminal_shows};

/// What is sent to the Secret Service on the test's bus, as dbus-monitor
/// prints it.
struct KeyringCalls {
    _monitor: Reaped,
    log: PathBuf,
}

impl KeyringCalls {
    fn watch(desktop: &Desktop) -> KeyringCalls {
        let log = desktop.home.path().join("keyring-calls");
        let monitor = Command::new("dbus-monitor")
            .args([
                "--address",
                desktop.bus.address(),
                "destination='org.freedesktop.secrets'",
            ])
            .stdout(std::fs::File::create(&log).expect("the monitor's log file"))
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-monitor is installed in the dev environment");
        // It prints its own NameAcquired once it listens.
        let start = std::time::Instant::now();
        while std::fs::read_to_string(&log).unwrap_or_default().is_empty() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "dbus-monitor did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        KeyringCalls {
            _monitor: Reaped(monitor),
            log,
        }
    }

    /// The calls made so far (`member=...` of each).
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains("destination=org.freedesktop.secrets"))
            .filter_map(|line| line.split("member=").nth(1))
            .map(str::to_owned)
            .collect()
    }
}

#[test]
fn looking_at_the_keys_leaves_the_keyring_alone_and_run_passes_them() {
    let mut desktop = Desktop::start();
    let _keyring = TestKeyring::start(&desktop.bus, &desktop.home.path().join("keyring"));
    desktop.set_window_size(1280, 800);
    let (_keep, project) = desktop.approved_project(
        "gui-keys",
        &[
            "sh",
            "-c",
            // Spelled out, so that podman's log of the output does not
            // hold the key itself.
            "echo \"key:$(printf '%s' \"$GUI_TEST_TOKEN\" | sed 's/./&-/g'):$GUI_OTHER_TOKEN:\"; \
             trap 'exit 0' TERM; sleep 60 & wait",
        ],
    );
    let _cleanup = ProjectCleanup(project.clone());
    let definition = project.join(".agent-sandbox/paddock.toml");
    let text = std::fs::read_to_string(&definition).unwrap().replace(
        "[agent]\n",
        "[agent]\nsecrets = [\"GUI_TEST_TOKEN\", \"GUI_OTHER_TOKEN\"]\n",
    );
    std::fs::write(&definition, text).unwrap();
    // As if the user had asked for the keys in Paddock.
    desktop.approve(&project);

    let value = format!("gui-secret-{}", std::process::id());
    let spelled: String = value.chars().flat_map(|c| [c, '-']).collect();
    let set = run_with_input(
        desktop.paddock().args(["secret", "set", "GUI_TEST_TOKEN"]),
        value.as_bytes(),
    );
    assert!(set.status.success(), "paddock secret set");

    let keyring = KeyringCalls::watch(&desktop);
    desktop.launch();
    desktop
        .activate("open-project", Some(&project))
        .expect("open");
    let tree = desktop.wait_for("the API keys", |tree| {
        shows(tree, "API Keys") && nodes(tree, "AdwPasswordEntryRow").len() == 2
    });
    let rows = nodes(&tree, "AdwPasswordEntryRow");
    let titles: Vec<&str> = rows.iter().filter_map(|r| r["title"].as_str()).collect();
    assert_eq!(titles, ["GUI_TEST_TOKEN", "GUI_OTHER_TOKEN"]);
    assert!(
        rows.iter().all(|r| r["text"].as_str() == Some("")),
        "a stored value is shown: {rows:?}"
    );
    assert!(
        !tree.to_string().contains(&value),
        "the window shows the key"
    );
    std::thread::sleep(Duration::from_secs(2));
    desktop.settled();
    assert_eq!(
        keyring.calls(),
        Vec::<String>::new(),
        "looking at the project touched the keyring"
    );

    desktop.screenshot("api-keys");

    desktop.build(&project);
    desktop
        .activate("run-project", Some(&project))
        .expect("run");
    let tree = desktop.wait_for_within(
        "the key in the sandbox's terminal",
        Duration::from_secs(120),
        |tree| terminal_shows(tree, &format!("key:{spelled}::")),
    );
    // Run read the key: the monitor sees what the window asks the keyring.
    assert!(
        keyring
            .calls()
            .iter()
            .any(|call| call.contains("SearchItems")),
        "Run did not ask the keyring: {:?}",
        keyring.calls()
    );
    let sandboxes = containers_of(&project);
    assert_eq!(sandboxes.len(), 1, "{sandboxes:?}");
    let (_, inspect) = podman(&["inspect", &sandboxes[0]]);
    assert!(inspect.contains("GUI_TEST_TOKEN"), "{inspect}");
    assert!(!inspect.contains(&value), "podman inspect shows the key");
    // Running, and podman keeps no copy of the key at rest...
    let holding = podman_files_holding(value.as_bytes());
    assert!(holding.is_empty(), "while running: {holding:?}");
    // ...nor once the window stopped the sandbox.
    desktop.activate("stop-current", None).expect("stop");
    wait_until("the sandbox stopped", Duration::from_secs(60), || {
        !runs_for(&project)
    });
    assert!(oci_config(&sandboxes[0]).is_file());
    let holding = podman_files_holding(value.as_bytes());
    assert!(holding.is_empty(), "after the window's Stop: {holding:?}");
    drop(tree);
    desktop.quit();
}
