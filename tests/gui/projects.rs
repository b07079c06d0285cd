//! The window under a virtual display on a private session bus: empty state,
//! projects opened through the exported action and `paddock open`, the
//! list kept across launches, refusals shown as dialogs, the narrow layout.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use support::podman::podman;
use support::wait::poll;

use crate::harness::{self, Desktop, nodes, outside_window, shows, texts, window_size};

#[test]
fn projects_open_persist_and_refuse_bad_folders() {
    let mut desktop = Desktop::launched();
    desktop.wait_for("the empty state", |tree| shows(tree, "No Projects"));
    desktop.screenshot("empty-state");

    let (_keep, project) = desktop.approved_project("gui-open", &["sh"]);
    desktop
        .activate("open-project", Some(&project))
        .expect("app.open-project over D-Bus");
    let tree = desktop.wait_for("the project page", |tree| {
        shows(tree, "gui-open") && shows(tree, "CPUs") && shows(tree, "Memory")
    });
    assert!(shows(&tree, &project.display().to_string()), "path shown");
    let memory = nodes(&tree, "AdwSpinRow")
        .into_iter()
        .find(|row| row["title"] == "Memory")
        .expect("a Memory row");
    assert_eq!(
        memory["value"].as_f64(),
        Some(0.5),
        "memory in GiB: {memory}"
    );
    assert!(
        !texts(&tree).iter().any(|t| t == "API Keys"),
        "an agent that takes no key has no keys group"
    );
    desktop.screenshot("project-page");

    // Changing the definition on disk is not what the form does: it saves on
    // edit. Here: the home folder is refused with the sandbox layer's reason.
    let home = desktop.home.home();
    desktop
        .activate("open-project", Some(home.as_path()))
        .expect("action");
    desktop.wait_for("the refusal dialog", |tree| {
        shows(tree, "Cannot Add This Folder") && shows(tree, "home folder")
    });
    desktop.focus();
    desktop.key("Escape");
    desktop.wait_for("the dialog to close", |tree| {
        !shows(tree, "Cannot Add This Folder")
    });

    // `paddock open DIR` hands a second folder to the running instance.
    let (_keep2, second) = desktop.approved_project("gui-second", &["sh"]);
    desktop.open_from_terminal(&second);
    desktop.wait_for("the second project", |tree| shows(tree, "gui-second"));

    // The list survives a restart; the folders were never touched.
    desktop.quit();
    desktop.launch();
    let tree = desktop.wait_for("both projects after a restart", |tree| {
        shows(tree, "gui-open") && shows(tree, "gui-second")
    });
    assert!(!nodes(&tree, "AdwActionRow").is_empty());
    assert!(project.join(".agent-sandbox/paddock.toml").is_file());
    desktop.quit();
}

#[test]
fn paddock_open_starts_the_window_when_none_runs() {
    let desktop = Desktop::start();
    let (_keep, project) = desktop.approved_project("gui-cold", &["sh"]);
    desktop.open_from_terminal(&project);
    desktop.bus.wait_for_name(harness::APP_ID);
    desktop.wait_for("the project in the started window", |tree| {
        shows(tree, "gui-cold") && shows(tree, "CPUs")
    });
    let _ = desktop.activate("quit", None);
}

/// At the smallest size GNOME asks apps to support (360x294), the sidebar
/// collapses and the header's buttons shrink to icons: every widget stays
/// inside the window. The same in the dark style.
#[test]
fn narrow_window_collapses_the_sidebar_clips_nothing_and_dark_style_works() {
    let (_keep, project) = harness::project("gui-narrow", &["sh"]);
    for (dark, name) in [(false, "narrow"), (true, "narrow-dark")] {
        let mut desktop = Desktop::start();
        desktop.approve(&project);
        desktop.set_window_size(360, 294);
        let scheme = if dark { "prefer-dark" } else { "prefer-light" };
        desktop.launch_with(&[("ADW_DEBUG_COLOR_SCHEME", scheme)]);
        desktop
            .activate("open-project", Some(&project))
            .expect("action");
        desktop.wait_for("the collapsed split view", |tree| {
            nodes(tree, "AdwNavigationSplitView")
                .iter()
                .any(|n| n["collapsed"] == serde_json::Value::Bool(true))
                && shows(tree, "CPUs")
        });
        // Sandboxes of other tests on this podman are announced in a toast,
        // which would cover the screenshot: it times out.
        poll(Duration::from_secs(15), Duration::from_millis(300), || {
            !shows(&desktop.tree(), "still running")
        });
        let tree = desktop.settled();
        assert_eq!(tree["dark"], serde_json::Value::Bool(dark), "style");
        assert_eq!(window_size(&tree), Some((360, 294)));
        assert!(shows(&tree, "gui-narrow"));
        let shot = desktop.screenshot(name);
        let clipped = outside_window(&tree);
        assert!(
            clipped.is_empty(),
            "drawn outside the window (see {}): {clipped:#?}",
            shot.display()
        );
        desktop.quit();
    }
}

/// A folder dragged from another app (a GTK window standing in for Files)
/// and dropped on the window becomes a project; while it hovers, the window
/// says what a drop will do.
#[test]
fn a_folder_dropped_on_the_window_becomes_a_project() {
    let mut desktop = Desktop::launched();
    // Other sandboxes on this podman may be listed: no empty state needed.
    let tree = desktop.wait_for("the sidebar", |tree| shows(tree, "Projects"));
    assert!(!shows(&tree, "Drop Folder to Add Project"), "before a drag");
    let (_keep, project) = desktop.approved_project("gui-dropped", &["sh"]);
    desktop.drag_folder_onto_window(&project, || {
        desktop.wait_for("the drop hint", |tree| {
            shows(tree, "Drop Folder to Add Project")
        });
        desktop.screenshot("polish-drop-hint");
    });
    let tree = desktop.wait_for("the dropped project", |tree| {
        shows(tree, "gui-dropped") && shows(tree, "CPUs")
    });
    assert!(shows(&tree, &project.display().to_string()));
    assert!(
        !shows(&tree, "Drop Folder to Add Project"),
        "after the drop"
    );
    desktop.quit();
}

/// "Add Project" asks the real xdg-desktop-portal for a folder where GTK
/// uses portals (told so here, as a Flatpak would be); its FileChooser
/// backend is a test double that picks the project. The request names the
/// window as its parent.
#[test]
fn add_project_goes_through_the_file_chooser_portal() {
    let mut desktop = Desktop::start();
    let (_keep, project) = desktop.approved_project("gui-chosen", &["sh"]);
    desktop.start_file_chooser_double(&project);
    desktop.set_window_size(1280, 800);
    desktop.launch_with(&[("GDK_DEBUG", "portals")]);
    // Other sandboxes on this podman may be listed: no empty state needed.
    desktop.wait_for("the sidebar", |tree| shows(tree, "Projects"));
    desktop.focus();
    desktop.click("Add Project");
    desktop.wait_for("the chosen project", |tree| {
        shows(tree, "gui-chosen") && shows(tree, "CPUs")
    });
    let calls = desktop.file_chooser_calls();
    assert!(
        calls.contains("OpenFile") && calls.contains("directory"),
        "the backend was asked for a folder: {calls}"
    );
    assert!(calls.contains("x11:"), "parented to the window: {calls}");
    desktop.quit();
}

/// Without a portal to use (GTK told so here: this desktop's bus does have
/// one), "Add Project" opens GTK's own chooser, as a modal dialog of the
/// window; cancelling it adds nothing.
#[test]
fn add_project_without_a_portal_opens_a_chooser_parented_to_the_window() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(1280, 800);
    desktop.launch_with(&[("GDK_DEBUG", "no-portals")]);
    desktop.wait_for("the sidebar", |tree| shows(tree, "Projects"));
    desktop.focus();
    desktop.click("Add Project");
    let tree = desktop.wait_for("the chooser", |tree| {
        !nodes(tree, "GtkFileChooserDialog").is_empty()
    });
    let chooser = nodes(&tree, "GtkFileChooserDialog")[0];
    assert_eq!(
        chooser["transient_for"].as_str(),
        Some("AdwApplicationWindow"),
        "{chooser}"
    );
    assert_eq!(chooser["modal"], serde_json::json!(true));
    desktop.screenshot("polish-add-project-chooser");
    desktop.key("Escape");
    let tree = desktop.wait_for("the chooser to close", |tree| {
        nodes(tree, "GtkFileChooserDialog").is_empty()
    });
    assert!(
        !shows(&tree, "Could Not Choose a Folder"),
        "a cancel is no error"
    );
    desktop.quit();
}

/// A `paddock.toml` broken by hand or by an agent: the page names each
/// problem by its key and says what to do; an editor's fix is picked up
/// when the file is saved, and Reset makes it valid, keeping the valid
/// settings and the old file.
#[test]
fn an_invalid_definition_is_explained_reloaded_and_reset_without_loss() {
    let mut desktop = Desktop::start();
    let opened = desktop.install_text_editor_double();
    desktop.set_window_size(1280, 800);
    // GTK would hand the file to the OpenURI portal, which this bus could
    // only activate from the system's configuration (outside the test's XDG
    // dirs); without portals gtk::FileLauncher opens the default
    // application itself, as on a desktop without xdg-desktop-portal.
    desktop.launch_with(&[("GDK_DEBUG", "no-portals")]);
    let (_keep, project) = desktop.approved_project("gui-invalid", &["sh"]);
    let file = project.join(".agent-sandbox/paddock.toml");
    let valid = std::fs::read_to_string(&file).unwrap();
    let invalid = valid
        .replace("cpus = 1", "cpus = \"many\"")
        .replace("memory_mib = 512", "memory_mib = 1024")
        .replace("network = \"offline\"", "network = \"sideways\"");
    std::fs::write(&file, &invalid).unwrap();
    desktop
        .activate("open-project", Some(&project))
        .expect("action");
    desktop.wait_for("the keyed problem", |tree| {
        shows(tree, "The Sandbox Definition Is Not Valid")
            && shows(tree, "resources.cpus")
            && shows(tree, "Reset to a Valid Definition")
    });
    desktop.screenshot("invalid-definition");

    // Fixed in an editor: the form comes back when the file is saved.
    std::fs::write(&file, &valid).unwrap();
    desktop.wait_for("the form after the fix", |tree| {
        shows(tree, "CPUs") && !shows(tree, "Not Valid")
    });
    // Broken again while the form shows it (an agent wrote it).
    std::fs::write(&file, &invalid).unwrap();
    desktop.wait_for("the problem again", |tree| {
        shows(tree, "The Sandbox Definition Is Not Valid")
    });

    desktop.focus();
    // Sandboxes of other tests on this podman are announced in a toast,
    // which may cover the button below the problems: it times out.
    poll(Duration::from_secs(15), Duration::from_millis(300), || {
        !shows(&desktop.tree(), "still running")
    });
    // "Open in Text Editor" hands the file to the default editor.
    desktop.click("Open in Text Editor");
    if !poll(Duration::from_secs(20), Duration::from_millis(200), || {
        opened.exists()
    }) {
        let shot = desktop.screenshot("timeout-text-editor");
        panic!("the text editor was not started ({})", shot.display());
    }
    assert_eq!(
        std::fs::read_to_string(&opened).unwrap(),
        file.display().to_string()
    );
    desktop.click("Reset to a Valid Definition");
    desktop.wait_for("the form after the reset", |tree| {
        shows(tree, "CPUs") && shows(tree, "kept as paddock.toml.invalid")
    });
    let reset = std::fs::read_to_string(&file).unwrap();
    assert!(reset.contains("memory_mib = 1024"), "kept: {reset}");
    assert!(reset.contains("\"container\""), "kept: {reset}");
    assert!(
        !reset.contains("many") && !reset.contains("sideways"),
        "{reset}"
    );
    let kept = project.join(".agent-sandbox/paddock.toml.invalid");
    assert_eq!(std::fs::read_to_string(kept).unwrap(), invalid);
    desktop.quit();
}

/// With podman's crun lacking libkrun (as on these machines), microVMs
/// cannot run: the window says so in a banner over a microVM project (not
/// over a container-only one, nor the System Check, which shows it in
/// full), and the system check lists every check with the install command
/// to copy.
#[test]
fn a_blocking_host_check_shows_a_banner_and_the_system_check() {
    const BANNER: &str = "This computer cannot start microVMs yet";
    let (_, runtime) = podman(&["info", "--format", "{{.Host.OCIRuntime.Version}}"]);
    let krun = runtime.contains("+LIBKRUN");
    let mut desktop = Desktop::launched();
    let (_keep_vm, vm) = harness::project("banner-vm", &["sh"]);
    let file = vm.join(".agent-sandbox/paddock.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("runtime = \"container\"", "runtime = \"krun\""),
    )
    .unwrap();
    let (_keep_container, container) = harness::project("banner-container", &["sh"]);
    desktop
        .activate("open-project", Some(&container))
        .expect("open");
    desktop.wait_for("the container-only project", |tree| {
        shows(tree, "banner-container")
    });
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        !shows(&desktop.settled(), BANNER),
        "the microVM banner over a container-only project"
    );
    // A broken paddock.toml cannot run whatever the host has: the page's
    // own problem list is what blocks it, not the microVM banner.
    let (_keep_broken, broken) = harness::project("banner-broken", &["sh"]);
    std::fs::write(
        broken.join(".agent-sandbox/paddock.toml"),
        "version = 1\n[sandbox\nruntime = \"krun\"\n",
    )
    .unwrap();
    desktop
        .activate("open-project", Some(&broken))
        .expect("open");
    desktop.wait_for("the broken project's problems", |tree| {
        shows(tree, "banner-broken") && shows(tree, "The Sandbox Definition Is Not Valid")
    });
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        !shows(&desktop.settled(), BANNER),
        "the microVM banner over a definition that cannot run anyway"
    );
    desktop.activate("open-project", Some(&vm)).expect("open");
    if krun {
        desktop.wait_for_within("no banner", Duration::from_secs(20), |tree| {
            shows(tree, "banner-vm") && !shows(tree, BANNER)
        });
    } else {
        desktop.wait_for("the blocking banner", |tree| {
            shows(tree, "banner-vm") && shows(tree, BANNER)
        });
        desktop.screenshot("forms-banner");
        // Closed, it stays closed for the same problem, over every project.
        desktop.click("Dismiss");
        desktop.wait_for("the banner closed", |tree| !shows(tree, BANNER));
        desktop
            .activate("open-project", Some(&container))
            .expect("open");
        desktop.wait_for("the other project", |tree| shows(tree, "banner-container"));
        desktop.activate("open-project", Some(&vm)).expect("open");
        desktop.wait_for("the microVM project", |tree| shows(tree, "banner-vm"));
        std::thread::sleep(Duration::from_secs(2));
        assert!(
            !shows(&desktop.settled(), BANNER),
            "the closed banner came back"
        );
    }
    desktop
        .activate("system-check", None)
        .expect("system check");
    desktop.wait_for("no banner over the System Check", |tree| {
        shows(tree, "System Check") && !shows(tree, BANNER)
    });
    let tree = desktop.wait_for("every check", |tree| {
        shows(tree, "System Check")
            && shows(tree, "Hardware Virtualization")
            && shows(tree, "Resource Limits")
            && shows(tree, "Runs as You")
    });
    if !krun {
        assert!(shows(&tree, "crun-krun"), "the install command is shown");
        desktop.screenshot("system-check");
        desktop.screenshot("forms-system-check");
        desktop.click("Copy");
        desktop.wait_for("the Copied toast", |tree| shows(tree, "Copied"));
    }
    desktop.quit();
}

/// The banner over a microVM project and the System Check, light, wide
/// and at 360 px, for the screenshots (where crun lacks libkrun).
#[test]
fn the_banner_and_the_system_check_light_and_narrow() {
    let (_, runtime) = podman(&["info", "--format", "{{.Host.OCIRuntime.Version}}"]);
    if runtime.contains("+LIBKRUN") {
        return;
    }
    for (width, height, name) in [(1000, 800, "light"), (360, 700, "narrow")] {
        let mut desktop = Desktop::start();
        desktop.set_window_size(width, height);
        desktop.launch_with(&[("ADW_DEBUG_COLOR_SCHEME", "prefer-light")]);
        let (_keep, vm) = desktop.approved_project("banner-vm", &["sh"]);
        let file = vm.join(".agent-sandbox/paddock.toml");
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(
            &file,
            text.replace("runtime = \"container\"", "runtime = \"krun\""),
        )
        .unwrap();
        desktop.approve(&vm);
        desktop.activate("open-project", Some(&vm)).expect("open");
        desktop.wait_for("the banner", |tree| {
            shows(tree, "This computer cannot start microVMs yet") && shows(tree, "Dismiss")
        });
        desktop.screenshot(&format!("forms-banner-{name}"));
        desktop
            .activate("system-check", None)
            .expect("system check");
        desktop.wait_for("the checks", |tree| shows(tree, "Hardware Virtualization"));
        desktop.screenshot(&format!("forms-system-check-{name}"));
        desktop.quit();
    }
}

fn xdotool(desktop: &Desktop, args: &[&str]) {
    desktop.display.xdotool(args);
}

/// Clicks into the text of the entry row whose title starts with `title`
/// (with no window manager the window's top left corner is the screen's).
fn click_entry_row(desktop: &Desktop, title: &str) {
    let tree = desktop.settled();
    let at = |node: &serde_json::Value, i: usize| node["bounds"][i].as_f64().unwrap_or(0.0);
    let row = nodes(&tree, "AdwEntryRow")
        .into_iter()
        .find(|row| row["title"].as_str().is_some_and(|t| t.starts_with(title)))
        .unwrap_or_else(|| panic!("no entry row {title:?}"));
    let x = at(row, 0) - at(&tree, 0) + at(row, 2) / 2.0;
    let y = at(row, 1) - at(&tree, 1) + at(row, 3) / 2.0;
    let (x, y) = (x.round().to_string(), y.round().to_string());
    xdotool(desktop, &["mousemove", &x, &y, "click", "1"]);
}

/// Every content `file` has had, from now until the returned function is
/// called: read as fast as it can change (the app replaces it whole).
fn versions_of(file: &Path) -> impl FnOnce() -> Vec<String> {
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (file, stop) = (file.to_owned(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut versions: Vec<String> = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                if let Ok(text) = std::fs::read_to_string(&file)
                    && versions.last() != Some(&text)
                {
                    versions.push(text);
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            versions
        })
    };
    move || {
        stop.store(true, Ordering::Relaxed);
        reader.join().expect("the reading thread")
    }
}

/// What is typed into the form reaches `paddock.toml` once the typing
/// stops, in one write rather than one per keystroke; what was typed just
/// before the window closed is written as it closes.
#[test]
fn typing_is_saved_once_on_enter_not_per_keystroke() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(1280, 800);
    desktop.launch();
    let (_keep, project) = desktop.approved_project("gui-typing", &["sh"]);
    let file = project.join(".agent-sandbox/paddock.toml");
    let original = std::fs::read_to_string(&file).unwrap();
    desktop
        .activate("open-project", Some(&project))
        .expect("open");
    desktop.wait_for("the form", |tree| {
        shows(tree, "gui-typing") && shows(tree, "CPUs")
    });

    let stop_reading = versions_of(&file);
    desktop.focus();
    click_entry_row(&desktop, "Command");
    xdotool(&desktop, &["key", "End"]);
    // Most keystrokes make a valid command of their own: "sh -", "sh -x", ...
    xdotool(&desktop, &["type", "--delay", "30", " -x -e"]);
    desktop.wait_for("the typing in the form", |tree| {
        nodes(tree, "AdwEntryRow")
            .iter()
            .any(|row| row["text"] == "sh -x -e")
    });
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        original,
        "nothing is written before Enter"
    );
    xdotool(&desktop, &["key", "Return"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&file).unwrap().contains("\"-e\"") {
        assert!(
            std::time::Instant::now() < deadline,
            "Enter did not apply the command"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(1));
    let versions = stop_reading();
    assert_eq!(versions.len(), 2, "written once, on Enter: {versions:#?}");
    assert_eq!(versions[0], original);
    assert!(
        versions[1].contains("\"sh\", \"-x\", \"-e\""),
        "{}",
        versions[1]
    );
    desktop.quit();
}

#[test]
fn a_damaged_project_list_is_kept_aside_and_the_user_told() {
    let mut desktop = Desktop::start();
    let state = desktop.home.data().join("paddock/state.json");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    std::fs::write(&state, b"{\"projects\": [\"/home/u/half").unwrap();
    desktop.launch();
    let tree = desktop.wait_for("the toast", |tree| {
        shows(tree, "could not read its list of projects")
    });
    let kept: Vec<_> = std::fs::read_dir(state.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("state.json.damaged-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(shows(&tree, &kept[0]), "the toast names the kept file");
    assert_eq!(
        std::fs::read(state.parent().unwrap().join(&kept[0])).unwrap(),
        b"{\"projects\": [\"/home/u/half"
    );
    desktop.quit();
}
