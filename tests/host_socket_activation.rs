//! `paddock doctor --fix` starting podman's socket through systemd's user
//! manager, against a test double of the manager (python-dbusmock) on a
//! private session bus: there is no systemd in the dev environment. The
//! host layer's own calls: tests/host/systemd.rs.

mod host_support;

use std::collections::BTreeMap;

use host_support::{
    PidFile, PrivateBus, doctor, kvm_stand_in, systemd_double_calls, systemd_user_double,
};

#[tokio::test]
async fn doctor_offers_to_start_the_socket_and_fix_starts_it_and_retries() {
    let bus = PrivateBus::start();
    let dir = tempfile::tempdir().unwrap();
    // A runtime dir of the test's own, so that the default socket is one that
    // only the double's "socket activation" can bring up.
    let runtime_dir = dir.path().join("runtime");
    std::fs::create_dir(&runtime_dir).unwrap();
    let socket = runtime_dir.join("podman").join("podman.sock");
    let pidfile = dir.path().join("podman.pid");
    let _service = PidFile(pidfile.clone());
    let _double = systemd_user_double(
        &bus,
        serde_json::json!({
            "units": {"podman.socket": "inactive"},
            "socket": socket,
            "pidfile": pidfile,
        }),
    )
    .await;
    let env = BTreeMap::from([
        ("CONTAINER_HOST", None),
        ("XDG_RUNTIME_DIR", Some(runtime_dir.display().to_string())),
        ("DBUS_SESSION_BUS_ADDRESS", Some(bus.address.clone())),
        (
            "PADDOCK_KVM_DEVICE",
            Some(kvm_stand_in(dir.path(), 0o600).display().to_string()),
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
    let calls = systemd_double_calls(&bus).await;
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
        ("DBUS_SESSION_BUS_ADDRESS", Some(bus.address.clone())),
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
