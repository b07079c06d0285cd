//! GNOME Keyring's Secret Service for tests: gnome-keyring-daemon on the
//! test's own session bus, its login keyring made fresh in a temp folder and
//! unlocked with a test password given on stdin.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::bus::PrivateBus;
use crate::process::Reaped;

/// The daemon; stopped when dropped.
pub struct TestKeyring {
    _daemon: Reaped,
}

impl TestKeyring {
    /// Starts the daemon on `bus` with its files under `dir` and waits until
    /// it serves `org.freedesktop.secrets`.
    pub fn start(bus: &PrivateBus, dir: &Path) -> TestKeyring {
        let runtime = dir.join("run");
        std::fs::create_dir_all(&runtime).unwrap();
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        let mut child = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--components=secrets", "--unlock"])
            .env("DBUS_SESSION_BUS_ADDRESS", bus.address())
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_RUNTIME_DIR", &runtime)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon is installed in the dev environment");
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"test password").unwrap();
        drop(stdin);
        let keyring = TestKeyring {
            _daemon: Reaped(child),
        };
        bus.wait_for_name("org.freedesktop.secrets");
        keyring
    }
}
