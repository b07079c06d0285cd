//! The Network view: a running `allowlist` sandbox's blocked request
//! appears in the window live from the gateway's log, and pressing its
//! Allow button lets the next request from inside through without a
//! restart. Busybox httpd servers on the gateway's outer network stand in
//! for the internet.

use std::time::Duration;

use engine::OUTER_NETWORK;
use serde_json::Value;
use support::podman::{ProjectCleanup, containers_of, podman};
use support::sites::{Site, build_gateway};

use crate::harness::{Desktop, nodes, project, shows, terminal_shows};

/// The subtitle of the Network view's row of `host` on port 80.
fn row(tree: &Value, host: &str) -> Option<String> {
    let title = format!("{host}:80");
    nodes(tree, "AdwActionRow")
        .into_iter()
        .find(|row| row["title"].as_str() == Some(title.as_str()))
        .and_then(|row| row["subtitle"].as_str().map(str::to_owned))
}

#[test]
fn a_blocked_host_shows_up_live_and_allow_lets_it_through_at_once() {
    build_gateway();
    let blocked = Site::start(OUTER_NETWORK, "hello-from-the-blocked-site");
    let mut desktop = Desktop::start();
    desktop.set_window_size(1000, 700);
    desktop.launch();
    // Asks the stand-in every second until it answers, then says so.
    let script = format!(
        "until wget -q -T 3 -O through.out http://{b}/; do sleep 1; done; \
         echo through > through.rc; echo got-through; sleep 600",
        b = blocked.0
    );
    let (_keep, dir) = project("gui-network", &["sh", "-c", &script]);
    let file = dir.join(".agent-sandbox/paddock.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("network = \"offline\"\n", "") + "\n[network]\nmode = \"allowlist\"\n",
    )
    .unwrap();
    desktop.approve(&dir);
    let _cleanup = ProjectCleanup(dir.clone());

    desktop.activate("open-project", Some(&dir)).expect("open");
    desktop.wait_for("the project page", |tree| shows(tree, "gui-network"));
    desktop.activate("run-project", Some(&dir)).expect("run");
    // Switched to once the run's terminal is up (it brings itself forward).
    desktop.wait_for_within("the blocked request", Duration::from_secs(300), |tree| {
        terminal_shows(tree, "403 Forbidden")
    });
    // The Network view is the fifth.
    desktop.view(4).expect("the view action");
    let tree = desktop.wait_for_within(
        "the blocked host in the Network view",
        Duration::from_secs(300),
        |tree| row(tree, &blocked.0).is_some_and(|s| s.starts_with("Blocked")),
    );
    let subtitle = row(&tree, &blocked.0).unwrap();
    assert!(subtitle.contains("attempts"), "{subtitle}");
    assert!(!dir.join("through.rc").exists(), "got out before Allow");
    desktop.screenshot("netview-blocked");

    let sandbox = containers_of(&dir).into_iter().next().expect("the sandbox");
    let started = || podman(&["inspect", "-f", "{{.State.StartedAt}}", &sandbox]).1;
    let before = started();
    desktop.click("Allow");
    desktop.wait_for("the toast", |tree| {
        shows(tree, "The running sandbox follows it now")
    });
    desktop.wait_for("the next request to get through", |tree| {
        row(tree, &blocked.0).is_some_and(|s| s.starts_with("Allowed"))
    });
    support::wait::wait_until("through.rc", Duration::from_secs(60), || {
        dir.join("through.rc").is_file()
    });
    let page = std::fs::read_to_string(dir.join("through.out")).unwrap();
    assert!(page.contains("hello-from-the-blocked-site"), "{page}");
    let definition = std::fs::read_to_string(&file).unwrap();
    assert!(definition.contains(&blocked.0), "{definition}");
    // The same run all along: allowed without a restart.
    assert_eq!(started(), before);
    desktop.screenshot("netview-allowed");
    desktop.quit();
}
