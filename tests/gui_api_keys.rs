//! The API Keys group of the project page and the window's Run, with GNOME
//! Keyring on the window's private session bus: a row per variable the
//! definition takes, shown as set or not set and never with its value; a key
//! stored in the keyring reaches the sandbox the window starts.

mod gui_harness;
mod keyring_support;

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use gui_harness::{Desktop, PodmanCleanup, nodes, shows};
use keyring_support::TestKeyring;

#[test]
fn rows_show_which_keys_are_set_and_run_passes_them() {
    let mut desktop = Desktop::start();
    let _keyring = TestKeyring::start(&desktop.bus_address, &desktop.home.path().join("keyring"));
    desktop.set_window_size(1280, 800);
    let (_keep, project) = desktop.approved_project(
        "gui-keys",
        &[
            "sh",
            "-c",
            "echo \"key:$GUI_TEST_TOKEN:$GUI_OTHER_TOKEN:\"; sleep 60",
        ],
    );
    let _cleanup = PodmanCleanup(project.clone());
    let definition = project.join(".agent-sandbox/paddock.toml");
    let text = std::fs::read_to_string(&definition).unwrap().replace(
        "[agent]\n",
        "[agent]\nsecrets = [\"GUI_TEST_TOKEN\", \"GUI_OTHER_TOKEN\"]\n",
    );
    std::fs::write(&definition, text).unwrap();
    // As if the user had asked for the keys in Paddock.
    desktop.approve(&project);

    let value = format!("gui-secret-{}", std::process::id());
    let mut set = desktop
        .command(env!("CARGO_BIN_EXE_paddock"))
        .args(["secret", "set", "GUI_TEST_TOKEN"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    set.stdin
        .take()
        .unwrap()
        .write_all(value.as_bytes())
        .unwrap();
    assert!(set.wait().unwrap().success(), "paddock secret set");

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

    desktop
        .activate("build-project", Some(&project))
        .expect("build");
    let tree = desktop.wait_for_within("the build to finish", Duration::from_secs(300), |tree| {
        shows(tree, "Built") || shows(tree, "Build failed")
    });
    assert!(!shows(&tree, "Build failed"), "the build failed");
    desktop
        .activate("run-project", Some(&project))
        .expect("run");
    let tree = desktop.wait_for_within(
        "the key in the sandbox's terminal",
        Duration::from_secs(120),
        |tree| {
            nodes(tree, "VteTerminal").iter().any(|t| {
                t["text"]
                    .as_str()
                    .unwrap_or("")
                    .contains(&format!("key:{value}::"))
            })
        },
    );
    let (ok, inspect) = gui_harness::podman(&[
        "ps",
        "-a",
        "--filter",
        &format!("label=io.github.paddockapp.project={}", project.display()),
        "--format",
        "{{.Names}}",
    ]);
    assert!(ok, "{inspect}");
    let (_, inspect) = gui_harness::podman(&["inspect", inspect.trim()]);
    assert!(inspect.contains("GUI_TEST_TOKEN"), "{inspect}");
    assert!(!inspect.contains(&value), "podman inspect shows the key");
    drop(tree);
    desktop.quit();
}
