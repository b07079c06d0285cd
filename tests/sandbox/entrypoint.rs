//! The generated entrypoint as the shells that will run it see it: `sh -n`,
//! shellcheck, and real runs under busybox sh (the applets of the test base
//! image). A "microVM" here is a stand-in: no krun can run on these
//! machines, so a host kernel string that differs from `uname -r` plays the
//! part of a guest with its own kernel.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sandbox::guest::{EXIT_NOT_ISOLATED, EXIT_SETUP_FAILED, GuestReport};
use sandbox::plan::Isolation;
use sandbox::presets::Presets;
use sandbox::render;
use support::machine;

fn write_entrypoint(dir: &Path) -> PathBuf {
    let presets = Presets::builtin();
    let agent = presets.get("claude").expect("claude preset");
    let path = dir.join("entrypoint.sh");
    std::fs::write(&path, render::entrypoint(agent)).expect("write entrypoint");
    path
}

/// The uid the agent runs as: the current user, or `nobody` when the tests
/// run as root (the entrypoint then switches users, as in a microVM).
fn agent_uid() -> u32 {
    if machine::uid() == 0 {
        65534
    } else {
        machine::uid()
    }
}

/// Runs the entrypoint under busybox sh with only `env` set.
fn command(script: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new("busybox");
    cmd.arg("sh")
        .arg(script)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin");
    if machine::uid() == 0 {
        cmd.env("PADDOCK_UID", "65534").env("PADDOCK_GID", "65534");
    }
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd
}

fn run(script: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    command(script, env, args)
        .output()
        .expect("busybox must be installed (it is in the dev environment)")
}

fn lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn passes_sh_n_and_shellcheck() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = write_entrypoint(dir.path());
    for shell in [&["sh", "-n"][..], &["busybox", "sh", "-n"][..]] {
        let out = Command::new(shell[0])
            .args(&shell[1..])
            .arg(&script)
            .output()
            .expect("shell");
        assert!(
            out.status.success(),
            "{shell:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = Command::new("shellcheck")
        .args(["--shell=sh", "--severity=style"])
        .arg(&script)
        .output()
        .expect("shellcheck must be installed (it is in the dev environment)");
    assert!(
        out.status.success(),
        "shellcheck:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn refuses_a_microvm_on_the_host_kernel() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = write_entrypoint(dir.path());
    let kernel = machine::kernel();
    let out = run(
        &script,
        &[
            ("PADDOCK_ISOLATION", "microvm"),
            ("PADDOCK_HOST_KERNEL", &kernel),
        ],
        &["echo", "agent-ran"],
    );
    assert_eq!(out.status.code(), Some(EXIT_NOT_ISOLATED));
    let lines = lines(&out);
    assert_eq!(lines.len(), 1, "only the report, no agent: {lines:?}");
    let report = GuestReport::parse(&lines[0]).expect("the first line is the report");
    assert_eq!(report.guest_kernel, kernel);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a microVM"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn refuses_when_the_host_kernel_is_unknown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = write_entrypoint(dir.path());
    let out = run(
        &script,
        &[("PADDOCK_ISOLATION", "microvm")],
        &["echo", "agent-ran"],
    );
    assert_eq!(out.status.code(), Some(EXIT_NOT_ISOLATED));
    assert!(!lines(&out).iter().any(|l| l == "agent-ran"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PADDOCK_HOST_KERNEL"));
    let out = run(
        &script,
        &[("PADDOCK_ISOLATION", "vm"), ("PADDOCK_HOST_KERNEL", "x")],
        &["echo", "agent-ran"],
    );
    assert_eq!(out.status.code(), Some(EXIT_NOT_ISOLATED));
}

#[test]
fn starts_the_agent_in_a_stand_in_microvm_and_in_a_container() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = write_entrypoint(dir.path());
    let kernel = machine::kernel();
    let uid = agent_uid();
    let cases = [
        ("microvm", "6.99.0-stand-in-guest", Isolation::MicroVm),
        ("container", kernel.as_str(), Isolation::Container),
    ];
    for (isolation, host, requested) in cases {
        let out = run(
            &script,
            &[
                ("PADDOCK_ISOLATION", isolation),
                ("PADDOCK_HOST_KERNEL", host),
            ],
            &[
                "sh",
                "-c",
                "echo \"agent-ran $# [$1] [$2]\"",
                "arg0",
                "two words",
                "$(not run)",
            ],
        );
        assert!(
            out.status.success(),
            "{isolation}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines = lines(&out);
        let report = GuestReport::parse(&lines[0]).expect("report");
        assert_eq!(report.uid, uid);
        assert_eq!(report.isolation, requested);
        assert_eq!(
            report.guest_kernel, kernel,
            "{isolation}: the guest's claim"
        );
        assert_eq!(
            lines[1], "agent-ran 2 [two words] [$(not run)]",
            "arguments pass through untouched"
        );
    }
}

#[test]
fn without_a_command_it_starts_the_users_shell() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = write_entrypoint(dir.path());
    let kernel = machine::kernel();
    let mut child = command(
        &script,
        &[
            ("PADDOCK_ISOLATION", "container"),
            ("PADDOCK_HOST_KERNEL", &kernel),
        ],
        &[],
    )
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .spawn()
    .expect("busybox");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"echo shell-ran-as-$(id -u)\nexit 3\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(3));
    let ran = format!("shell-ran-as-{}", agent_uid());
    assert!(lines(&out).contains(&ran), "{:?}", lines(&out));
}

#[test]
fn never_runs_the_agent_as_root_without_a_user() {
    // Only root can be root: elsewhere this exercises the same refusal
    // through the busybox image test (busybox_image.rs).
    let dir = tempfile::tempdir().expect("temp dir");
    let script = write_entrypoint(dir.path());
    let text = std::fs::read_to_string(&script).expect("read");
    assert!(text.contains(&format!(
        "refuse {EXIT_SETUP_FAILED} \"will not run the agent as root"
    )));
}
