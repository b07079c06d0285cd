//! Shared by the host layer's integration tests: a private session bus, the
//! systemd user manager double, podman services of their own, and running
//! `paddock doctor` through the real binary.
#![allow(dead_code)]
// Helpers of tests, which fail by panicking.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Polls `ready` until it holds, for at most 20 seconds.
pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within 20 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Kills and reaps a child process when dropped.
pub struct Reaped(pub Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A dbus-daemon of the test's own, with nothing activatable on it (so that
/// no real portal or service answers unless the test starts it).
pub struct PrivateBus {
    pub address: String,
    _daemon: Reaped,
    _dir: tempfile::TempDir,
}

impl PrivateBus {
    pub fn start() -> PrivateBus {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("bus");
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                socket.display()
            ),
        )
        .unwrap();
        let daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .arg("--nofork")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("dbus-daemon is installed in the dev environment");
        let daemon = Reaped(daemon);
        wait_until("the private bus socket", || socket.exists());
        PrivateBus {
            address: format!("unix:path={}", socket.display()),
            _daemon: daemon,
            _dir: dir,
        }
    }

    pub async fn connect(&self) -> zbus::Connection {
        zbus::connection::Builder::address(self.address.as_str())
            .unwrap()
            .build()
            .await
            .unwrap()
    }

    /// Waits until `name` has an owner on this bus.
    pub async fn wait_for_name(&self, name: &str) {
        let bus = self.connect().await;
        let dbus = zbus::fdo::DBusProxy::new(&bus).await.unwrap();
        let name = zbus::names::BusName::try_from(name.to_owned()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !dbus.name_has_owner(name.clone()).await.unwrap() {
            assert!(
                Instant::now() < deadline,
                "nobody took {name} on the private bus"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A python-dbusmock template on `bus`: `template` is a file in tests/host_support.
pub fn start_double(bus: &PrivateBus, template: &str, parameters: &serde_json::Value) -> Reaped {
    let template = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/host_support")
        .join(template);
    let child = Command::new("python3")
        .args(["-m", "dbusmock", "--template"])
        .arg(&template)
        .arg("-p")
        .arg(parameters.to_string())
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        // The systemd double runs podman's service, which must not be a remote client.
        .env_remove("CONTAINER_HOST")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("python3-dbusmock is installed in the dev environment");
    Reaped(child)
}

/// The systemd user manager double (systemd_user_double.py) on `bus`.
pub async fn systemd_user_double(bus: &PrivateBus, parameters: serde_json::Value) -> Reaped {
    let double = start_double(bus, "systemd_user_double.py", &parameters);
    bus.wait_for_name("org.freedesktop.systemd1").await;
    double
}

/// The manager calls the systemd double has seen, in order.
pub async fn systemd_double_calls(bus: &PrivateBus) -> Vec<String> {
    let connection = bus.connect().await;
    let reply = connection
        .call_method(
            Some("org.freedesktop.systemd1"),
            "/org/freedesktop/systemd1",
            Some("org.freedesktop.DBus.Mock"),
            "Calls",
            &(),
        )
        .await
        .unwrap();
    reply.body().deserialize().unwrap()
}

/// A podman API service of the test's own, stopped when dropped.
pub struct PodmanService {
    pub socket: PathBuf,
    service: Option<Reaped>,
}

impl PodmanService {
    /// `podman system service` at `socket`, with `conf_override` as
    /// CONTAINERS_CONF_OVERRIDE when given.
    pub fn start(socket: &Path, conf_override: Option<&Path>) -> PodmanService {
        let mut command = Command::new("podman");
        command
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            // With CONTAINER_HOST set, podman is a remote client and serves nothing.
            .env_remove("CONTAINER_HOST")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(conf) = conf_override {
            command.env("CONTAINERS_CONF_OVERRIDE", conf);
        }
        let service = Reaped(command.spawn().expect("podman is installed"));
        wait_until("the test's podman socket", || socket.exists());
        PodmanService {
            socket: socket.to_owned(),
            service: Some(service),
        }
    }

    pub fn container_host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// Stops the service; its socket file stays behind, as after a crash.
    pub fn stop(&mut self) {
        self.service = None;
    }
}

/// A process started by someone else (the systemd double) whose pid is in a
/// file; killed when dropped.
pub struct PidFile(pub PathBuf);

impl Drop for PidFile {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(&self.0) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

/// A stand-in for crun built with libkrun: plain crun (no VM ever starts),
/// whose `--version` claims `+LIBKRUN` and, optionally, another version.
pub fn krun_runtime_stand_in(dir: &Path, claimed_version: Option<&str>) -> PathBuf {
    let script = dir.join("crun-krun-stand-in");
    let version = match claimed_version {
        Some(version) => format!(" | sed 's/^crun version .*/crun version {version}/'"),
        None => String::new(),
    };
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n# Test stand-in: plain crun that claims to be built with libkrun.\nif [ \"$1\" = --version ]; then\n    /usr/bin/crun --version | sed 's/+YAJL/+LIBKRUN +YAJL/'{version}\n    exit 0\nfi\nexec /usr/bin/crun \"$@\"\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let conf = dir.join("containers.conf");
    std::fs::write(
        &conf,
        format!(
            "[engine]\nruntime = \"crun\"\n\n[engine.runtimes]\ncrun = [\"{}\"]\n",
            script.display()
        ),
    )
    .unwrap();
    conf
}

/// A file standing in for /dev/kvm with `mode` (the tests run unprivileged
/// and cannot change the real device).
pub fn kvm_stand_in(dir: &Path, mode: u32) -> PathBuf {
    let path = dir.join(format!("kvm-stand-in-{mode:o}"));
    std::fs::write(&path, b"").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

/// What `paddock doctor` said.
pub struct Doctor {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Doctor {
    /// The JSON report (`--json` runs only).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|err| panic!("doctor printed no JSON ({err}):\n{}", self.stdout))
    }

    /// The check `id` of the JSON report.
    pub fn check(&self, id: &str) -> serde_json::Value {
        self.json()["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|check| check["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no check {id} in:\n{}", self.stdout))
    }

    pub fn state(&self, id: &str) -> String {
        self.check(id)["state"].as_str().unwrap().to_owned()
    }
}

/// Runs the real `paddock doctor ARGS` with `env` on top of the test's own
/// environment (a `None` value removes the variable).
pub fn doctor(args: &[&str], env: &BTreeMap<&str, Option<String>>) -> Doctor {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paddock"));
    command.arg("doctor").args(args);
    for (key, value) in env {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    let output = command.output().unwrap();
    Doctor {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
