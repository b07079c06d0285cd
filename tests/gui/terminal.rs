//! The agent's terminal in the real window, on real rootless podman: the
//! keys it keeps (app shortcuts never take a key a shell or TUI reads),
//! the ways out of it, its menu, and the inbox: a pasted image, dropped
//! files, a refused over-size drop, all seen by the sandbox's own command
//! at the paths typed into it; the inbox read-only inside and absent from
//! another project's sandbox.
// Helpers of tests, which fail by panicking.
#![allow(clippy::unwrap_used)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::podman::ProjectCleanup;

use crate::harness::{Desktop, nodes, shown_view, shows, terminal_shows, terminal_text};

/// Reads raw bytes and prints each one's hex code: what the keys sent.
const ECHO_KEYS: &str = "echo keys-ready; stty raw -echo; while true; do c=$(dd bs=1 count=1 2>/dev/null | od -An -tx1 | tr -d ' \\n'); printf 'key:%s\\r\\n' \"$c\"; done";

/// Tries to write the inbox, then reads lines of shell words and prints the
/// size and SHA-256 of each file they name (and the line itself).
const READ_PATHS: &str = "touch /run/paddock/inbox/probe 2>&1; echo paths-ready; while read -r line; do eval \"set -- $line\"; for f; do echo \"file:$f size:$(wc -c < \"$f\" | tr -d ' ') sha:$(sha256sum \"$f\" | cut -d' ' -f1)\"; done; echo \"line:$line\"; done";

#[test]
fn app_shortcuts_leave_the_terminal_its_keys() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(1280, 800);
    let nowhere = tempfile::tempdir().unwrap();
    desktop.start_file_chooser_double(nowhere.path());
    desktop.launch();
    let (_keep, project) = desktop.approved_project("gui-keys", &["sh", "-c", ECHO_KEYS]);
    let (_keep_other, other) = desktop.approved_project("gui-keys-other", &["sh"]);
    let _cleanup = ProjectCleanup(project.clone());
    desktop.build(&project);
    desktop
        .activate("run-project", Some(&project))
        .expect("run");
    desktop.wait_for("the sandbox reading keys", |tree| {
        terminal_shows(tree, "keys-ready")
    });
    desktop.focus();
    // Build, Run, Add Project and Quit were these keys once.
    for key in ["ctrl+b", "ctrl+r", "ctrl+o", "ctrl+q"] {
        desktop.key(key);
        std::thread::sleep(Duration::from_millis(300));
    }
    let tree = desktop.wait_for("the bytes echoed by the sandbox", |tree| {
        ["key:02", "key:12", "key:0f", "key:11"]
            .iter()
            .all(|key| terminal_shows(tree, key))
    });
    assert!(
        !desktop.file_chooser_calls().contains("OpenFile"),
        "Ctrl+O opened the chooser"
    );
    assert!(shows(&tree, "Running"), "the run goes on");
    assert!(
        !desktop.wait_for_exit_within(Duration::from_secs(2)),
        "Ctrl+Q quit"
    );

    // Ways out for the keyboard: Alt+2 to the Build view, Alt+3 back into
    // the terminal (which gets the keys again), Ctrl+Page Down to the next
    // project and Ctrl+Page Up back.
    desktop.key("alt+2");
    desktop.wait_for("the Build view", |tree| {
        nodes(tree, "VteTerminal").is_empty() && shows(tree, "Built")
    });
    desktop.key("alt+3");
    desktop.wait_for("the Terminal view", |tree| {
        !nodes(tree, "VteTerminal").is_empty()
    });
    desktop.key("x");
    desktop.wait_for("a key typed after Alt+3", |tree| {
        terminal_shows(tree, "key:78")
    });
    // Alt+4 and Alt+5: the Changes and Network views; Alt+1 and Alt+3 back.
    for (key, view) in [
        ("alt+4", "changes"),
        ("alt+5", "network"),
        ("alt+1", "settings"),
        ("alt+3", "terminal"),
    ] {
        desktop.key(key);
        desktop.wait_for(&format!("the {view} view after {key}"), |tree| {
            shown_view(tree).as_deref() == Some(view)
        });
    }
    desktop.key("y");
    desktop.wait_for("a key typed after Alt+5 and back", |tree| {
        terminal_shows(tree, "key:79")
    });
    desktop
        .activate("open-project", Some(&other))
        .expect("open the other project");
    desktop.wait_for("the other project", |tree| {
        title(tree) == Some("gui-keys-other".to_owned())
    });
    // The sidebar lists the newest first.
    desktop.key("ctrl+Page_Down");
    desktop.wait_for("the next project", |tree| {
        title(tree) == Some("gui-keys".to_owned())
    });
    desktop.key("ctrl+Page_Up");
    desktop.wait_for("the previous project", |tree| {
        title(tree) == Some("gui-keys-other".to_owned())
    });
    desktop.quit();
}

fn title(tree: &serde_json::Value) -> Option<String> {
    nodes(tree, "AdwWindowTitle")
        .last()
        .and_then(|node| node["title"].as_str().map(str::to_owned))
}

#[test]
fn pasted_images_and_dropped_files_reach_the_sandbox_through_its_inbox() {
    let mut desktop = Desktop::launched();
    let (_keep, project) = desktop.approved_project("gui-inbox", &["sh", "-c", READ_PATHS]);
    let _cleanup = ProjectCleanup(project.clone());
    desktop.build(&project);
    desktop
        .activate("run-project", Some(&project))
        .expect("run");
    let tree = desktop.wait_for("the sandbox reading paths", |tree| {
        terminal_shows(tree, "paths-ready")
    });
    assert!(
        terminal_text(&tree).contains("Read-only file system"),
        "the inbox is writable inside: {}",
        terminal_text(&tree)
    );
    let inbox = only_inbox(&desktop);
    assert_eq!(entries(&inbox), Vec::<String>::new(), "a run starts empty");

    // A text paste arrives as text.
    {
        let _owner = desktop.own_clipboard(&[OsStr::new("text"), OsStr::new("plain-text-paste")]);
        desktop.focus();
        desktop.key("ctrl+shift+v");
        desktop.key("Return");
        desktop.wait_for("the pasted text", |tree| {
            terminal_shows(tree, "line:plain-text-paste")
        });
    }
    assert_eq!(entries(&inbox), Vec::<String>::new(), "text is not a file");

    // An image (what GNOME's screenshot tool puts there: image/png only).
    let png = desktop.home.path().join("shot.png");
    let made = Command::new("convert")
        .args(["-size", "40x30", "xc:#3584e4"])
        .arg(format!("png:{}", png.display()))
        .status()
        .expect("imagemagick's convert");
    assert!(made.success());
    {
        let _owner = desktop.own_clipboard(&[OsStr::new("png"), png.as_os_str()]);
        desktop.focus();
        desktop.key("ctrl+shift+v");
        let tree = desktop.wait_for("the image's path typed", |tree| {
            terminal_shows(tree, "/run/paddock/inbox/pasted-image-")
        });
        let typed = terminal_text(&tree);
        desktop.screenshot("terminal-pasted-image-path");
        desktop.key("Return");
        let saved = entries(&inbox);
        assert_eq!(saved.len(), 1, "one image saved: {saved:?}");
        assert!(saved[0].starts_with("pasted-image-") && saved[0].ends_with(".png"));
        let host_file = inbox.join(&saved[0]);
        let bytes = std::fs::read(&host_file).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "saved as PNG");
        let expected = seen(&format!("/run/paddock/inbox/{}", saved[0]), &host_file);
        desktop.wait_for("the sandbox reading the image", |tree| {
            terminal_shows(tree, &expected)
        });
        assert!(typed.contains(&format!("/run/paddock/inbox/{}", saved[0])));
    }

    // Two files dropped from a file manager; names a shell must have quoted.
    let outside = tempfile::tempdir().unwrap();
    let one = outside.path().join("notes one.txt");
    let two = outside.path().join("it's.md");
    std::fs::write(&one, "first dropped file\n").unwrap();
    std::fs::write(&two, "second ' dropped file\n").unwrap();
    let centre = desktop.terminal_centre();
    desktop.drag_onto(&[&one, &two], centre);
    desktop.wait_for("the dropped files' paths typed", |tree| {
        terminal_shows(tree, "notes one.txt") && terminal_shows(tree, "it")
    });
    desktop.focus();
    desktop.key("Return");
    let first = seen("/run/paddock/inbox/notes one.txt", &one);
    let second = seen("/run/paddock/inbox/it's.md", &two);
    desktop.wait_for("the sandbox reading both files", |tree| {
        terminal_shows(tree, &first) && terminal_shows(tree, &second)
    });

    // More than the inbox may hold (a sparse file costs no disk): refused
    // with a toast, nothing copied, nothing typed.
    let big = outside.path().join("disk-image.raw");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(600_000_000)
        .unwrap();
    let before = entries(&inbox);
    desktop.drag_onto(&[&big], centre);
    let tree = desktop.wait_for("the refusal", |tree| shows(tree, "nothing was copied"));
    assert_eq!(entries(&inbox), before, "nothing copied");
    assert!(
        !terminal_text(&tree).contains("disk-image"),
        "nothing typed"
    );

    // The context menu, with the image still on the clipboard.
    let _owner = desktop.own_clipboard(&[OsStr::new("png"), png.as_os_str()]);
    desktop.display.xdotool(&[
        "mousemove",
        &centre.0.to_string(),
        &centre.1.to_string(),
        "click",
        "3",
    ]);
    desktop.wait_for("the context menu", |tree| {
        shows(tree, "Paste Image") && shows(tree, "Show Inbox") && shows(tree, "Select All")
    });
    desktop.screenshot("terminal-context-menu");
    desktop.key("Escape");

    // Another project's sandbox has an inbox of its own, without these.
    let (_keep_other, other) = desktop.approved_project(
        "gui-inbox-other",
        &[
            "sh",
            "-c",
            "echo listing:$(ls -A /run/paddock/inbox | tr '\\n' ,):end; sleep 600",
        ],
    );
    let _cleanup_other = ProjectCleanup(other.clone());
    desktop.build(&other);
    desktop
        .activate("run-project", Some(&other))
        .expect("run the other project");
    let tree = desktop.wait_for("the other sandbox's inbox", |tree| {
        terminal_shows(tree, ":end")
    });
    assert!(
        terminal_text(&tree).contains("listing::end"),
        "another project's inbox holds files: {}",
        terminal_text(&tree)
    );
    desktop.quit();
}

/// What READ_PATHS prints for a file at `inside` with `host`'s content.
fn seen(inside: &str, host: &Path) -> String {
    let bytes = std::fs::read(host).unwrap();
    let output = Command::new("sha256sum").arg(host).output().unwrap();
    let sha = String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    format!("file:{inside} size:{} sha:{sha}", bytes.len())
}

/// The one project inbox under the app's data folder.
fn only_inbox(desktop: &Desktop) -> PathBuf {
    let root = desktop.home.data().join("paddock/inbox");
    let inboxes: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(inboxes.len(), 1, "{inboxes:?}");
    inboxes[0].clone()
}

fn entries(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Find in the terminal; and a reattached terminal is drawn at once: the
/// agent is made to redraw (a size change, which is what full-screen
/// programs redraw on) without a key pressed.
#[test]
fn find_and_a_reattached_terminal_drawn_without_a_key() {
    let mut desktop = Desktop::launched();
    let (_keep, project) = desktop.approved_project(
        "gui-redraw",
        &[
            "sh",
            "-c",
            "trap 'echo redrawn-at-$(stty size | tr \" \" x)' WINCH; echo started; while true; do sleep 1; done",
        ],
    );
    let _cleanup = ProjectCleanup(project.clone());
    desktop.build(&project);
    desktop
        .activate("run-project", Some(&project))
        .expect("run");
    desktop.wait_for("the first terminal", |tree| terminal_shows(tree, "started"));
    desktop.focus();
    // Find: Ctrl+Shift+F opens the search bar, what is typed is found and
    // selected, Escape closes the bar.
    desktop.key("ctrl+shift+f");
    desktop.wait_for("the search bar", |tree| {
        !nodes(tree, "GtkSearchEntry").is_empty()
    });
    desktop
        .display
        .xdotool(&["type", "--delay", "30", "tarted"]);
    desktop.wait_for("the match selected", |tree| {
        nodes(tree, "VteTerminal")
            .first()
            .is_some_and(|t| t["selected"].as_str() == Some("tarted"))
    });
    desktop.key("Escape");
    desktop.wait_for("the search bar closed", |tree| {
        nodes(tree, "GtkSearchEntry").is_empty()
    });
    desktop.key("ctrl+shift+w");
    desktop.wait_for("the stop-or-keep question", |tree| {
        shows(tree, "Stop the Sandbox?")
    });
    desktop.click("Keep Running");
    desktop.wait_for("the detached sandbox", |tree| {
        nodes(tree, "VteTerminal").is_empty() && shows(tree, "running without a terminal here")
    });
    desktop
        .activate("run-project", Some(&project))
        .expect("reattach");
    desktop.wait_for("the agent redrawing for the new terminal", |tree| {
        terminal_shows(tree, "redrawn-at-")
    });
    desktop.screenshot("terminal-reattached");
    desktop.quit();
}
