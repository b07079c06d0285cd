//! `paddock run/attach/ls/stop/rm` through the real binary, at a real
//! pseudo-terminal where a person would have one.

use std::process::Stdio;
use std::time::Duration;

use engine::{ENABLE_SOCKET, INSTALL_KRUN};
use support::paddock::{TestHome, TestProject, assert_success, binary};
use support::podman::images_of;
use support::process::run_with_input;
use support::pty::PtyChild;

const LONG: Duration = Duration::from_secs(120);

fn run_in_pty(project: &TestProject, command: &[&str]) -> PtyChild {
    let mut paddock = project.paddock();
    paddock.args(["run", project.path(), "--"]).args(command);
    PtyChild::spawn(paddock, 80, 24)
}

/// `paddock run --detach` of `script` in the project's sandbox.
pub(crate) fn run_detached(project: &TestProject, script: &str) {
    let status = project
        .paddock()
        .args(["run", "--detach", project.path(), "--"])
        .args(["sh", "-c", script])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_success(&status);
}

#[test]
fn run_returns_the_sandboxs_exit_code_and_prints_the_verdict() {
    let project = TestProject::init("cli-exit", &["--container"]);
    let child = run_in_pty(&project, &["sh", "-c", "exit 7"]);
    let (code, screen) = child.finish(LONG);
    assert_eq!(code, Some(7), "{screen}");
    // In words, as the window says it, with the code as the detail.
    assert!(
        screen.contains("paddock: The agent ended with an error (exit code 7)"),
        "{screen}"
    );
    assert!(screen.contains("isolation: container only"), "{screen}");
    assert!(screen.contains("plain container"), "{screen}");
}

/// `stty -a` of the pty after paddock ended: cooked mode with echo again.
fn assert_terminal_restored(screen: &str) {
    let modes = screen.rsplit("stty-after:").next().unwrap_or_default();
    for mode in ["icanon", "echo", "isig", "icrnl", "opost"] {
        assert!(
            modes.split_whitespace().any(|word| word == mode),
            "{mode} not restored: {screen}"
        );
    }
}

#[test]
fn the_terminal_is_restored_after_the_sandbox_exits_and_after_a_signal() {
    let project = TestProject::init("cli-restore", &["--container"]);
    let mut shell = project.home().command("sh");
    shell
        .arg("-c")
        .arg("\"$0\" run \"$1\" -- sh -c 'exit 3'; echo rc=$?; printf 'stty-after:'; stty -a")
        .arg(binary())
        .arg(project.path());
    let (code, screen) = PtyChild::spawn(shell, 80, 24).finish(LONG);
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("rc=3"), "{screen}");
    assert_terminal_restored(&screen);

    // A background job of a script gets /dev/null as stdin unless told
    // otherwise: fd 3 keeps the terminal.
    let mut shell = project.home().command("sh");
    shell
        .arg("-c")
        .arg(
            "exec 3<&0; \"$0\" run \"$1\" -- sh -c 'echo sandbox-up; sleep 600' <&3 & \
             echo paddock-pid=$!; wait $!; echo rc=$?; printf 'stty-after:'; stty -a",
        )
        .arg(binary())
        .arg(project.path());
    let child = PtyChild::spawn(shell, 80, 24);
    assert!(child.wait_for("sandbox-up", LONG), "{}", child.screen());
    let screen = child.screen();
    let pid: i32 = screen
        .split("paddock-pid=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("{screen}"));
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let (code, screen) = child.finish(LONG);
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("rc=143"), "{screen}");
    assert!(screen.contains("left paddock-"), "{screen}");
    assert_terminal_restored(&screen);
}

#[test]
fn window_size_changes_reach_the_sandbox() {
    let project = TestProject::init("cli-resize", &["--container"]);
    let child = run_in_pty(
        &project,
        &[
            "sh",
            "-c",
            "echo started; for i in $(seq 300); do \
             [ \"$(stty size)\" = '50 140' ] && echo resized-inside && exit 0; sleep 0.1; done; exit 9",
        ],
    );
    assert!(child.wait_for("started", LONG), "{}", child.screen());
    child.resize(140, 50);
    let (code, screen) = child.finish(LONG);
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("resized-inside"), "{screen}");
}

#[test]
fn keys_including_ctrl_p_ctrl_q_reach_the_sandbox() {
    let project = TestProject::init("cli-keys", &["--container"]);
    let mut child = run_in_pty(
        &project,
        &[
            "sh",
            "-c",
            "stty -ixon; echo ready; IFS= read -r line; printf '%s' \"$line\" | od -An -tx1",
        ],
    );
    assert!(child.wait_for("ready", LONG), "{}", child.screen());
    // Ctrl-P Ctrl-Q is podman's default detach sequence.
    child.type_bytes(b"\x10\x11hi\r");
    let (code, screen) = child.finish(LONG);
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("10 11 68 69"), "{screen}");
}

#[test]
fn piped_stdin_goes_through_without_a_terminal() {
    let project = TestProject::init("cli-pipe", &["--container"]);
    let output = run_with_input(
        project.paddock().args([
            "run",
            project.path(),
            "--",
            "sh",
            "-c",
            "read x; echo got:$x",
        ]),
        b"hello from a pipe\n",
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("got:hello from a pipe"), "{stdout}");
}

#[test]
fn detach_ls_attach_stop_and_rm() {
    let project = TestProject::init("cli-life", &["--container"]);
    run_detached(&project, "trap 'exit 0' TERM; echo up; sleep 600 & wait");

    let ls = |expect: &str| {
        let output = project.paddock().arg("ls").output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let row = stdout
            .lines()
            .find(|line| line.contains(project.path()))
            .map(str::to_owned);
        match row {
            Some(row) => assert!(row.contains(expect), "{row}"),
            None => assert_eq!(expect, "", "{stdout}"),
        }
    };
    ls("running");
    ls("container only");

    let stop = project.run(&["stop", project.path()]);
    assert_success(&stop);
    ls("exited (0)");

    let attach = project.run(&["attach", project.path()]);
    assert_eq!(attach.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&attach.stderr).contains("paddock run"));

    let rm = project.run(&["rm", project.path()]);
    assert_success(&rm);
    ls("");
    let again = project.run(&["rm", "no-such-sandbox-here"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("paddock ls"));
}

#[test]
fn attach_joins_a_running_sandbox() {
    let project = TestProject::init("cli-attach", &["--container"]);
    run_detached(&project, "IFS= read -r line; echo attached:$line; exit 4");
    let mut attach = project.paddock();
    attach.args(["attach", project.path()]);
    let mut child = PtyChild::spawn(attach, 80, 24);
    std::thread::sleep(Duration::from_secs(1));
    child.type_bytes(b"again\r");
    let (code, screen) = child.finish(LONG);
    assert_eq!(code, Some(4), "{screen}");
    assert!(screen.contains("attached:again"), "{screen}");
}

#[test]
fn a_microvm_definition_without_libkrun_fails_with_the_install_hint() {
    let project = TestProject::init("cli-microvm", &[]);
    let output = project
        .paddock()
        .args(["run", project.path(), "--", "true"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(INSTALL_KRUN), "{stderr}");
    // Refused before building: no log, no image.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("STEP"), "{stdout}");
    assert_eq!(
        images_of(&project.root),
        Vec::<String>::new(),
        "an image was built for a sandbox that cannot start"
    );
}

#[test]
fn an_invalid_definition_gets_its_errors_before_any_approval_prompt() {
    let project = TestProject::init("cli-invalid", &["--container"]);
    let definition = project.root.join(".agent-sandbox/paddock.toml");
    let text = std::fs::read_to_string(&definition).unwrap();
    std::fs::write(&definition, text.replace("cpus = 2", "cpus = 0")).unwrap();
    for command in ["build", "run"] {
        let output = project
            .paddock()
            .args([command, project.path()])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("resources.cpus: 0 is out of range"),
            "{command}: {stderr}"
        );
        assert!(!stderr.contains("Approve this"), "{command}: {stderr}");
        assert!(!stderr.contains("not approved"), "{command}: {stderr}");
        assert!(!String::from_utf8_lossy(&output.stdout).contains("STEP"));
    }
}

#[test]
fn without_podman_the_error_says_how_to_enable_its_socket() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("podman.sock");
    let output = TestHome::new()
        .paddock()
        .arg("ls")
        .env("CONTAINER_HOST", format!("unix://{}", socket.display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(ENABLE_SOCKET), "{stderr}");
    assert!(stderr.contains(&socket.display().to_string()), "{stderr}");
}

#[test]
fn build_prints_the_log_and_skips_an_unchanged_definition() {
    let project = TestProject::init("cli-build", &["--container"]);
    let first = project.run(&["build", project.path()]);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert_success(&first);
    assert!(stdout.contains("STEP 1/"), "{stdout}");
    assert!(stdout.contains("Built localhost/paddock/"), "{stdout}");
    let second = project.run(&["build", project.path()]);
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(second.status.success());
    assert!(!stdout.contains("STEP"), "{stdout}");
    assert!(stdout.contains("up to date"), "{stdout}");
}

#[test]
fn the_headless_demo_builds_and_runs_the_example_project() {
    let bin = binary();
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = std::process::Command::new(support::source("build-aux/demo"))
        .env("PATH", path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("PLAIN CONTAINER"), "{stdout}");
    assert!(stdout.contains("STEP 1/"), "{stdout}");
    assert!(
        stdout.contains("*** Hello from inside the Paddock sandbox ***"),
        "{stdout}"
    );
    assert!(
        stdout.contains("README.md"),
        "the sandbox lists the project: {stdout}"
    );
    assert!(stdout.contains("The sandbox's exit status: 0"), "{stdout}");
    assert!(stdout.contains("The sandbox wrote this file."), "{stdout}");
}

#[test]
fn a_changed_definition_is_shown_and_used_only_once_approved() {
    let project = TestProject::init("cli-approval", &["--container"]);
    let definition = project.root.join(".agent-sandbox/paddock.toml");
    let text = std::fs::read_to_string(&definition).unwrap();
    std::fs::write(&definition, text.replace("cpus = 2", "cpus = 3")).unwrap();

    let refused = project
        .paddock()
        .args(["build", project.path()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("+cpus = 3"), "the diff is shown: {stderr}");
    assert!(stderr.contains("not approved"), "{stderr}");
    assert!(!String::from_utf8_lossy(&refused.stdout).contains("STEP"));

    let approved = run_with_input(project.paddock().args(["build", project.path()]), b"y\n");
    assert_success(&approved);
    assert!(String::from_utf8_lossy(&approved.stdout).contains("Built"));
}

#[test]
fn a_failing_package_install_fails_the_build_with_its_step() {
    let project = TestProject::init("cli-build-fail", &["--container"]);
    let definition = project.root.join(".agent-sandbox/paddock.toml");
    let text = std::fs::read_to_string(&definition).unwrap();
    // busybox has no apk: the install step fails as a missing package would.
    let text = text.replacen(
        "[image]\n",
        "[image]\npackages = [\"nodejs\"]\npackage_manager = \"apk\"\n",
        1,
    );
    std::fs::write(&definition, text).unwrap();
    let output = run_with_input(project.paddock().args(["build", project.path()]), b"y\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let failure = stderr
        .lines()
        .find(|line| line.contains("paddock: The build failed at STEP"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(failure.contains("apk"), "{failure}");
    assert!(stderr.contains("apk: not found"), "{stderr}");
}

#[test]
fn the_stdout_of_a_run_that_builds_is_the_agents_alone() {
    let project = TestProject::init("cli-stdout", &["--container"]);
    let output = project
        .paddock()
        .args([
            "run",
            project.path(),
            "--",
            "sh",
            "-c",
            "echo only-the-agent",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_success(&output);
    assert!(
        stderr.contains("STEP 1/"),
        "it built, logging on stderr: {stderr}"
    );
    assert!(stderr.contains("isolation: container only"), "{stderr}");
    assert_eq!(
        stdout, "only-the-agent\n",
        "no build log, no report line, nothing of Paddock's"
    );
}
