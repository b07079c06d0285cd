//! The API Keys group of the project page and the window's Run, with GNOME
//! Keyring on the window's private session bus: a row per variable the
//! definition takes, shown as set or not set and never with its value; a key
//! stored in the keyring reaches the sandbox the window starts.

use std::time::Duration;

use support::keyring::TestKeyring;
use support::podman::{ProjectCleanup, containers_of, podman};
use support::process::run_with_input;

use crate::harness::{Desktop, nodes, shows, terminal_shows};

#[test]
fn rows_show_which_keys_are_set_and_run_passes_them() {
    let mut desktop = Desktop::start();
    let _keyring = TestKeyring::start(&desktop.bus, &desktop.home.path().join("keyring"));
    desktop.set_window_size(1280, 800);
    let (_keep, project) = desktop.approved_project(
        "gui-keys",
        &[
            "sh",
            "-c",
            "echo \"key:$GUI_TEST_TOKEN:$GUI_OTHER_TOKEN:\"; sleep 60",
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
    let set = run_with_input(
        desktop.paddock().args(["secret", "set", "GUI_TEST_TOKEN"]),
        value.as_bytes(),
    );
    assert!(set.status.success(), "paddock secret set");

    desktop.launch();
    desktop
        .activate("open-project", Some(&project))
        .expect("open");
    let tree = desktop.wait_for("the API keys, one set and one not", |tree| {
        shows(tree, "API Keys") && shows(tree, "Set") && shows(tree, "Not set")
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
    desktop.screenshot("api-keys");

    desktop.build(&project);
    desktop
        .activate("run-project", Some(&project))
        .expect("run");
    let tree = desktop.wait_for_within(
        "the key in the sandbox's terminal",
        Duration::from_secs(120),
        |tree| terminal_shows(tree, &format!("key:{value}::")),
    );
    let sandboxes = containers_of(&project);
    assert_eq!(sandboxes.len(), 1, "{sandboxes:?}");
    let (_, inspect) = podman(&["inspect", &sandboxes[0]]);
    assert!(inspect.contains("GUI_TEST_TOKEN"), "{inspect}");
    assert!(!inspect.contains(&value), "podman inspect shows the key");
    drop(tree);
    desktop.quit();
}
