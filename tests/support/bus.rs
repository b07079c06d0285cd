//! A D-Bus session bus of the test's own, so that no real portal, keyring or
//! service of the developer's session answers unless the test starts it.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::process::{Reaped, start_with_line};
use crate::wait::wait_until;

/// Which configuration the daemon reads.
enum Config<'a> {
    /// Ours, activating only the services in the folder given, if any.
    Ours(Option<&'a Path>),
    /// The system's session configuration.
    System,
}

pub struct PrivateBus {
    address: String,
    _daemon: Reaped,
    _dir: tempfile::TempDir,
}

impl PrivateBus {
    /// A bus with nothing activatable on it.
    pub fn start() -> PrivateBus {
        PrivateBus::with_config(Config::Ours(None), &[])
    }

    /// A bus that starts the services described in `services` on demand;
    /// they inherit `env` from the bus.
    pub fn activating(services: &Path, env: &[(&str, &str)]) -> PrivateBus {
        PrivateBus::with_config(Config::Ours(Some(services)), env)
    }

    /// A bus with the system's session configuration: the installed
    /// services (the accessibility bus, portals) start on demand, as in a
    /// desktop session.
    pub fn session() -> PrivateBus {
        PrivateBus::with_config(Config::System, &[])
    }

    fn with_config(config: Config, env: &[(&str, &str)]) -> PrivateBus {
        let dir = tempfile::tempdir().expect("a temp folder for the bus");
        let mut daemon = Command::new("dbus-daemon");
        match config {
            Config::System => daemon.arg("--session"),
            Config::Ours(services) => {
                let config = dir.path().join("bus.conf");
                let servicedir = services
                    .map(|dir| format!("  <servicedir>{}</servicedir>\n", dir.display()))
                    .unwrap_or_default();
                std::fs::write(
                    &config,
                    format!(
                        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
{servicedir}  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                        dir.path().display()
                    ),
                )
                .expect("the bus configuration");
                daemon.arg(format!("--config-file={}", config.display()))
            }
        };
        daemon
            .args(["--nofork", "--print-address=1"])
            .envs(env.iter().copied())
            .stdin(Stdio::null());
        let (daemon, address) = start_with_line(&mut daemon, "dbus-daemon");
        PrivateBus {
            address,
            _daemon: daemon,
            _dir: dir,
        }
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    /// Whether `name` has an owner on this bus.
    pub fn has_owner(&self, name: &str) -> bool {
        let reply = call(
            &self.address,
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            &[name],
        );
        String::from_utf8_lossy(&reply.stdout).contains("true")
    }

    /// Waits until `name` has an owner on this bus.
    pub fn wait_for_name(&self, name: &str) {
        wait_until(
            &format!("{name} on the private bus"),
            Duration::from_secs(60),
            || self.has_owner(name),
        );
    }
}

/// Calls `method` (interface.name) of the object `path` at `destination` on
/// the bus at `address`, with `args` in gdbus' notation; gdbus prints the
/// reply.
pub fn call(address: &str, destination: &str, path: &str, method: &str, args: &[&str]) -> Output {
    Command::new("gdbus")
        .args(["call", "--address", address, "--timeout", "60"])
        .args([
            "--dest",
            destination,
            "--object-path",
            path,
            "--method",
            method,
        ])
        .args(args)
        .output()
        .expect("gdbus (libglib2.0-bin) is installed in the dev environment")
}
