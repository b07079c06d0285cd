//! The API Keys group of the project page and the window's Run, with GNOME
//! Keyring on the window's private session bus: a row per variable the
//! definition takes, never with its value; looking at the project does not
//! touch the keyring (dbus-monitor on the bus sees every call to it), and
//! keys in the keyring reach the sandbox the window starts, and no file of
//! podman's holds one while that runs or after the window stopped it. Keys
//! typed in Preferences are for every project, those typed on a project's
//! page for that project only, and win; an agent without keys has no group.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use support::keyring::TestKeyring;
use support::podman::{
    ProjectCleanup, containers_of, oci_config, podman, podman_files_holding, runs_for,
};
use support::process::{Reaped, run_with_input};
use support::wait::wait_until;

use crate::harness::{Desktop, nodes, preferences, project, shows, terminal_shows, texts, titled};

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

/// A project's Sandbox view, for a definition written into a fresh folder.
fn project_with(desktop: &Desktop, name: &str, agent: &str) -> (tempfile::TempDir, PathBuf) {
    let (keep, dir) = project(name, &["sh"]);
    let file = dir.join(".agent-sandbox/paddock.toml");
    let text = std::fs::read_to_string(&file)
        .expect("the definition")
        .replace("[agent]\n", &format!("[agent]\n{agent}\n"));
    std::fs::write(&file, text).expect("write the definition");
    desktop.approve(&dir);
    (keep, dir)
}

/// The description of a project's API Keys group.
const KEYS_GROUP: &str = "Kept in your keyring for this project only";

/// The shell takes no key: its Sandbox view has no API Keys group, while
/// Claude Code's has one, titled for people.
#[test]
fn an_agent_without_keys_shows_no_api_keys_group() {
    let mut desktop = Desktop::launched();
    let (_keep_shell, shell) = project_with(&desktop, "keys-shell", "preset = \"shell\"");
    let (_keep_claude, claude) = project_with(&desktop, "keys-claude", "preset = \"claude\"");
    // Claude Code installs OS packages, which busybox has no manager for.
    let file = claude.join(".agent-sandbox/paddock.toml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("[image]\n", "[image]\npackage_manager = \"apk\"\n");
    std::fs::write(&file, text).unwrap();
    desktop.approve(&claude);
    desktop
        .activate("open-project", Some(&claude))
        .expect("open");
    desktop.wait_for("Claude Code's keys", |tree| {
        titled(tree, "AdwPasswordEntryRow", "Anthropic API Key").is_some()
            && shows(tree, KEYS_GROUP)
    });
    desktop
        .activate("open-project", Some(&shell))
        .expect("open");
    desktop.wait_for("the shell's Sandbox view", |tree| {
        titled(tree, "AdwWindowTitle", "keys-shell").is_some()
            && titled(tree, "AdwSpinRow", "CPUs").is_some()
    });
    let tree = desktop.settled();
    assert!(
        !shows(&tree, KEYS_GROUP),
        "an empty API Keys group: {:?}",
        texts(&tree)
    );
    assert!(nodes(&tree, "AdwPasswordEntryRow").is_empty());
    desktop.quit();
}

/// Spells out `value` as the sandbox's command below prints it, so that
/// podman's log of the output does not hold the key itself.
fn spelled(value: &str) -> String {
    value.chars().flat_map(|c| [c, '-']).collect()
}

/// A key typed into Preferences (opened with Ctrl+comma) is stored in the
/// keyring for every project and reaches the sandbox of a project that has
/// none of its own; one typed into that project's own API Keys group is for
/// that project only, and wins.
#[test]
fn a_key_in_preferences_is_for_every_project_and_a_projects_own_wins() {
    let mut desktop = Desktop::start();
    let _keyring = TestKeyring::start(&desktop.bus, &desktop.home.path().join("keyring"));
    desktop.set_window_size(1280, 800);
    let (_keep, dir) = project(
        "prefs-keys",
        &[
            "sh",
            "-c",
            "echo \"key:$(printf '%s' \"$OPENAI_API_KEY\" | sed 's/./&-/g'):\"; \
             trap 'exit 0' TERM; sleep 60 & wait",
        ],
    );
    let _cleanup = ProjectCleanup(dir.clone());
    let definition = dir.join(".agent-sandbox/paddock.toml");
    let text = std::fs::read_to_string(&definition)
        .unwrap()
        .replace("[agent]\n", "[agent]\nsecrets = [\"OPENAI_API_KEY\"]\n");
    std::fs::write(&definition, text).unwrap();
    desktop.approve(&dir);
    desktop.launch();

    // Preferences' API Keys page: a row per agent key, none filled in.
    let tree = desktop.open_preferences();
    let page = nodes(&tree, "AdwViewSwitcherButton")
        .into_iter()
        .find(|button| shows(button, "API Keys"))
        .cloned()
        .expect("the API Keys page's switcher button");
    desktop.click_node(&page);
    let tree = desktop.wait_for("the keys of every agent", |tree| {
        titled(&preferences(tree), "AdwPasswordEntryRow", "OpenAI API Key").is_some()
    });
    let dialog = preferences(&tree);
    assert!(shows(&dialog, "wins over the one here"), "the rule is said");
    let row = titled(&dialog, "AdwPasswordEntryRow", "OpenAI API Key")
        .cloned()
        .unwrap();
    let everywhere = format!("every-{}", std::process::id());
    enter_key(&desktop, &row, "OpenAI API Key", &everywhere);
    let tree = desktop.tree();
    assert!(
        !tree.to_string().contains(&everywhere),
        "the window shows the key"
    );
    let listed = secret_list(&desktop);
    assert!(
        listed.lines().any(|line| line.trim() == "OPENAI_API_KEY"),
        "stored for every project: {listed}"
    );
    desktop.close_preferences();

    // The project has no key of its own: its sandbox gets the global one.
    desktop.build(&dir);
    run_and_see_key(
        &desktop,
        &dir,
        "the key from Preferences in the sandbox",
        &everywhere,
    );

    // The project's own group stores a key for it alone...
    desktop.focus();
    desktop.key("alt+1");
    desktop.wait_for("the project's API Keys", |tree| {
        shows(tree, "for this project only")
            && titled(tree, "AdwPasswordEntryRow", "OpenAI API Key").is_some()
    });
    let tree = desktop.settled();
    let row = titled(&tree, "AdwPasswordEntryRow", "OpenAI API Key")
        .cloned()
        .unwrap();
    let own = format!("own-{}", std::process::id());
    enter_key(&desktop, &row, "OpenAI API Key", &own);
    let listed = secret_list(&desktop);
    assert!(
        listed.contains(&format!("OPENAI_API_KEY (only for {})", dir.display())),
        "stored for the project: {listed}"
    );
    // ...which wins over the one for every project.
    run_and_see_key(&desktop, &dir, "the project's own key in the sandbox", &own);
    desktop.quit();
}

/// Types `value` into the key row `row`, titled `title`, and applies it
/// with Enter.
fn enter_key(desktop: &Desktop, row: &Value, title: &str, value: &str) {
    desktop.click_node(row);
    desktop.type_text(value);
    desktop.key("Return");
    let saved = format!("{title} saved in your keyring");
    desktop.wait_for(&saved, |tree| shows(tree, &saved));
}

/// What `paddock secret ls` prints.
fn secret_list(desktop: &Desktop) -> String {
    let listed = desktop
        .paddock()
        .args(["secret", "ls"])
        .output()
        .expect("paddock secret ls");
    String::from_utf8_lossy(&listed.stdout).into_owned()
}

/// Runs the project, whose command prints its key spelled out, until the
/// terminal shows `value` there (`what`), and stops it.
fn run_and_see_key(desktop: &Desktop, dir: &Path, what: &str, value: &str) {
    desktop.activate("run-project", Some(dir)).expect("run");
    desktop.wait_for_within(what, Duration::from_secs(120), |tree| {
        terminal_shows(tree, &format!("key:{}:", spelled(value)))
    });
    desktop.activate("stop-current", None).expect("stop");
    wait_until("the sandbox stopped", Duration::from_secs(60), || {
        !runs_for(dir)
    });
}

/// An approved `allowlist` project of `preset` in container mode.
fn gated_project(desktop: &Desktop, name: &str, preset: &str) -> (tempfile::TempDir, PathBuf) {
    let (keep, dir) = crate::harness::project(name, &["true"]);
    std::fs::write(
        dir.join(".agent-sandbox/paddock.toml"),
        format!(
            "version = 1\n\n[agent]\npreset = \"{preset}\"\n\n[image]\nbase = \"{}\"\npackage_manager = \"apk\"\n\n[sandbox]\nruntime = \"container\"\n\n[network]\nmode = \"allowlist\"\n",
            support::podman::base_image()
        ),
    )
    .expect("write the definition");
    desktop.approve(&dir);
    (keep, dir)
}

#[test]
fn each_key_row_says_whether_the_key_stays_outside_the_sandbox() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(1280, 800);
    // Claude Code behind the gateway: its API key stays outside, its
    // subscription token (no redirect for it) is inside.
    let (_keep, project) = gated_project(&desktop, "gui-keys-place", "claude");
    let _cleanup = ProjectCleanup(project.clone());
    // OpenCode's keys stay outside through its JSON settings variable.
    let (_keep_opencode, opencode) = gated_project(&desktop, "gui-keys-opencode", "opencode");
    let _cleanup_opencode = ProjectCleanup(opencode.clone());
    desktop.launch();
    desktop
        .activate("open-project", Some(&project))
        .expect("open");
    let tree = desktop.wait_for("the API keys and where they are", |tree| {
        nodes(tree, "AdwPasswordEntryRow").len() == 2 && shows(tree, "Stays outside the sandbox")
    });
    let rows = nodes(&tree, "AdwPasswordEntryRow");
    let place = |title: &str| {
        let row = rows
            .iter()
            .find(|row| row["title"].as_str() == Some(title))
            .unwrap_or_else(|| panic!("no row {title}: {rows:?}"));
        (
            shows(row, "Stays outside the sandbox"),
            shows(row, "Inside the sandbox"),
        )
    };
    assert_eq!(place("Anthropic API Key"), (true, false));
    assert_eq!(place("Claude Subscription Token"), (false, true));
    desktop.screenshot("keys-api-keys");

    desktop
        .activate("open-project", Some(&opencode))
        .expect("open");
    let tree = desktop.wait_for("OpenCode's four API keys", |tree| {
        nodes(tree, "AdwPasswordEntryRow").len() == 4
    });
    for row in nodes(&tree, "AdwPasswordEntryRow") {
        assert!(
            shows(row, "Stays outside the sandbox") && !shows(row, "Inside the sandbox"),
            "{row:?}"
        );
    }
    desktop.screenshot("keys-api-keys-opencode");
    desktop.quit();
}
