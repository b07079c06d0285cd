//! Shared by the GUI tests: a private X display (Xvfb) and session bus per
//! test, the real `paddock` binary started on them, its exported actions
//! called over that bus, and what its window shows read back through the
//! test-only introspection interface (`PADDOCK_TEST_INTROSPECTION=1`). The
//! app's GSettings schema is compiled for it, and its settings are kept in a
//! key file under the test's own XDG_CONFIG_HOME (`Desktop::gsettings`).
#![allow(dead_code)]
// Helpers of tests, which fail by panicking.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use zbus::zvariant;

pub const APP_ID: &str = "io.github.paddockapp.Paddock.Devel";
pub const APP_PATH: &str = "/io/github/paddockapp/Paddock/Devel";
const SOURCE: &str = env!("CARGO_MANIFEST_DIR");

/// Screen size; the window is given a little less so that the pointer can
/// be moved off it (to take the focus away).
pub const SCREEN: (u32, u32) = (1400, 900);

pub struct Desktop {
    xvfb: Child,
    bus_daemon: Child,
    notifications: Option<Child>,
    /// The real xdg-desktop-portal and its FileChooser backend double.
    portal: Vec<Child>,
    pub display: String,
    pub bus_address: String,
    /// XDG_DATA_HOME / CONFIG / CACHE of the app: its own, per test.
    pub home: tempfile::TempDir,
    pub runtime: tokio::runtime::Runtime,
    pub bus: zbus::Connection,
    app: Option<Child>,
}

fn spawn_reading_line(mut command: Command, what: &str) -> (Child, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{what} said nothing: {e}"));
    assert!(!line.trim().is_empty(), "{what} exited without its address");
    (child, line.trim().to_owned())
}

impl Desktop {
    pub fn start() -> Desktop {
        let mut xvfb = Command::new("Xvfb");
        xvfb.args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            &format!("{}x{}x24", SCREEN.0, SCREEN.1),
            "-nolisten",
            "tcp",
        ]);
        let (xvfb, number) = spawn_reading_line(xvfb, "Xvfb");
        let mut bus = Command::new("dbus-daemon");
        bus.args(["--session", "--print-address", "--nofork"]);
        let (bus_daemon, bus_address) = spawn_reading_line(bus, "dbus-daemon");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let bus = runtime
            .block_on(async {
                zbus::connection::Builder::address(bus_address.as_str())?
                    .build()
                    .await
            })
            .expect("the private session bus");
        let home = tempfile::Builder::new()
            .prefix("paddock-gui-home")
            .tempdir()
            .expect("a temp dir");
        // The app's icon, where an installation puts it (the About dialog
        // and the window show it).
        let icons = home.path().join("data/icons/hicolor/scalable/apps");
        std::fs::create_dir_all(&icons).expect("the icon folder");
        std::fs::copy(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/data/icons/io.github.paddockapp.Paddock.Devel.svg"
            ),
            icons.join(format!("{APP_ID}.svg")),
        )
        .expect("the app's icon");
        compile_schema(&home.path().join("schemas"));
        Desktop {
            xvfb,
            bus_daemon,
            notifications: None,
            portal: Vec::new(),
            display: format!(":{number}"),
            bus_address,
            home,
            runtime,
            bus,
            app: None,
        }
    }

    /// A notification daemon test double (python-dbusmock's template):
    /// there is no GNOME Shell here; it records every Notify call.
    pub fn start_notification_double(&mut self) {
        let child = Command::new("python3")
            .args(["-m", "dbusmock", "--template", "notification_daemon"])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3-dbusmock is installed in the dev environment");
        self.notifications = Some(child);
        self.wait_for_name("org.freedesktop.Notifications");
    }

    /// The real xdg-desktop-portal frontend on the private bus, with a
    /// FileChooser backend test double (python-dbusmock): there is no GNOME
    /// here to show a chooser, so the double answers every request with
    /// `folder`, as if the user had picked it.
    pub fn start_file_chooser_double(&mut self, folder: &Path) {
        const BACKEND: &str = "org.freedesktop.impl.portal.PaddockTest";
        let double = Command::new("python3")
            .args([
                "-m",
                "dbusmock",
                BACKEND,
                "/org/freedesktop/portal/desktop",
                "org.freedesktop.impl.portal.FileChooser",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3-dbusmock is installed in the dev environment");
        self.portal.push(double);
        self.wait_for_name(BACKEND);
        let uri = format!("file://{}", folder.display());
        let status = Command::new("gdbus")
            .args([
                "call",
                "--address",
                &self.bus_address,
                "--dest",
                BACKEND,
                "--object-path",
                "/org/freedesktop/portal/desktop",
                "--method",
                "org.freedesktop.DBus.Mock.AddMethod",
                "org.freedesktop.impl.portal.FileChooser",
                "OpenFile",
                "osssa{sv}",
                "ua{sv}",
                &format!(
                    "ret = (dbus.UInt32(0), {{'uris': dbus.Array([{uri:?}], signature='s', variant_level=1)}})"
                ),
            ])
            .stdout(Stdio::null())
            .status()
            .expect("gdbus");
        assert!(status.success(), "the FileChooser double got no method");
        // The frontend finds its backends, and which to use on this
        // "desktop", in XDG_DESKTOP_PORTAL_DIR.
        let portals = self.home.path().join("portals");
        std::fs::create_dir_all(&portals).unwrap();
        std::fs::write(
            portals.join("paddock-test.portal"),
            format!(
                "[portal]\nDBusName={BACKEND}\nInterfaces=org.freedesktop.impl.portal.FileChooser;\n"
            ),
        )
        .unwrap();
        std::fs::write(
            portals.join("paddock-test-portals.conf"),
            "[preferred]\ndefault=paddock-test\n",
        )
        .unwrap();
        let frontend = Command::new("/usr/libexec/xdg-desktop-portal")
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .env("XDG_DESKTOP_PORTAL_DIR", &portals)
            .env("XDG_CURRENT_DESKTOP", "paddock-test")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("xdg-desktop-portal is installed in the dev environment");
        self.portal.push(frontend);
        self.wait_for_name("org.freedesktop.portal.Desktop");
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
        let applications = self.data_home().join("applications");
        std::fs::create_dir_all(&applications).unwrap();
        std::fs::write(
            applications.join("paddock-test-editor.desktop"),
            format!(
                "[Desktop Entry]\nType=Application\nName=Test Editor\nExec={} %f\nMimeType=application/toml;text/plain;\n",
                script.display()
            ),
        )
        .unwrap();
        let config = self.home.path().join("config");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(
            config.join("mimeapps.list"),
            "[Default Applications]\napplication/toml=paddock-test-editor.desktop\ntext/plain=paddock-test-editor.desktop\n",
        )
        .unwrap();
        marker
    }

    /// The FileChooser requests the backend double received, as text.
    pub fn file_chooser_calls(&self) -> String {
        let output = Command::new("gdbus")
            .args([
                "call",
                "--address",
                &self.bus_address,
                "--dest",
                "org.freedesktop.impl.portal.PaddockTest",
                "--object-path",
                "/org/freedesktop/portal/desktop",
                "--method",
                "org.freedesktop.DBus.Mock.GetCalls",
            ])
            .output()
            .expect("gdbus");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The Notify calls the double received, as text.
    pub fn notifications(&self) -> String {
        let output = Command::new("gdbus")
            .args([
                "call",
                "--address",
                &self.bus_address,
                "--dest",
                "org.freedesktop.Notifications",
                "--object-path",
                "/org/freedesktop/Notifications",
                "--method",
                "org.freedesktop.DBus.Mock.GetCalls",
            ])
            .output()
            .expect("gdbus");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn data_home(&self) -> PathBuf {
        self.home.path().join("data")
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
        let home = PathBuf::from(std::env::var_os("HOME").expect("HOME"));
        let project = sandbox::project::Project::open(dir, &home).expect("a project");
        sandbox::approval::Approvals::at(self.data_home().join("paddock/approvals"))
            .approve_written(
                &project,
                &sandbox::presets::Presets::builtin(),
                &home,
                &sandbox::approval::HostSockets::from_env(),
            )
            .expect("approve");
    }

    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .env("DISPLAY", &self.display)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .env("GSK_RENDERER", "cairo")
            .env("GTK_A11Y", "none")
            .env("NO_AT_BRIDGE", "1")
            .env("XDG_DATA_HOME", self.data_home())
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env("XDG_CACHE_HOME", self.home.path().join("cache"))
            .env("PADDOCK_TEST_INTROSPECTION", "1")
            .env("GSETTINGS_SCHEMA_DIR", self.home.path().join("schemas"))
            .env("GSETTINGS_BACKEND", "keyfile")
            .env_remove("GTK_USE_PORTAL");
        command
    }

    /// Starts the real app and waits until it owns its name and answers.
    pub fn launch(&mut self) {
        self.launch_with(&[]);
    }

    pub fn launch_with(&mut self, env: &[(&str, &str)]) {
        assert!(self.app.is_none(), "the app is already running");
        let mut command = self.command(env!("CARGO_BIN_EXE_paddock"));
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command
            .stdout(Stdio::null())
            .spawn()
            .expect("the paddock binary");
        self.app = Some(child);
        self.wait_for_name(APP_ID);
        self.wait_for("the window", |tree| !tree.is_null());
    }

    /// Quits through the exported action and waits for the process to end.
    pub fn quit(&mut self) {
        let _ = self.activate("quit", None);
        if let Some(mut child) = self.app.take() {
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
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
        let Some(child) = self.app.as_mut() else {
            return true;
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                self.app = None;
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    pub fn wait_for_name(&self, name: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let owned = self.runtime.block_on(async {
                let dbus = zbus::fdo::DBusProxy::new(&self.bus).await.ok()?;
                let name = zbus::names::BusName::try_from(name).ok()?;
                dbus.name_has_owner(name).await.ok()
            });
            if owned == Some(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{name} never appeared on the bus"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `org.gtk.Actions.Activate` on the app, as the shell or `gapplication` would.
    pub fn activate(&self, action: &str, path: Option<&Path>) -> zbus::Result<()> {
        let parameter: Vec<zvariant::Value<'_>> = path
            .map(|p| vec![zvariant::Value::from(p.to_string_lossy().into_owned())])
            .unwrap_or_default();
        self.runtime.block_on(async {
            self.bus
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
                .bus
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
        let deadline = Instant::now() + timeout;
        loop {
            let tree = self.tree();
            if check(&tree) {
                return tree;
            }
            if Instant::now() > deadline {
                let shot = self.screenshot(&format!("timeout-{}", what.replace(' ', "-")));
                panic!(
                    "timed out waiting for {what} (screenshot: {}); the window shows:\n{}",
                    shot.display(),
                    texts(&tree).join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
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

    /// Takes a screenshot of the window (with no window manager it sits at
    /// the display's top left corner) into the screenshot folder.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("the screenshot folder");
        let file = dir.join(format!("{name}.png"));
        // Let banners and pages finish sliding in, and the last frame reach
        // the screen.
        let tree = self.settled_within(Duration::from_secs(3));
        std::thread::sleep(Duration::from_millis(300));
        let mut import = Command::new("import");
        import.args(["-display", &self.display, "-window", "root"]);
        if let Some((width, height)) = window_size(&tree) {
            import.args(["-crop", &format!("{width}x{height}+0+0"), "+repage"]);
        }
        let status = import.arg(&file).status().expect("imagemagick's import");
        assert!(status.success(), "screenshot {name} failed");
        file
    }

    /// Moves the pointer onto the window (X focus follows it here).
    pub fn focus(&self) {
        let status = Command::new("xdotool")
            .args(["mousemove", "600", "400"])
            .env("DISPLAY", &self.display)
            .status()
            .expect("xdotool");
        assert!(status.success());
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
        let status = Command::new("xdotool")
            .args([
                "mousemove",
                &format!("{}", x.round()),
                &format!("{}", y.round()),
                "click",
                "1",
            ])
            .env("DISPLAY", &self.display)
            .status()
            .expect("xdotool");
        assert!(status.success());
    }

    /// Drags `folder` from a small GTK window (tests/gui_harness/
    /// drag_source.py, standing in for Files) and drops it on the app's
    /// window, with real pointer events through XDND.
    pub fn drag_folder_onto_window(&self, folder: &Path) {
        let mut command = Command::new("python3");
        command
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/gui_harness/drag_source.py"
            ))
            .arg(folder)
            .env("DISPLAY", &self.display)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .env("GTK_A11Y", "none");
        let (mut source, ready) = spawn_reading_line(command, "the drag source window");
        assert_eq!(ready, "ready");
        // With no window manager every window opens at the top left: the
        // source moves beside the app's window.
        let xdotool = |args: &[&str]| {
            let status = Command::new("xdotool")
                .args(args)
                .env("DISPLAY", &self.display)
                .status()
                .expect("xdotool");
            assert!(status.success(), "xdotool {args:?}");
        };
        xdotool(&[
            "search",
            "--sync",
            "--name",
            "paddock-drag-source",
            "windowmove",
            "1290",
            "10",
        ]);
        std::thread::sleep(Duration::from_millis(500));
        xdotool(&["mousemove", "1340", "60", "mousedown", "1"]);
        for (x, y) in [(1335, 65), (1320, 80), (1200, 200), (900, 350), (640, 400)] {
            std::thread::sleep(Duration::from_millis(150));
            xdotool(&["mousemove", &x.to_string(), &y.to_string()]);
        }
        std::thread::sleep(Duration::from_millis(500));
        xdotool(&["mouseup", "1"]);
        std::thread::sleep(Duration::from_millis(500));
        let _ = source.kill();
        let _ = source.wait();
    }

    /// Presses a key in the focused window (e.g. Escape to close a dialog).
    pub fn key(&self, key: &str) {
        let status = Command::new("xdotool")
            .args(["key", key])
            .env("DISPLAY", &self.display)
            .status()
            .expect("xdotool");
        assert!(status.success());
    }

    /// Moves the pointer off the window: with no window manager, X focus
    /// follows the pointer, so the window loses the focus.
    pub fn unfocus(&self) {
        let status = Command::new("xdotool")
            .args([
                "mousemove",
                &(SCREEN.0 - 1).to_string(),
                &(SCREEN.1 - 1).to_string(),
            ])
            .env("DISPLAY", &self.display)
            .status()
            .expect("xdotool");
        assert!(status.success());
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        let portal = std::mem::take(&mut self.portal);
        for child in [self.app.take(), self.notifications.take()]
            .into_iter()
            .flatten()
            .chain(portal)
        {
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = self.bus_daemon.kill();
        let _ = self.bus_daemon.wait();
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}

/// data/…gschema.xml.in filled in as meson does for a development build
/// (the app ID cargo builds use), compiled into DIR.
fn compile_schema(dir: &Path) {
    std::fs::create_dir_all(dir).expect("the schema folder");
    let source = std::fs::read_to_string(
        Path::new(SOURCE).join("data/io.github.paddockapp.Paddock.gschema.xml.in"),
    )
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
            Path::new(env!("CARGO_BIN_EXE_paddock"))
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

/// A project folder (in a temp dir) with a container-mode definition on
/// the local busybox image and `command` as the agent.
pub fn project(name: &str, command: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let parent = tempfile::Builder::new()
        .prefix("paddock-gui")
        .tempdir()
        .expect("a temp dir");
    let dir = parent.path().join(name);
    std::fs::create_dir_all(dir.join(".agent-sandbox")).unwrap();
    let base = std::env::var("PADDOCK_TEST_BASE_IMAGE")
        .expect("PADDOCK_TEST_BASE_IMAGE is not set: run the tests through build-aux/dev-env test");
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

pub fn podman(args: &[&str]) -> (bool, String) {
    let output = Command::new("podman")
        .args(args)
        .output()
        .expect("the podman CLI is installed in the dev environment");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

/// Removes what podman made for a project folder when the test ends.
pub struct PodmanCleanup(pub PathBuf);

impl Drop for PodmanCleanup {
    fn drop(&mut self) {
        let label = format!("label=io.github.paddockapp.project={}", self.0.display());
        let (_, names) = podman(&["ps", "-a", "--filter", &label, "--format", "{{.Names}}"]);
        for name in names.split_whitespace() {
            let _ = podman(&["rm", "-f", name]);
            // The podman secrets Paddock made for it (`<sandbox>.<VARIABLE>`).
            let (_, secrets) = podman(&["secret", "ls", "--format", "{{.Name}}"]);
            for secret in secrets
                .lines()
                .filter(|secret| secret.starts_with(&format!("{name}.")))
            {
                let _ = podman(&["secret", "rm", secret]);
            }
        }
        let (_, images) = podman(&["images", "-q", "--filter", &label]);
        for id in images.split_whitespace() {
            let _ = podman(&["rmi", "-f", id]);
        }
    }
}
