//! The krun path with a STAND-IN runtime: no crun with libkrun can run here,
//! so a second podman service of our own uses a wrapper around plain crun
//! that claims `+LIBKRUN` in its `--version`. Paddock must take the microVM
//! path (annotations and all) and then catch that the "VM" runs on the
//! host's kernel: the verdict is never "microVM" and the agent never starts.

// Its helpers, like its tests, fail by panicking.
#![allow(clippy::unwrap_used)]

mod engine_support;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use engine_support::{TestProject, paddock};
use sandbox::guest::EXIT_NOT_ISOLATED;

/// The stand-in runtime: plain crun that says it was built with libkrun.
const STANDIN: &str = r#"#!/bin/sh
# TEST STAND-IN for crun built with libkrun: plain crun underneath.
if [ "$1" = --version ]; then
    /usr/bin/crun --version | sed '$ s/$/ +LIBKRUN/'
    exit 0
fi
exec /usr/bin/crun "$@"
"#;

/// A podman service whose default runtime is the stand-in.
struct StandInService {
    dir: tempfile::TempDir,
    service: Child,
    /// The sandbox made through this service, removed through it (the
    /// regular service does not know the stand-in runtime).
    cleanup: Option<(PathBuf, PathBuf)>,
}

impl StandInService {
    fn start() -> StandInService {
        let dir = tempfile::tempdir().unwrap();
        let runtime = dir.path().join("crun-standin");
        std::fs::write(&runtime, STANDIN).unwrap();
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o755)).unwrap();
        let conf = dir.path().join("containers.conf");
        std::fs::write(
            &conf,
            format!(
                "[engine]\nruntime = \"crun-standin\"\n[engine.runtimes]\ncrun-standin = [\"{}\"]\n",
                runtime.display()
            ),
        )
        .unwrap();
        let socket = dir.path().join("podman.sock");
        let service = Command::new("podman")
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .env_remove("CONTAINER_HOST")
            .env("CONTAINERS_CONF_OVERRIDE", &conf)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !socket.exists() {
            assert!(
                Instant::now() < deadline,
                "the stand-in podman service did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        StandInService {
            dir,
            service,
            cleanup: None,
        }
    }

    fn host(&self) -> String {
        format!("unix://{}", self.dir.path().join("podman.sock").display())
    }

    fn paddock(&self, project: &TestProject) -> Command {
        let mut command = project.paddock();
        command.env("CONTAINER_HOST", self.host());
        command
    }

    fn podman(&self, args: &[&str]) -> String {
        let output = Command::new("podman")
            .env("CONTAINER_HOST", self.host())
            .arg("--remote")
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for StandInService {
    fn drop(&mut self) {
        if let Some((project, data_home)) = &self.cleanup {
            let _ = paddock()
                .env("CONTAINER_HOST", self.host())
                .env("XDG_DATA_HOME", data_home)
                .arg("rm")
                .arg(project)
                .output();
        }
        let _ = self.service.kill();
        let _ = self.service.wait();
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
    service.cleanup = Some((project.root.clone(), project.data_home()));

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
    assert!(stdout.contains("isolation=microvm"), "{stdout}");
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
            &format!("label=io.github.paddockapp.project={}", project.path()),
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
