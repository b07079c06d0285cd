//! GNOME Keyring's Secret Service for tests: gnome-keyring-daemon on the
//! test's own session bus, its login keyring made fresh in a temp folder and
//! unlocked with a test password given on stdin.
#![allow(dead_code)]
// Helpers of tests, which fail by panicking.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The daemon; killed when dropped.
pub struct TestKeyring(Child);

impl Drop for TestKeyring {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl TestKeyring {
    /// Starts the daemon on `bus_address` with its files under `dir` and
    /// waits until it serves `org.freedesktop.secrets`.
    pub fn start(bus_address: &str, dir: &Path) -> TestKeyring {
        let runtime = dir.join("run");
        std::fs::create_dir_all(&runtime).unwrap();
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        let mut child = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--components=secrets", "--unlock"])
            .env("DBUS_SESSION_BUS_ADDRESS", bus_address)
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
        let keyring = TestKeyring(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !has_owner(bus_address, "org.freedesktop.secrets") {
            assert!(
                Instant::now() < deadline,
                "gnome-keyring-daemon did not take org.freedesktop.secrets within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        keyring
    }
}

fn has_owner(bus_address: &str, name: &str) -> bool {
    Command::new("dbus-send")
        .arg(format!("--bus={bus_address}"))
        .args([
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
        ])
        .arg(format!("string:{name}"))
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("boolean true"))
}
