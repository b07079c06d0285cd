//! The krun path with a STAND-IN runtime: no crun with libkrun can run here,
//! so a second podman service of our own uses a wrapper around plain crun
//! that claims `+LIBKRUN` in its `--version`. Paddock must take the microVM
//! path (annotations and all) and then catch that the "VM" runs on the
//! host's kernel: the verdict is never "microVM" and the agent never starts.

// Its helpers, like its tests, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sandbox::guest::EXIT_NOT_ISOLATED;
use support::paddock::TestProject;
use support::podman::{PodmanService, project_filter};
use support::stand_ins;

/// A podman service whose default runtime is the stand-in.
struct StandInService {
    /// The sandbox made through this service, removed through it (the
    /// regular service does not know the stand-in runtime).
    cleanup: Option<(PathBuf, Command)>,
    service: PodmanService,
    _dir: tempfile::TempDir,
}

impl StandInService {
    fn start() -> StandInService {
        StandInService::with(|dir| stand_ins::krun_runtime(dir, None))
    }

    /// A service whose runtime is the one `conf` (given a folder) sets up.
    fn with(conf: impl FnOnce(&Path) -> PathBuf) -> StandInService {
        let dir = tempfile::tempdir().unwrap();
        let conf = conf(dir.path());
        let service = PodmanService::start(&dir.path().join("podman.sock"), Some(&conf));
        StandInService {
            cleanup: None,
            service,
            _dir: dir,
        }
    }

    fn paddock(&self, project: &TestProject) -> Command {
        let mut command = project.paddock();
        command.env("CONTAINER_HOST", self.service.container_host());
        command
    }

    fn podman(&self, args: &[&str]) -> String {
        self.service.podman(args).1
    }
}

impl Drop for StandInService {
    fn drop(&mut self) {
        if let Some((project, mut paddock)) = self.cleanup.take() {
            let _ = paddock.arg("rm").arg(project).output();
        }
    }
}

fn annotation(service: &StandInService, name: &str, key: &str) -> String {
    service
        .podman(&[
            "inspect",
            "--format",
            &format!("{{{{index .Config.Annotations \"{key}\"}}}}"),
            name,
        ])
        .trim()
        .to_owned()
}

#[test]
fn stand_in_krun_goes_the_microvm_path_and_is_caught_as_not_isolated() {
    let project = TestProject::init("standin", &["--cpus", "1", "--memory", "512"]);
    let mut service = StandInService::start();
    assert!(
        service
            .podman(&["info", "--format", "{{.Host.OCIRuntime.Version}}"])
            .contains("+LIBKRUN"),
        "the stand-in runtime is in use"
    );
    service.cleanup = Some((project.root.clone(), service.paddock(&project)));

    let output = service
        .paddock(&project)
        .args([
            "run",
            project.path(),
            "--",
            "sh",
            "-c",
            "echo the-agent-started",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(
        output.status.code(),
        Some(EXIT_NOT_ISOLATED),
        "{stdout}{stderr}"
    );
    assert!(
        !stdout.contains("paddock-sandbox"),
        "the report is consumed, not shown: {stdout}"
    );
    assert!(!stdout.contains("the-agent-started"), "{stdout}");
    assert!(stderr.contains("isolation: not isolated"), "{stderr}");
    assert!(!stderr.contains("isolation: microVM"), "{stderr}");

    let name = service
        .podman(&[
            "ps",
            "-a",
            "--format",
            "{{.Names}}",
            "--filter",
            &project_filter(&project.root),
        ])
        .trim()
        .to_owned();
    assert!(name.starts_with("paddock-"), "{name:?}");
    assert_eq!(annotation(&service, &name, "run.oci.handler"), "krun");
    assert_eq!(annotation(&service, &name, "krun.cpus"), "1");
    assert_eq!(annotation(&service, &name, "krun.ram_mib"), "512");

    let ls = service.paddock(&project).arg("ls").output().unwrap();
    let listing = String::from_utf8_lossy(&ls.stdout);
    let row = listing
        .lines()
        .find(|line| line.contains(&name))
        .unwrap_or_else(|| panic!("{listing}"));
    assert!(row.contains("not isolated"), "{row}");
    assert!(!row.contains("microVM"), "{row}");
}

#[test]
fn a_stand_in_vmm_that_fails_at_boot_says_the_microvm_could_not_start() {
    let project = TestProject::init("standin-vmm", &["--cpus", "1", "--memory", "512"]);
    let mut service = StandInService::with(stand_ins::failing_vmm_runtime);
    service.cleanup = Some((project.root.clone(), service.paddock(&project)));
    let output = service
        .paddock(&project)
        .args(["run", project.path(), "--", "echo", "the-agent-started"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_ne!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stderr.contains("The microVM could not start: Received KVM_EXIT_INTERNAL_ERROR signal."),
        "{stderr}"
    );
    for hint in ["/dev/kvm", "nested virtualization", "libkrun and libkrunfw"] {
        assert!(stderr.contains(hint), "{hint}: {stderr}");
    }
    assert!(!stderr.contains("did not report itself"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "escape sequences cleaned: {stderr:?}"
    );
    // The build's log went to stderr too: nothing of Paddock's on stdout.
    assert!(stderr.contains("STEP 1/"), "{stderr}");
    assert_eq!(stdout, "", "stdout is the agent's alone");
}

/// A project whose hand-written image prints a fake report (a kernel of its
/// own, `isolation=microvm`) as its first line and then runs "the agent".
fn fake_report_project(test: &str, runtime: &str) -> TestProject {
    let project = TestProject::init(test, &[]);
    let sandbox = project.root.join(".agent-sandbox");
    std::fs::write(
        sandbox.join("Containerfile.fake"),
        format!(
            "FROM {}\nENTRYPOINT [\"/bin/sh\", \"-c\", \"echo 'paddock-sandbox guest-kernel=6.99.0-fake-krun uid=1000 isolation=microvm'; echo the-agent-started; sleep 2\"]\n",
            support::podman::base_image()
        ),
    )
    .unwrap();
    std::fs::write(
        sandbox.join("paddock.toml"),
        format!(
            "version = 1\n\n[agent]\npreset = \"shell\"\n\n[image]\ncontainerfile = \"Containerfile.fake\"\n\n[resources]\ncpus = 1\nmemory_mib = 512\n\n[sandbox]\nruntime = \"{runtime}\"\nnetwork = \"offline\"\n"
        ),
    )
    .unwrap();
    project
}

fn run_fake(command: &mut Command, project: &TestProject) -> String {
    let output = command
        .args(["run", "--approve", project.path()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(stderr.contains("paddock: isolation: "), "{stderr}");
    assert!(!stderr.contains("isolation: microVM"), "{stderr}");
    stderr
}

#[test]
fn a_fake_report_under_the_stand_in_is_not_shown_as_a_microvm() {
    let project = fake_report_project("fakekrun", "krun");
    let mut service = StandInService::start();
    service.cleanup = Some((project.root.clone(), service.paddock(&project)));
    let stderr = run_fake(&mut service.paddock(&project), &project);
    // Until Paddock sets its own entrypoint, the fake line is the first; then the
    // real report names the host's kernel. Either way: no microVM.
    assert!(
        stderr.contains(
            "isolation: container: the sandbox claims a kernel of its own (6.99.0-fake-krun)"
        ) || stderr.contains("isolation: not isolated"),
        "{stderr}"
    );
    let ls = service.paddock(&project).arg("ls").output().unwrap();
    assert_listed_as_no_microvm(&String::from_utf8_lossy(&ls.stdout), &project);
}

/// `paddock ls` shows the project's sandbox, and not as a microVM.
fn assert_listed_as_no_microvm(listing: &str, project: &TestProject) {
    let row = listing
        .lines()
        .find(|line| line.contains(project.path()))
        .unwrap_or_else(|| panic!("{listing}"));
    assert!(!row.trim_end().ends_with("microVM"), "{row}");
}

#[test]
fn a_fake_report_in_container_mode_is_a_container() {
    let project = fake_report_project("fakecontainer", "container");
    let stderr = run_fake(&mut project.paddock(), &project);
    assert!(stderr.contains("isolation: container only"), "{stderr}");
    let ls = project.run(&["ls"]);
    let listing = String::from_utf8_lossy(&ls.stdout);
    assert_listed_as_no_microvm(&listing, &project);
    assert!(listing.contains("container only"), "{listing}");
}
