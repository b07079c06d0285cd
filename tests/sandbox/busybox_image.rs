//! The generated Containerfile and entrypoint built into a real image with
//! rootless podman, on the busybox test base (busybox applets only, no
//! package manager), and run the ways Paddock runs them. The microVM is a
//! stand-in: krun cannot run here, so a root start with a host kernel string
//! other than `uname -r` plays a VM that boots as root with its own kernel.

use std::process::Command;

use sandbox::definition::{Cache, Definition};
use sandbox::guest::{EXIT_NOT_ISOLATED, EXIT_SETUP_FAILED, GuestReport};
use sandbox::host_facts::VmSizing;
use sandbox::plan::Isolation;
use sandbox::presets::Presets;
use sandbox::render;
use support::podman::{ContainerGuard, ImageGuard, base_image};
use support::{machine, unique};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn build() -> ImageGuard {
    let presets = Presets::builtin();
    let mut definition = Definition::new("shell", &base_image());
    definition.sandbox.mount = Some("/src/demo".into());
    definition.caches.push(Cache {
        name: "build".into(),
        path: "/cache/build".into(),
    });
    definition.validate(&presets).expect("valid");
    let agent = definition.resolve_agent(&presets).expect("agent");
    let context = tempfile::tempdir().expect("context");
    std::fs::write(
        context.path().join("Containerfile"),
        render::containerfile(&definition, &agent, "/src/demo", VmSizing::Annotations),
    )
    .expect("write");
    std::fs::write(
        context.path().join("entrypoint.sh"),
        render::entrypoint(&agent),
    )
    .expect("write");

    let image = ImageGuard(format!(
        "localhost/paddock-test/{}:latest",
        unique("sandbox-busybox")
    ));
    let uid = machine::uid();
    let out = Command::new("podman")
        .args([
            "build",
            "--quiet",
            "--build-arg",
            &format!("HOST_UID={uid}"),
            "--build-arg",
            &format!("HOST_GID={uid}"),
        ])
        .args(["-t", &image.0, "-f"])
        .arg(context.path().join("Containerfile"))
        .arg(context.path())
        .output()
        .expect("podman");
    assert!(
        out.status.success(),
        "podman build failed:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    image
}

/// What a finished sandbox left: its exit code and its two streams.
struct Ran {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Ran {
    fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Runs detached, waits, and reads the logs: `podman run --rm` through the
/// API service can lose the output of a container that exits at once.
fn run(image: &ImageGuard, options: &[&str], command: &[&str]) -> Ran {
    let container = ContainerGuard::new(&unique("sandbox-busybox"));
    let started = Command::new("podman")
        .args([
            "run",
            "--detach",
            "--network=none",
            "--name",
            &container.name,
        ])
        .args(options)
        .arg(&image.0)
        .args(command)
        .output()
        .expect("podman run");
    assert!(
        started.status.success(),
        "podman run: {}",
        text(&started.stderr)
    );
    let waited = Command::new("podman")
        .args(["wait", &container.name])
        .output()
        .expect("podman wait");
    let code = text(&waited.stdout).trim().parse().ok();
    let logs = Command::new("podman")
        .args(["logs", &container.name])
        .output()
        .expect("podman logs");
    Ran {
        code,
        stdout: logs.stdout,
        stderr: logs.stderr,
    }
}

#[test]
fn the_generated_image_checks_isolation_and_becomes_the_user() {
    let image = build();
    let kernel = machine::kernel();
    let uid = machine::uid().to_string();
    let host_kernel = format!("PADDOCK_HOST_KERNEL={kernel}");
    let paddock_uid = format!("PADDOCK_UID={uid}");
    let paddock_gid = format!("PADDOCK_GID={uid}");

    // Asked for a microVM, got the host's kernel: refused, the agent never runs.
    let out = run(
        &image,
        &[
            "--user=0",
            "-e",
            "PADDOCK_ISOLATION=microvm",
            "-e",
            &host_kernel,
            "-e",
            &paddock_uid,
        ],
        &["echo", "agent-ran"],
    );
    assert_eq!(out.code, Some(EXIT_NOT_ISOLATED), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("agent-ran"), "{stdout}");
    let report = GuestReport::parse(stdout.lines().next().unwrap_or_default()).expect("report");
    assert_eq!(report.guest_kernel, kernel);

    // Stand-in microVM: starts as root, switches to the user with busybox su.
    let out = run(
        &image,
        &[
            "--user=0",
            "-e",
            "PADDOCK_ISOLATION=microvm",
            "-e",
            "PADDOCK_HOST_KERNEL=stand-in-host",
            "-e",
            &paddock_uid,
            "-e",
            &paddock_gid,
        ],
        &[
            "sh",
            "-c",
            "id -u; echo $HOME; stat -c %u /src/demo /cache/build /home/agent; pwd",
        ],
    );
    assert!(out.success(), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    let report = GuestReport::parse(&lines[0]).expect("report");
    assert_eq!(report.uid.to_string(), uid);
    assert_eq!(report.isolation, Isolation::MicroVm);
    assert_eq!(
        lines[1..],
        [
            uid.clone(),
            "/home/agent".into(),
            uid.clone(),
            uid.clone(),
            uid.clone(),
            "/src/demo".into()
        ]
    );

    // Container mode with keep-id: already the user, nothing to switch.
    let out = run(
        &image,
        &[
            "--userns=keep-id",
            "-e",
            "PADDOCK_ISOLATION=container",
            "-e",
            &host_kernel,
        ],
        &["id", "-u"],
    );
    assert!(out.success(), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert_eq!(
        GuestReport::parse(&lines[0]).expect("report").isolation,
        Isolation::Container
    );
    assert_eq!(lines[1], uid);

    // Root without being told whom to become: refuses to run the agent as root.
    let out = run(
        &image,
        &[
            "--user=0",
            "-e",
            "PADDOCK_ISOLATION=container",
            "-e",
            &host_kernel,
        ],
        &["echo", "agent-ran"],
    );
    assert_eq!(out.code, Some(EXIT_SETUP_FAILED), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("agent-ran"));
}
