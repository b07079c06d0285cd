//! The podman CLI next to the code under test, against the same rootless
//! service; guards that remove what a test made, by name or by the label
//! Paddock puts on a project's containers and images; and podman services
//! of a test's own.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::wait::wait_until;

/// The label naming the project folder of a Paddock container or image.
pub const PROJECT_LABEL: &str = "io.github.paddockapp.project";

/// The local busybox image every test image starts from (no registry is
/// reachable here).
pub fn base_image() -> String {
    std::env::var("PADDOCK_TEST_BASE_IMAGE").expect(
        "PADDOCK_TEST_BASE_IMAGE names the local busybox image: run the tests through build-aux/dev-env",
    )
}

/// Runs the podman CLI against the dev environment's service: whether it
/// succeeded, and what it printed (stdout, then stderr).
pub fn podman(args: &[&str]) -> (bool, String) {
    let output = Command::new("podman")
        .args(args)
        .output()
        .expect("the podman CLI is installed in the dev environment");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

pub fn image_exists(image: &str) -> bool {
    podman(&["image", "exists", image]).0
}

/// The `--filter` for what Paddock made for `project`.
pub fn project_filter(project: &Path) -> String {
    format!("label={PROJECT_LABEL}={}", project.display())
}

/// The names of `project`'s containers, running or not.
pub fn containers_of(project: &Path) -> Vec<String> {
    let filter = project_filter(project);
    let (_, names) = podman(&["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"]);
    names.split_whitespace().map(str::to_owned).collect()
}

/// Whether a container of `project` runs.
pub fn runs_for(project: &Path) -> bool {
    let (_, running) = podman(&["ps", "-q", "--filter", &project_filter(project)]);
    !running.trim().is_empty()
}

/// The ids of `project`'s images.
pub fn images_of(project: &Path) -> Vec<String> {
    let (_, images) = podman(&["images", "-q", "--filter", &project_filter(project)]);
    images.split_whitespace().map(str::to_owned).collect()
}

/// A file of `image` (created as a container and copied out with `podman
/// cp`, through `podman`), `None` when the image has no such file.
pub fn file_in_image(
    podman: impl Fn(&[&str]) -> (bool, String),
    image: &str,
    path: &str,
) -> Option<String> {
    let name = crate::unique("file-in-image");
    let (created, out) = podman(&["create", "--name", &name, image]);
    assert!(created, "podman create: {out}");
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("copied");
    let (copied, out) = podman(&[
        "cp",
        &format!("{name}:{path}"),
        target.to_str().expect("a text path"),
    ]);
    let _ = podman(&["rm", "-f", &name]);
    if !copied {
        assert!(
            out.contains("no such file or directory"),
            "podman cp failed otherwise: {out}"
        );
        return None;
    }
    Some(std::fs::read_to_string(&target).expect("the copied file"))
}

/// Removes an image when the test ends, however it ends.
pub struct ImageGuard(pub String);

impl Drop for ImageGuard {
    fn drop(&mut self) {
        let _ = podman(&["rmi", "-f", &self.0]);
    }
}

/// Removes a container (and, if asked, volumes) when the test ends.
pub struct ContainerGuard {
    pub name: String,
    pub volumes: Vec<String>,
}

impl ContainerGuard {
    pub fn new(name: &str) -> ContainerGuard {
        ContainerGuard {
            name: name.to_owned(),
            volumes: Vec::new(),
        }
    }
}

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        remove_container(&self.name);
        for volume in &self.volumes {
            let _ = podman(&["volume", "rm", "-f", volume]);
        }
    }
}

/// Removes what Paddock made for a project folder when the test ends: its
/// containers with their secrets, and its images.
pub struct ProjectCleanup(pub PathBuf);

impl Drop for ProjectCleanup {
    fn drop(&mut self) {
        for name in containers_of(&self.0) {
            remove_container(&name);
            // An allowlist sandbox's gateway and internal network.
            let _ = podman(&["rm", "-f", "-t", "0", &format!("{name}-gateway")]);
            let _ = podman(&["network", "rm", "-f", &format!("{name}-net")]);
        }
        for id in images_of(&self.0) {
            let _ = podman(&["rmi", "-f", &id]);
        }
    }
}

/// Removes a container and the podman secrets Paddock made for it
/// (`<sandbox>.<VARIABLE>`), which `podman rm` leaves behind.
fn remove_container(name: &str) {
    let _ = podman(&["rm", "-f", "-t", "0", name]);
    let (_, secrets) = podman(&["secret", "ls", "--format", "{{.Name}}"]);
    for secret in secrets
        .lines()
        .filter(|secret| secret.starts_with(&format!("{name}.")))
    {
        let _ = podman(&["secret", "rm", secret]);
    }
}

/// `podman system service` on a socket of the test's own, in its own
/// process group so that stopping it takes podman's re-executed child too
/// (and nothing else: each sandbox's conmon has its own session). Killed
/// when dropped.
pub struct PodmanService {
    socket: PathBuf,
    conf_override: Option<PathBuf>,
    process: Option<Child>,
}

impl PodmanService {
    /// The service at `socket`, with `conf_override` as
    /// CONTAINERS_CONF_OVERRIDE when given, once it answers.
    pub fn start(socket: &Path, conf_override: Option<&Path>) -> PodmanService {
        let mut service = PodmanService::stopped(socket);
        service.conf_override = conf_override.map(Path::to_owned);
        service.restart();
        service
    }

    /// Not started yet: see [`PodmanService::restart`].
    pub fn stopped(socket: &Path) -> PodmanService {
        PodmanService {
            socket: socket.to_owned(),
            conf_override: None,
            process: None,
        }
    }

    pub fn container_host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// Starts the service and waits until it answers.
    pub fn restart(&mut self) {
        assert!(self.process.is_none(), "the service already runs");
        let mut command = Command::new("podman");
        command
            .args(["system", "service", "--time=0"])
            .arg(self.container_host())
            // With CONTAINER_HOST set, podman is a remote client and serves nothing.
            .env_remove("CONTAINER_HOST")
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(conf) = &self.conf_override {
            command.env("CONTAINERS_CONF_OVERRIDE", conf);
        }
        self.process = Some(command.spawn().expect("podman is installed"));
        wait_until(
            "the test's own podman service",
            Duration::from_secs(30),
            || self.podman(&["version"]).0,
        );
    }

    /// SIGKILL to the whole service: no goodbye to its clients. Its socket
    /// file stays behind, as after a crash.
    pub fn kill(&mut self) {
        let Some(mut child) = self.process.take() else {
            return;
        };
        let group = rustix::process::Pid::from_child(&child);
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        let _ = child.wait();
    }

    /// The podman CLI against this service, like [`podman`].
    pub fn podman(&self, args: &[&str]) -> (bool, String) {
        let host = self.container_host();
        let mut all = vec!["--url", &host];
        all.extend_from_slice(args);
        podman(&all)
    }
}

impl Drop for PodmanService {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The folders where rootless podman keeps what it knows of containers and
/// secrets: the user's storage (layers, the containers' folders with their
/// `config.json`, the secret store) and the runtime dir's state.
pub fn podman_folders() -> Vec<PathBuf> {
    let mut folders = Vec::new();
    if let Some(home) = std::env::var_os("HOME") {
        folders.push(PathBuf::from(home).join(".local/share/containers"));
    }
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR") {
        let runtime = PathBuf::from(runtime);
        folders.push(runtime.join("containers"));
        folders.push(runtime.join("libpod"));
    }
    folders
}

/// Every regular file under podman's folders whose bytes hold `needle`
/// (symbolic links are not followed; files the user cannot read, such as
/// a layer's files of other owners, are skipped).
pub fn podman_files_holding(needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = podman_folders();
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file()
                && let Ok(bytes) = std::fs::read(&path)
                && bytes.windows(needle.len()).any(|window| window == needle)
            {
                found.push(path);
            }
        }
    }
    found
}

/// The OCI `config.json` podman wrote for container `name`.
pub fn oci_config(name: &str) -> PathBuf {
    let (ok, dir) = podman(&["inspect", "--format", "{{.StaticDir}}", name]);
    assert!(ok, "{dir}");
    PathBuf::from(dir.trim()).join("config.json")
}
