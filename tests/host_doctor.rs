//! `paddock doctor` through the real binary, against the dev environment's real
//! podman service (Debian's crun: no libkrun) and with each problem provoked.

mod host_support;

use std::collections::BTreeMap;

use host_support::{PodmanService, doctor, krun_runtime_stand_in, kvm_stand_in};

/// The environment a doctor run gets on top of the test's: a usable /dev/kvm
/// stand-in (this machine's real device is root's), so that each test
/// provokes only the problem it is about.
fn env_with_kvm(dir: &std::path::Path) -> BTreeMap<&'static str, Option<String>> {
    BTreeMap::from([(
        "PADDOCK_KVM_DEVICE",
        Some(kvm_stand_in(dir, 0o600).display().to_string()),
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
    assert_eq!(run.json()["checks"].as_array().unwrap().len(), 7);
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
        "Podman API socket",
        "Rootless podman",
        "krun runtime",
        "KVM",
        "crun version",
        "libkrun version",
        "cgroups v2",
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

    service.stop();
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
    let conf = krun_runtime_stand_in(dir.path(), None);
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
    let conf = krun_runtime_stand_in(dir.path(), Some("1.27"));
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
    let locked = kvm_stand_in(dir.path(), 0o000);
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
