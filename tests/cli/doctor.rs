//! `paddock doctor` through the real binary, against the dev environment's real
//! podman service (Debian's crun: no libkrun) and with each problem provoked;
//! starting podman's socket through a test double of systemd's user manager
//! (python-dbusmock) on a private session bus: there is no systemd in the dev
//! environment.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use support::bus::PrivateBus;
use support::doubles::Double;
use support::paddock::binary;
use support::podman::PodmanService;
use support::stand_ins;

/// What `paddock doctor` said.
struct Doctor {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Doctor {
    /// The JSON report (`--json` runs only).
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|err| panic!("doctor printed no JSON ({err}):\n{}", self.stdout))
    }

    /// The check `id` of the JSON report.
    fn check(&self, id: &str) -> serde_json::Value {
        self.json()["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|check| check["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no check {id} in:\n{}", self.stdout))
    }

    fn state(&self, id: &str) -> String {
        self.check(id)["state"].as_str().unwrap().to_owned()
    }
}

/// Runs the real `paddock doctor ARGS` with `env` on top of the test's own
/// environment (a `None` value removes the variable).
fn doctor(args: &[&str], env: &BTreeMap<&str, Option<String>>) -> Doctor {
    let mut command = Command::new(binary());
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

/// The environment a doctor run gets on top of the test's: a usable /dev/kvm
/// stand-in (this machine's real device is root's), so that each test
/// provokes only the problem it is about.
fn env_with_kvm(dir: &std::path::Path) -> BTreeMap<&'static str, Option<String>> {
    BTreeMap::from([(
        "PADDOCK_KVM_DEVICE",
        Some(stand_ins::kvm(dir, 0o600).display().to_string()),
    )])
}

#[test]
fn working_setup_with_crun_without_libkrun_blocks_on_krun_with_the_install_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = doctor(&["--json"], &env_with_kvm(dir.path()));
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.state("podman-socket"), "ok");
    assert_eq!(run.state("rootless"), "ok");
    assert_eq!(run.state("kvm"), "ok");
    let krun = run.check("krun-runtime");
    assert_eq!(krun["state"], "blocking");
    assert_eq!(krun["fix"]["command"], "sudo dnf install crun-krun");
    assert!(
        krun["found"].as_str().unwrap().contains("/usr/bin/crun"),
        "{krun}"
    );
    // Debian's crun is 1.21: it ignores the size annotations, so Paddock
    // falls back to putting the size into the image, and says so.
    let crun = run.check("crun-version");
    assert_eq!(crun["state"], "warning");
    assert!(
        crun["found"].as_str().unwrap().contains("/.krun_vm.json"),
        "{crun}"
    );
    assert_eq!(crun["fix"]["command"], "sudo dnf upgrade crun crun-krun");
    assert_eq!(run.json()["checks"].as_array().unwrap().len(), 8);
}

#[test]
fn the_text_report_is_aligned_uncoloured_when_piped_and_names_every_fix() {
    let dir = tempfile::tempdir().unwrap();
    let run = doctor(&[], &env_with_kvm(dir.path()));
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        !run.stdout.contains('\x1b'),
        "colour in a pipe:\n{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("    sudo dnf install crun-krun\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("blocking problem"), "{}", run.stdout);
    // Every check line starts its title in the same column.
    let titles = [
        "Podman",
        "Runs as You",
        "Virtual Machines",
        "Hardware Virtualization",
        "Container Runtime",
        "Virtual Machine Library",
        "Resource Limits",
    ];
    let columns: Vec<usize> = titles
        .iter()
        .map(|title| {
            let line = run
                .stdout
                .lines()
                .find(|line| line.contains(&format!("  {title}  ")))
                .unwrap_or_else(|| panic!("no line for {title}:\n{}", run.stdout));
            line.find(title).unwrap()
        })
        .collect();
    assert!(
        columns.windows(2).all(|pair| pair[0] == pair[1]),
        "titles not aligned ({columns:?}):\n{}",
        run.stdout
    );
}

#[test]
fn a_dead_container_host_blocks_and_leaves_the_podman_checks_unchecked() {
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.sock");
    let mut env = env_with_kvm(dir.path());
    env.insert("CONTAINER_HOST", Some(format!("unix://{}", dead.display())));
    let run = doctor(&["--json"], &env);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let socket = run.check("podman-socket");
    assert_eq!(socket["state"], "blocking");
    assert!(
        socket["found"]
            .as_str()
            .unwrap()
            .contains(&dead.display().to_string()),
        "{socket}"
    );
    // Starting the user's podman.socket would not revive a CONTAINER_HOST elsewhere.
    assert!(socket["fix"].get("action").is_none(), "{socket}");
    for id in ["rootless", "krun-runtime", "crun-version", "cgroups"] {
        assert_eq!(run.state(id), "not-checked", "{id}");
    }
    assert_eq!(run.state("kvm"), "ok");
}

#[test]
fn a_stopped_podman_service_turns_the_socket_check_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let mut service = PodmanService::start(&dir.path().join("podman.sock"), None);
    let mut env = env_with_kvm(dir.path());
    env.insert("CONTAINER_HOST", Some(service.container_host()));
    assert_eq!(doctor(&["--json"], &env).state("podman-socket"), "ok");

    service.kill();
    let run = doctor(&["--json"], &env);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.state("podman-socket"), "blocking");
}

#[test]
fn without_podman_on_path_the_fix_is_the_install_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = env_with_kvm(dir.path());
    env.insert(
        "CONTAINER_HOST",
        Some(format!("unix://{}/none.sock", dir.path().display())),
    );
    env.insert("PATH", Some(dir.path().display().to_string()));
    let run = doctor(&["--json"], &env);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let socket = run.check("podman-socket");
    assert_eq!(socket["state"], "blocking");
    assert_eq!(
        socket["fix"]["command"],
        "sudo dnf install podman crun-krun"
    );
}

#[test]
fn runtime_stand_in_claiming_libkrun_passes_the_krun_check_with_warnings_only() {
    let dir = tempfile::tempdir().unwrap();
    let conf = stand_ins::krun_runtime(dir.path(), None);
    let service = PodmanService::start(&dir.path().join("podman.sock"), Some(&conf));
    let mut env = env_with_kvm(dir.path());
    env.insert("CONTAINER_HOST", Some(service.container_host()));
    let run = doctor(&["--json"], &env);
    // crun 1.21 and cgroups v1 are warnings; nothing blocks, so exit 0.
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let krun = run.check("krun-runtime");
    assert_eq!(krun["state"], "ok", "{krun}");
    assert!(
        krun["found"]
            .as_str()
            .unwrap()
            .contains("crun-krun-stand-in"),
        "{krun}"
    );
    assert_eq!(run.state("crun-version"), "warning");

    let text = doctor(&[], &env);
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains("warning"), "{}", text.stdout);
    assert!(text.stdout.contains("Sandboxes can run"), "{}", text.stdout);
}

#[test]
fn runtime_stand_in_claiming_crun_1_27_passes_the_crun_version_check() {
    let dir = tempfile::tempdir().unwrap();
    let conf = stand_ins::krun_runtime(dir.path(), Some("1.27"));
    let service = PodmanService::start(&dir.path().join("podman.sock"), Some(&conf));
    let mut env = env_with_kvm(dir.path());
    env.insert("CONTAINER_HOST", Some(service.container_host()));
    let run = doctor(&["--json"], &env);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.state("krun-runtime"), "ok");
    assert_eq!(run.state("crun-version"), "ok");
}

#[test]
fn an_unreadable_kvm_device_blocks_with_the_kvm_group_fix() {
    let dir = tempfile::tempdir().unwrap();
    let locked = stand_ins::kvm(dir.path(), 0o000);
    let env = BTreeMap::from([("PADDOCK_KVM_DEVICE", Some(locked.display().to_string()))]);
    let run = doctor(&["--json"], &env);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let kvm = run.check("kvm");
    assert_eq!(kvm["state"], "blocking", "{kvm}");
    assert_eq!(kvm["fix"]["command"], "sudo usermod -aG kvm $USER");
    assert!(
        kvm["fix"]["text"].as_str().unwrap().contains("log out"),
        "{kvm}"
    );

    let missing = BTreeMap::from([(
        "PADDOCK_KVM_DEVICE",
        Some(dir.path().join("no-kvm").display().to_string()),
    )]);
    let run = doctor(&["--json"], &missing);
    assert_eq!(run.state("kvm"), "blocking");
    assert!(
        run.check("kvm")["found"]
            .as_str()
            .unwrap()
            .contains("does not exist")
    );
}

/// The podman service the systemd double started, whose pid is in a file;
/// killed when dropped.
struct PidFile(PathBuf);

impl Drop for PidFile {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(&self.0) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

#[test]
fn doctor_offers_to_start_the_socket_and_fix_starts_it_and_retries() {
    let bus = PrivateBus::start();
    let dir = tempfile::tempdir().unwrap();
    // A runtime dir of the test's own, so that the default socket is one that
    // only the double's "socket activation" can bring up.
    let runtime_dir = dir.path().join("runtime");
    std::fs::create_dir(&runtime_dir).unwrap();
    let socket = runtime_dir.join("podman").join("podman.sock");
    let pidfile = dir.path().join("podman.pid");
    let _service = PidFile(pidfile.clone());
    let double = Double::systemd_user(
        &bus,
        serde_json::json!({
            "units": {"podman.socket": "inactive"},
            "socket": socket,
            "pidfile": pidfile,
        }),
    );
    let env = BTreeMap::from([
        ("CONTAINER_HOST", None),
        ("XDG_RUNTIME_DIR", Some(runtime_dir.display().to_string())),
        ("DBUS_SESSION_BUS_ADDRESS", Some(bus.address().to_owned())),
        (
            "PADDOCK_KVM_DEVICE",
            Some(stand_ins::kvm(dir.path(), 0o600).display().to_string()),
        ),
    ]);

    let before = doctor(&["--json"], &env);
    assert_eq!(before.code, 1, "{}{}", before.stdout, before.stderr);
    let check = before.check("podman-socket");
    assert_eq!(check["state"], "blocking", "{check}");
    assert!(
        check["found"].as_str().unwrap().contains("inactive"),
        "{check}"
    );
    assert_eq!(check["fix"]["action"], "start-podman-socket");
    assert_eq!(
        check["fix"]["command"],
        "systemctl --user enable --now podman.socket"
    );
    assert!(!socket.exists());

    let after = doctor(&["--fix", "--json"], &env);
    assert_eq!(
        after.state("podman-socket"),
        "ok",
        "{}{}",
        after.stdout,
        after.stderr
    );
    assert!(
        after.check("podman-socket")["found"]
            .as_str()
            .unwrap()
            .contains(&socket.display().to_string())
    );
    // Podman answered, so its checks ran: krun is what blocks now (Debian's crun).
    assert_eq!(after.state("krun-runtime"), "blocking");
    assert_eq!(after.code, 1);
    let calls = double.listed_calls();
    assert!(
        calls.contains(&"EnableUnitFiles podman.socket".to_owned())
            && calls.contains(&"StartUnit podman.socket".to_owned()),
        "{calls:?}"
    );
}

#[test]
fn without_a_user_manager_the_fix_is_the_command_only() {
    let bus = PrivateBus::start();
    let dir = tempfile::tempdir().unwrap();
    let env = BTreeMap::from([
        ("CONTAINER_HOST", None),
        ("XDG_RUNTIME_DIR", Some(dir.path().display().to_string())),
        ("DBUS_SESSION_BUS_ADDRESS", Some(bus.address().to_owned())),
    ]);
    let run = doctor(&["--json"], &env);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let check = run.check("podman-socket");
    assert_eq!(check["state"], "blocking");
    assert_eq!(
        check["fix"]["command"],
        "systemctl --user enable --now podman.socket"
    );
    assert!(check["fix"].get("action").is_none(), "{check}");

    let fixing = doctor(&["--fix"], &env);
    assert_eq!(fixing.code, 1);
    assert!(
        fixing.stdout.contains("Nothing Paddock can fix by itself"),
        "{}",
        fixing.stdout
    );
}
