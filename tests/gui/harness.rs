//! The GUI tests' desktop: a private X display and session bus per test,
//! the real `paddock` binary started on them in a home of the test's own,
//! its exported actions called over that bus, and what its window shows
//! read back through the test-only introspection interface
//! (`PADDOCK_TEST_INTROSPECTION=1`). The app's GSettings schema is compiled
//! for it, and its settings are kept in a key file under the test's own
//! XDG_CONFIG_HOME (`Desktop::gsettings`).
// Helpers of tests, which fail by panicking.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::bus::PrivateBus;
use support::display::VirtualDisplay;
use support::doubles::Double;
use support::paddock::{TestHome, binary};
use support::podman::base_image;
use support::process::{Reaped, exited_within, start_with_line};
use support::wait::poll;
use zbus::zvariant;

pub const APP_ID: &str = "io.github.paddockapp.Paddock.Devel";
pub const APP_PATH: &str = "/io/github/paddockapp/Paddock/Devel";

/// Screen size; the window is given a little less so that the pointer can
/// be moved off it (to take the focus away).
pub const SCREEN: (u32, u32) = (1400, 900);

/// The FileChooser backend double's name.
const FILE_CHOOSER: &str = "org.freedesktop.impl.portal.PaddockTest";

// Dropped in this order: the app (in `drop`), the services on the bus, the
// bus, the display, the home.
pub struct Desktop {
    app: Option<Child>,
    notifications: Option<Double>,
    file_chooser: Option<Double>,
    /// The real xdg-desktop-portal, in front of the FileChooser double.
    portal: Option<Reaped>,
    runtime: tokio::runtime::Runtime,
    connection: zbus::Connection,
    pub bus: PrivateBus,
    pub display: VirtualDisplay,
    /// HOME and the XDG folders of the app: its own, per test.
    pub home: TestHome,
}

impl Desktop {
    pub fn start() -> Desktop {
        let display = VirtualDisplay::start(SCREEN.0, SCREEN.1);
        // The system's session configuration: GTK finds the accessibility
        // bus and the settings portal the way it does on a desktop.
        let bus = PrivateBus::session();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let connection = runtime
            .block_on(async {
                zbus::connection::Builder::address(bus.address())?
                    .build()
                    .await
            })
            .expect("the private session bus");
        let home = TestHome::new();
        // The app's icon, where an installation puts it (the About dialog
        // and the window show it).
        let icons = home.data().join("icons/hicolor/scalable/apps");
        std::fs::create_dir_all(&icons).expect("the icon folder");
        std::fs::copy(
            support::source("data/icons/io.github.paddockapp.Paddock.Devel.svg"),
            icons.join(format!("{APP_ID}.svg")),
        )
        .expect("the app's icon");
        compile_schema(&home.path().join("schemas"));
        Desktop {
            app: None,
            notifications: None,
            file_chooser: None,
            portal: None,
            runtime,
            connection,
            bus,
            display,
            home,
        }
    }

    /// A desktop with the app running in a 1280 x 800 window.
    pub fn launched() -> Desktop {
        let mut desktop = Desktop::start();
        desktop.set_window_size(1280, 800);
        desktop.launch();
        desktop
    }

    /// A notification daemon test double: there is no GNOME Shell here; it
    /// records every Notify call.
    pub fn start_notification_double(&mut self) {
        self.notifications = Some(Double::notification_daemon(&self.bus));
    }

    /// The real xdg-desktop-portal frontend on the private bus, with a
    /// FileChooser backend test double: there is no GNOME here to show a
    /// chooser, so the double answers every request with `folder`, as if
    /// the user had picked it.
    pub fn start_file_chooser_double(&mut self, folder: &Path) {
        const INTERFACE: &str = "org.freedesktop.impl.portal.FileChooser";
        let double = Double::object(
            &self.bus,
            FILE_CHOOSER,
            "/org/freedesktop/portal/desktop",
            INTERFACE,
        );
        let uri = format!("file://{}", folder.display());
        double.add_method(
            INTERFACE,
            "OpenFile",
            "osssa{sv}",
            "ua{sv}",
            &format!(
                "ret = (dbus.UInt32(0), {{'uris': dbus.Array([{uri:?}], signature='s', variant_level=1)}})"
            ),
        );
        self.file_chooser = Some(double);
        // The frontend finds its backends, and which to use on this
        // "desktop", in XDG_DESKTOP_PORTAL_DIR.
        let portals = self.home.path().join("portals");
        std::fs::create_dir_all(&portals).unwrap();
        std::fs::write(
            portals.join("paddock-test.portal"),
            format!(
                "[portal]\nDBusName={FILE_CHOOSER}\nInterfaces=org.freedesktop.impl.portal.FileChooser;\n"
            ),
        )
        .unwrap();
        std::fs::write(
            portals.join("paddock-test-portals.conf"),
            "[preferred]\ndefault=paddock-test\n",
        )
        .unwrap();
        let frontend = Command::new("/usr/libexec/xdg-desktop-portal")
            .env("DBUS_SESSION_BUS_ADDRESS", self.bus.address())
            .env("XDG_DESKTOP_PORTAL_DIR", &portals)
            .env("XDG_CURRENT_DESKTOP", "paddock-test")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("xdg-desktop-portal is installed in the dev environment");
        self.portal = Some(Reaped(frontend));
        self.bus.wait_for_name("org.freedesktop.portal.Desktop");
    }

    /// A text editor test double: the default application for TOML and
    /// plain text in this desktop's XDG dirs, which only writes the path it
    /// was asked to open into the returned file.
    pub fn install_text_editor_double(&self) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let marker = self.home.path().join("editor-opened");
        let script = self.home.path().join("editor.sh");
        std::fs::write(
            &script,
            format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", marker.display()),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let applications = self.home.data().join("applications");
        std::fs::create_dir_all(&applications).unwrap();
        std::fs::write(
            applications.join("paddock-test-editor.desktop"),
            format!(
                "[Desktop Entry]\nType=Application\nName=Test Editor\nExec={} %f\nMimeType=application/toml;text/plain;\n",
                script.display()
            ),
        )
        .unwrap();
        std::fs::write(
            self.home.config().join("mimeapps.list"),
            "[Default Applications]\napplication/toml=paddock-test-editor.desktop\ntext/plain=paddock-test-editor.desktop\n",
        )
        .unwrap();
        marker
    }

    /// The FileChooser requests the backend double received, as text.
    pub fn file_chooser_calls(&self) -> String {
        self.file_chooser
            .as_ref()
            .expect("the FileChooser double is started")
            .calls()
    }

    /// The Notify calls the double received, as text.
    pub fn notifications(&self) -> String {
        self.notifications
            .as_ref()
            .expect("the notification double is started")
            .calls()
    }

    /// Sets the window size the app will restore (its settings).
    pub fn set_window_size(&self, width: u32, height: u32) {
        self.gsettings(&["set", APP_ID, "window-width", &width.to_string()]);
        self.gsettings(&["set", APP_ID, "window-height", &height.to_string()]);
    }

    /// Runs the `gsettings` tool on the app's settings (the same schema and
    /// key file the app uses) and returns what it printed.
    pub fn gsettings(&self, args: &[&str]) -> String {
        let output = self
            .command("gsettings")
            .args(args)
            .output()
            .expect("gsettings (libglib2.0-bin)");
        assert!(
            output.status.success(),
            "gsettings {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// [`project`], approved as if the user had written it in Paddock, so
    /// that the window builds and runs it without asking.
    pub fn approved_project(&self, name: &str, command: &[&str]) -> (tempfile::TempDir, PathBuf) {
        let (keep, dir) = project(name, command);
        self.approve(&dir);
        (keep, dir)
    }

    /// Records the definition in `dir` as approved, where the app under
    /// test keeps its approvals.
    pub fn approve(&self, dir: &Path) {
        let home = self.home.path();
        let project = sandbox::project::Project::open(dir, home).expect("a project");
        sandbox::approval::Approvals::at(self.home.data().join("paddock/approvals"))
            .approve_written(
                &project,
                &sandbox::presets::Presets::builtin(),
                home,
                &sandbox::approval::HostSockets::from_env(),
            )
            .expect("approve");
    }

    /// `program` on this desktop: its display, bus, home and settings.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = self.home.command(program);
        command
            .env("DISPLAY", self.display.name())
            .env("DBUS_SESSION_BUS_ADDRESS", self.bus.address())
            .env("GSK_RENDERER", "cairo")
            .env("GTK_A11Y", "none")
            .env("NO_AT_BRIDGE", "1")
            .env("PADDOCK_TEST_INTROSPECTION", "1")
            .env("GSETTINGS_SCHEMA_DIR", self.home.path().join("schemas"))
            .env("GSETTINGS_BACKEND", "keyfile")
            .env_remove("GTK_USE_PORTAL");
        command
    }

    /// `paddock` on this desktop.
    pub fn paddock(&self) -> Command {
        self.command(binary())
    }

    /// `paddock open DIR` from a terminal of this desktop, which must succeed.
    pub fn open_from_terminal(&self, folder: &Path) {
        let status = self
            .paddock()
            .arg("open")
            .arg(folder)
            .status()
            .expect("paddock open");
        assert!(status.success(), "paddock open exits 0");
    }

    /// Starts the real app and waits until it owns its name and answers.
    pub fn launch(&mut self) {
        self.launch_with(&[]);
    }

    pub fn launch_with(&mut self, env: &[(&str, &str)]) {
        assert!(self.app.is_none(), "the app is already running");
        let mut command = self.paddock();
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command
            .stdout(Stdio::null())
            .spawn()
            .expect("the paddock binary");
        self.app = Some(child);
        self.bus.wait_for_name(APP_ID);
        self.wait_for("the window", |tree| !tree.is_null());
    }

    /// Quits through the exported action and waits for the process to end.
    pub fn quit(&mut self) {
        let _ = self.activate("quit", None);
        if let Some(mut child) = self.app.take()
            && exited_within(&mut child, Duration::from_secs(20)).is_none()
        {
            let _ = child.kill();
            panic!("the app did not quit within 20 s");
        }
    }

    /// Kills the app with SIGKILL (no chance to save or clean up), as a
    /// crash or the OOM killer would.
    pub fn kill(&mut self) {
        let mut child = self.app.take().expect("the app is running");
        child.kill().expect("SIGKILL the app");
        child.wait().expect("reap the app");
    }

    /// Waits up to 20 s for the app to end by itself; whether it did.
    pub fn wait_for_exit(&mut self) -> bool {
        self.wait_for_exit_within(Duration::from_secs(20))
    }

    pub fn wait_for_exit_within(&mut self, timeout: Duration) -> bool {
        let Some(child) = self.app.as_mut() else {
            return true;
        };
        let ended = exited_within(child, timeout).is_some();
        if ended {
            self.app = None;
        }
        ended
    }

    /// `org.gtk.Actions.Activate` on the app, as the shell or `gapplication` would.
    pub fn activate(&self, action: &str, path: Option<&Path>) -> zbus::Result<()> {
        let parameter: Vec<zvariant::Value<'_>> = path
            .map(|p| vec![zvariant::Value::from(p.to_string_lossy().into_owned())])
            .unwrap_or_default();
        self.activate_with(action, parameter)
    }

    /// `app.view(uint32 INDEX)`: the current project's view by its place
    /// (Sandbox, Build, Terminal, Changes, Network).
    pub fn view(&self, index: u32) -> zbus::Result<()> {
        self.activate_with("view", vec![zvariant::Value::from(index)])
    }

    /// Whether the app exports an action named `action`.
    pub fn has_action(&self, action: &str) -> bool {
        self.runtime.block_on(async {
            let reply = self
                .connection
                .call_method(Some(APP_ID), APP_PATH, Some("org.gtk.Actions"), "List", &())
                .await;
            reply
                .ok()
                .and_then(|message| message.body().deserialize::<Vec<String>>().ok())
                .is_some_and(|names| names.iter().any(|name| name == action))
        })
    }

    fn activate_with(&self, action: &str, parameter: Vec<zvariant::Value<'_>>) -> zbus::Result<()> {
        self.runtime.block_on(async {
            self.connection
                .call_method(
                    Some(APP_ID),
                    APP_PATH,
                    Some("org.gtk.Actions"),
                    "Activate",
                    &(
                        action,
                        parameter,
                        HashMap::<&str, zvariant::Value<'_>>::new(),
                    ),
                )
                .await
                .map(drop)
        })
    }

    /// The visible widget tree of the window.
    pub fn tree(&self) -> Value {
        self.runtime.block_on(async {
            let reply = self
                .connection
                .call_method(
                    Some(APP_ID),
                    format!("{APP_PATH}/Introspection").as_str(),
                    Some("io.github.paddockapp.Paddock.Introspection"),
                    "Dump",
                    &(),
                )
                .await;
            match reply {
                Ok(message) => {
                    let text: String = message.body().deserialize().unwrap_or_default();
                    serde_json::from_str(&text).unwrap_or(Value::Null)
                }
                Err(_) => Value::Null,
            }
        })
    }

    /// Polls the window until `check` holds; panics with the last tree.
    pub fn wait_for(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        self.wait_for_within(what, Duration::from_secs(60), check)
    }

    pub fn wait_for_within(
        &self,
        what: &str,
        timeout: Duration,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        let mut tree = Value::Null;
        if poll(timeout, Duration::from_millis(200), || {
            tree = self.tree();
            check(&tree)
        }) {
            return tree;
        }
        let shot = self.screenshot(&format!("timeout-{}", what.replace(' ', "-")));
        panic!(
            "timed out waiting for {what} (screenshot: {}); the window shows:\n{}",
            shot.display(),
            texts(&tree).join("\n")
        );
    }

    /// The tree once two dumps in a row agree: animations and transitions
    /// (a page sliding in) have ended, every widget has its final place.
    pub fn settled(&self) -> Value {
        self.settled_within(Duration::from_secs(30))
    }

    /// [`Desktop::settled`], or the last tree after `timeout` (a log that
    /// keeps streaming never settles).
    pub fn settled_within(&self, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        let mut last = self.tree();
        loop {
            std::thread::sleep(Duration::from_millis(400));
            let tree = self.tree();
            if tree == last || Instant::now() > deadline {
                return tree;
            }
            last = tree;
        }
    }

    /// Builds `project` through the window and waits for the build to end;
    /// it must succeed.
    pub fn build(&self, project: &Path) {
        self.activate("build-project", Some(project))
            .expect("build");
        let tree = self.wait_for_within("the build to finish", Duration::from_secs(300), |tree| {
            shows(tree, "Built") || shows(tree, "Build failed")
        });
        assert!(!shows(&tree, "Build failed"), "the build failed");
    }

    /// Takes a screenshot of the window (with no window manager it sits at
    /// the display's top left corner) into the screenshot folder.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        self.screenshot_sized(name, window_size)
    }

    /// [`Desktop::screenshot`] of the area `size` finds in the settled tree
    /// (another toplevel's, say: it opens at the same corner), or of the
    /// whole screen when it finds none.
    pub fn screenshot_sized(
        &self,
        name: &str,
        size: impl Fn(&Value) -> Option<(u32, u32)>,
    ) -> PathBuf {
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("the screenshot folder");
        let file = dir.join(format!("{name}.png"));
        // Let banners and pages finish sliding in, and the last frame reach
        // the screen.
        let tree = self.settled_within(Duration::from_secs(3));
        std::thread::sleep(Duration::from_millis(300));
        let mut import = Command::new("import");
        import.args(["-display", self.display.name(), "-window", "root"]);
        if let Some((width, height)) = size(&tree) {
            import.args(["-crop", &format!("{width}x{height}+0+0"), "+repage"]);
        }
        let status = import.arg(&file).status().expect("imagemagick's import");
        assert!(status.success(), "screenshot {name} failed");
        file
    }

    /// Moves the pointer onto the window (X focus follows it here).
    pub fn focus(&self) {
        self.display.xdotool(&["mousemove", "600", "400"]);
    }

    /// Clicks the middle of the first button whose label contains `label`
    /// (where the window shows it: with no window manager the window's
    /// top left corner is the screen's).
    pub fn click(&self, label: &str) {
        let tree = self.settled();
        let origin = bounds(&tree).unwrap_or([0.0; 4]);
        let buttons: Vec<&Value> = ["GtkButton", "GtkToggleButton"]
            .iter()
            .flat_map(|kind| nodes(&tree, kind))
            .collect();
        // A button's own label first, then what its content or tooltip says.
        let button = buttons
            .iter()
            .find(|node| node["text"].as_str().is_some_and(|t| t.contains(label)))
            .or_else(|| {
                buttons
                    .iter()
                    .find(|node| texts(node).iter().any(|t| t.contains(label)))
            })
            .and_then(|node| bounds(node))
            .unwrap_or_else(|| panic!("no button {label:?} in:\n{}", texts(&tree).join("\n")));
        let x = button[0] - origin[0] + button[2] / 2.0;
        let y = button[1] - origin[1] + button[3] / 2.0;
        self.display.xdotool(&[
            "mousemove",
            &format!("{}", x.round()),
            &format!("{}", y.round()),
            "click",
            "1",
        ]);
    }

    /// Moves the pointer to the middle of `node` (from a tree of now).
    pub fn point_at(&self, node: &Value) {
        let tree = self.tree();
        let origin = bounds(&tree).unwrap_or([0.0; 4]);
        let [x, y, width, height] =
            bounds(node).unwrap_or_else(|| panic!("{node} has no place on screen"));
        self.display.xdotool(&[
            "mousemove",
            &format!("{}", (x - origin[0] + width / 2.0).round()),
            &format!("{}", (y - origin[1] + height / 2.0).round()),
        ]);
    }

    /// Clicks the middle of `node` (from a tree of now).
    pub fn click_node(&self, node: &Value) {
        self.point_at(node);
        self.display.xdotool(&["click", "1"]);
    }

    /// Types `text` into the focused widget, a key at a time.
    pub fn type_text(&self, text: &str) {
        self.display.xdotool(&["type", "--delay", "40", "--", text]);
    }

    /// Opens Preferences with its key (Ctrl+comma) and waits for it.
    /// A key pressed while the window is still being mapped is lost, so it
    /// is pressed again after a while.
    pub fn open_preferences(&self) -> Value {
        self.settled();
        let open = |tree: &Value| {
            nodes(tree, "AdwPreferencesDialog")
                .first()
                .is_some_and(|dialog| shows(dialog, "New Projects"))
        };
        // The pointer on the window, however narrow: X focus follows it.
        let (width, height) = window_size(&self.tree()).unwrap_or((360, 294));
        for _ in 0..3 {
            self.display.xdotool(&[
                "mousemove",
                &(width / 2).to_string(),
                &(height / 2).to_string(),
            ]);
            self.key("ctrl+comma");
            if poll(Duration::from_secs(5), Duration::from_millis(200), || {
                open(&self.tree())
            }) {
                return self.settled();
            }
        }
        self.wait_for("the Preferences dialog", open);
        self.settled()
    }

    /// Closes Preferences with Escape (the first may only end the editing
    /// of a row) and waits until it is gone.
    pub fn close_preferences(&self) {
        for _ in 0..3 {
            self.key("Escape");
            if poll(Duration::from_secs(3), Duration::from_millis(200), || {
                preferences(&self.tree()).is_null()
            }) {
                return;
            }
        }
        self.wait_for("Preferences closed", |tree| preferences(tree).is_null());
    }

    /// Turns the mouse wheel by `notches` where the pointer is (down when
    /// positive), a notch at a time as a hand does.
    pub fn wheel(&self, notches: i32) {
        let button = if notches > 0 { "5" } else { "4" };
        for _ in 0..notches.abs() {
            self.display.xdotool(&["click", button]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// Drags `folder` from a small GTK window (drag_source.py, standing in
    /// for Files) and drops it on the app's window, with real pointer events
    /// through XDND; `meanwhile` runs while the folder hovers over the
    /// window, before the drop.
    pub fn drag_folder_onto_window(&self, folder: &Path, meanwhile: impl FnOnce()) {
        self.drag_onto_and(&[folder], (640, 400), meanwhile);
    }

    /// Drags `paths` from drag_source.py and drops them at `at` (the
    /// window's coordinates, which are the screen's here).
    pub fn drag_onto(&self, paths: &[&Path], at: (i32, i32)) {
        self.drag_onto_and(paths, at, || {});
    }

    /// [`Self::drag_onto`], calling `meanwhile` while the paths hover at
    /// `at`, before the drop.
    pub fn drag_onto_and(&self, paths: &[&Path], at: (i32, i32), meanwhile: impl FnOnce()) {
        let mut command = Command::new("python3");
        command
            .arg(support::source("tests/gui/drag_source.py"))
            .args(paths)
            .env("DISPLAY", self.display.name())
            .env("DBUS_SESSION_BUS_ADDRESS", self.bus.address())
            .env("GTK_A11Y", "none");
        let (_source, ready) = start_with_line(&mut command, "the drag source window");
        assert_eq!(ready, "ready");
        // With no window manager every window opens at the top left: the
        // source moves beside the app's window.
        self.display.xdotool(&[
            "search",
            "--sync",
            "--name",
            "paddock-drag-source",
            "windowmove",
            "1290",
            "10",
        ]);
        std::thread::sleep(Duration::from_millis(500));
        self.display
            .xdotool(&["mousemove", "1340", "60", "mousedown", "1"]);
        let (x, y) = at;
        for (x, y) in [
            (1335, 65),
            (1320, 80),
            (1200, 200),
            ((900 + x) / 2, (350 + y) / 2),
            (x + 5, y + 5),
            (x, y),
        ] {
            std::thread::sleep(Duration::from_millis(150));
            self.display
                .xdotool(&["mousemove", &x.to_string(), &y.to_string()]);
        }
        std::thread::sleep(Duration::from_millis(500));
        meanwhile();
        self.display.xdotool(&["mouseup", "1"]);
        std::thread::sleep(Duration::from_millis(500));
    }

    /// Puts `what` on this display's clipboard from a program of its own
    /// (clipboard_source.py: `png FILE`, `text TEXT` or `files PATH...`),
    /// which owns it until the returned guard is dropped.
    pub fn own_clipboard(&self, what: &[&std::ffi::OsStr]) -> Reaped {
        let mut command = Command::new("python3");
        command
            .arg(support::source("tests/gui/clipboard_source.py"))
            .args(what)
            .env("DISPLAY", self.display.name())
            .env("DBUS_SESSION_BUS_ADDRESS", self.bus.address())
            .env("GTK_A11Y", "none");
        let (owner, ready) = start_with_line(&mut command, "the clipboard owner");
        assert_eq!(ready, "ready");
        owner
    }

    /// The middle of the first terminal on screen, in the screen's
    /// coordinates.
    pub fn terminal_centre(&self) -> (i32, i32) {
        let tree = self.settled();
        let terminal = nodes(&tree, "VteTerminal")
            .first()
            .and_then(|node| bounds(node))
            .expect("a terminal on screen");
        (
            (terminal[0] + terminal[2] / 2.0).round() as i32,
            (terminal[1] + terminal[3] / 2.0).round() as i32,
        )
    }

    /// Presses a key in the focused window (e.g. Escape to close a dialog).
    pub fn key(&self, key: &str) {
        self.display.xdotool(&["key", key]);
    }

    /// Moves the pointer off the window: with no window manager, X focus
    /// follows the pointer, so the window loses the focus.
    pub fn unfocus(&self) {
        self.display.xdotool(&[
            "mousemove",
            &(SCREEN.0 - 1).to_string(),
            &(SCREEN.1 - 1).to_string(),
        ]);
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        if let Some(mut app) = self.app.take() {
            let _ = app.kill();
            let _ = app.wait();
        }
    }
}

/// data/…gschema.xml.in filled in as meson does for a development build
/// (the app ID cargo builds use), compiled into DIR.
fn compile_schema(dir: &Path) {
    std::fs::create_dir_all(dir).expect("the schema folder");
    let source = std::fs::read_to_string(support::source(
        "data/io.github.paddockapp.Paddock.gschema.xml.in",
    ))
    .expect("the schema source");
    let schema = source
        .replace("@APP_ID@", APP_ID)
        .replace("@SCHEMA_PATH@", &format!("{APP_PATH}/"));
    std::fs::write(dir.join(format!("{APP_ID}.gschema.xml")), schema).expect("write the schema");
    let status = Command::new("glib-compile-schemas")
        .arg("--strict")
        .arg(dir)
        .status()
        .expect("glib-compile-schemas (libglib2.0-bin)");
    assert!(status.success(), "the schema does not compile");
}

pub fn screenshot_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PADDOCK_SCREENSHOT_DIR") {
        return dir.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // target/debug/paddock -> target
            binary()
                .ancestors()
                .nth(2)
                .map(Path::to_path_buf)
                .unwrap_or_else(std::env::temp_dir)
        });
    target.join("screenshots")
}

/// The window's size, from the bounds of the tree's root.
pub fn window_size(tree: &Value) -> Option<(u32, u32)> {
    let bounds = tree.get("bounds")?.as_array()?;
    let size = |i: usize| bounds.get(i)?.as_f64().map(|v| v.round() as u32);
    Some((size(2)?, size(3)?))
}

/// Widgets drawn (partly) outside the window: every node whose allocation
/// leaves the window's, except inside scrolled windows, whose content is
/// meant to extend beyond what they show.
pub fn outside_window(tree: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(window) = bounds(tree) {
        outside(tree, window, &mut out);
    }
    out
}

/// x, y, width, height.
fn bounds(node: &Value) -> Option<[f64; 4]> {
    let b = node.get("bounds")?.as_array()?;
    let v = |i: usize| b.get(i)?.as_f64();
    Some([v(0)?, v(1)?, v(2)?, v(3)?])
}

fn outside(node: &Value, window: [f64; 4], out: &mut Vec<String>) {
    let kind = node.get("type").and_then(Value::as_str).unwrap_or("");
    // Half a pixel of rounding either way.
    if let Some([x, y, w, h]) = bounds(node)
        && (x < window[0] - 0.5
            || y < window[1] - 0.5
            || x + w > window[0] + window[2] + 0.5
            || y + h > window[1] + window[3] + 0.5)
    {
        let text = texts(node).first().cloned().unwrap_or_default();
        out.push(format!("{kind} {text:?} at {:?}", [x, y, w, h]));
    }
    if kind == "GtkScrolledWindow" {
        return;
    }
    if let Some(Value::Array(children)) = node.get("children") {
        for child in children {
            outside(child, window, out);
        }
    }
}

/// Every text the tree shows (labels, titles, log and terminal text), in order.
pub fn texts(tree: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect(tree, &mut out);
    out
}

fn collect(node: &Value, out: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            // A banner that is not revealed is not on screen.
            if map.get("revealed") == Some(&Value::Bool(false)) {
                return;
            }
            for key in ["title", "subtitle", "text", "tooltip"] {
                if let Some(Value::String(s)) = map.get(key)
                    && !s.is_empty()
                {
                    out.push(s.clone());
                }
            }
            if let Some(Value::Array(tabs)) = map.get("tabs") {
                for tab in tabs {
                    if let Value::String(s) = tab {
                        out.push(s.clone());
                    }
                }
            }
            if let Some(children) = map.get("children") {
                collect(children, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
        _ => {}
    }
}

/// The first node of `type_name` titled `title`.
pub fn titled<'a>(tree: &'a Value, type_name: &str, title: &str) -> Option<&'a Value> {
    nodes(tree, type_name)
        .into_iter()
        .find(|node| node["title"] == title)
}

/// The Preferences dialog's part of the tree (`Null` when it is closed).
pub fn preferences(tree: &Value) -> Value {
    nodes(tree, "AdwPreferencesDialog")
        .first()
        .map_or(Value::Null, |dialog| (*dialog).clone())
}

pub fn shows(tree: &Value, needle: &str) -> bool {
    texts(tree).iter().any(|t| t.contains(needle))
}

/// The nodes of a widget type (GType name, e.g. "GtkProgressBar").
pub fn nodes<'a>(tree: &'a Value, type_name: &str) -> Vec<&'a Value> {
    let mut out = Vec::new();
    find(tree, type_name, &mut out);
    out
}

fn find<'a>(node: &'a Value, type_name: &str, out: &mut Vec<&'a Value>) {
    match node {
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some(type_name) {
                out.push(node);
            }
            if let Some(children) = map.get("children") {
                find(children, type_name, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| find(i, type_name, out)),
        _ => {}
    }
}

/// The project page's view on screen, by its name ("settings", "build",
/// "terminal", "changes", "network").
pub fn shown_view(tree: &Value) -> Option<String> {
    nodes(tree, "AdwViewStack")
        .iter()
        .find_map(|stack| stack["visible_child"].as_str().map(str::to_owned))
}

/// What the window's labels draw: their text with any markup applied, not
/// the markup of a row's title or subtitle.
pub fn label_texts(tree: &Value) -> Vec<String> {
    nodes(tree, "GtkLabel")
        .iter()
        .filter_map(|label| label["text"].as_str().map(str::to_owned))
        .collect()
}

/// Whether a terminal of the window shows `needle`.
pub fn terminal_shows(tree: &Value, needle: &str) -> bool {
    terminal_text(tree).contains(needle)
}

/// What the window's terminals show, one after the other.
pub fn terminal_text(tree: &Value) -> String {
    nodes(tree, "VteTerminal")
        .iter()
        .filter_map(|t| t["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A project folder (in a temp dir) with a container-mode definition on
/// the local busybox image and `command` as the agent.
pub fn project(name: &str, command: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let parent = tempfile::Builder::new()
        .prefix("paddock-gui")
        .tempdir()
        .expect("a temp dir");
    let dir = parent.path().join(name);
    std::fs::create_dir_all(dir.join(".agent-sandbox")).unwrap();
    let base = base_image();
    let command: Vec<String> = command.iter().map(|c| format!("{c:?}")).collect();
    std::fs::write(
        dir.join(".agent-sandbox/paddock.toml"),
        format!(
            "version = 1\n\n[agent]\ncommand = [{}]\n\n[image]\nbase = \"{base}\"\n\n[resources]\ncpus = 1\nmemory_mib = 512\n\n[sandbox]\nruntime = \"container\"\nnetwork = \"offline\"\n",
            command.join(", ")
        ),
    )
    .unwrap();
    let dir = std::fs::canonicalize(dir).unwrap();
    (parent, dir)
}
