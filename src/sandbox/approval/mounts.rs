//! The extra mounts of a definition (`[[mounts]]`), resolved on this host.
//!
//! A mount reaches the sandbox only from an approved definition (see
//! [`super::Approvals::gate`]); whatever was approved, some host paths are
//! never mounted: the places that are never a project
//! ([`check_location`]), the host's sockets (podman, ssh-agent, X11,
//! Wayland, D-Bus: a socket into the host is a way out of the sandbox),
//! and, writable, the project's own `.agent-sandbox/`.

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use crate::definition::Mount;
use crate::messages::tr;
use crate::plan::{Bind, Pin};
use crate::project::{Project, ProjectError, check_location};

/// One `[[mounts]]` entry with its host path resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedMount {
    /// Absolute, symlinks resolved.
    pub source: PathBuf,
    pub target: String,
    pub read_only: bool,
    /// Inside the project folder (which the agent has anyway).
    pub inside_project: bool,
    /// What `source` was when it was resolved.
    pub pin: Pin,
}

impl ResolvedMount {
    pub fn bind(&self) -> Bind {
        Bind {
            source: self.source.clone(),
            target: self.target.trim_end_matches('/').to_owned(),
            read_only: self.read_only,
            pin: self.pin,
        }
    }

    /// One line for the approval prompt.
    pub fn describe(&self) -> String {
        let access = if self.read_only {
            gettextrs::gettext("read-only")
        } else {
            gettextrs::gettext("read-write")
        };
        let template = if self.inside_project {
            "mounts {source} (in the project) at {target}, {access}"
        } else {
            "mounts {source} (OUTSIDE the project) at {target}, {access}"
        };
        tr(
            template,
            &[
                ("source", &self.source.display()),
                ("target", &self.target),
                ("access", &access),
            ],
        )
    }
}

/// Why a mount can never be made.
#[derive(Debug, thiserror::Error)]
pub enum MountError {
    #[error("{}", tr("mounts[{index}]: {path} does not exist; create it or remove the mount from paddock.toml", &[("index", index), ("path", &path.display())]))]
    NotFound { index: usize, path: PathBuf },
    #[error("{}", tr("mounts[{index}]: cannot read {path}: {error}", &[("index", index), ("path", &path.display()), ("error", &crate::messages::os_error(source))]))]
    Io {
        index: usize,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", tr("mounts[{index}]: {path} is a socket; host sockets are never mounted into a sandbox (they lead out of it); remove the mount from paddock.toml", &[("index", index), ("path", &path.display())]))]
    Socket { index: usize, path: PathBuf },
    #[error("{}", tr("mounts[{index}]: {path} is or holds the host socket {socket}; host sockets (podman, ssh-agent, X11, Wayland, D-Bus) are never mounted into a sandbox; remove the mount from paddock.toml", &[("index", index), ("path", &path.display()), ("socket", &socket.display())]))]
    HostSocket {
        index: usize,
        path: PathBuf,
        socket: PathBuf,
    },
    #[error("{}", tr("mounts[{index}]: {reason}", &[("index", index), ("reason", reason)]))]
    Refused { index: usize, reason: ProjectError },
    #[error("{}", tr("mounts[{index}]: {path} would let the agent change its own sandbox definition (.agent-sandbox); mount it with read_only = true or choose another folder", &[("index", index), ("path", &path.display())]))]
    WritableDefinition { index: usize, path: PathBuf },
}

/// The host's sockets (and the folders that hold them) as this session
/// knows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostSockets(Vec<PathBuf>);

impl HostSockets {
    /// From the environment: `$XDG_RUNTIME_DIR` (podman, Wayland, D-Bus,
    /// PipeWire, the GnuPG agent), `$SSH_AUTH_SOCK`, the X11 and ICE socket
    /// folders, `$DBUS_SESSION_BUS_ADDRESS`, `$CONTAINER_HOST`,
    /// `$DOCKER_HOST`, and the system-wide podman, docker and D-Bus sockets.
    pub fn from_env() -> HostSockets {
        let var = |name: &str| std::env::var_os(name).map(PathBuf::from);
        let mut paths: Vec<PathBuf> = [
            "/tmp/.X11-unix",
            "/tmp/.ICE-unix",
            "/run/podman",
            "/run/docker.sock",
            "/run/dbus",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        paths.extend(var("XDG_RUNTIME_DIR"));
        if let Some(agent) = var("SSH_AUTH_SOCK") {
            // ssh-agent makes a private folder for its socket.
            paths.extend(
                agent
                    .parent()
                    .filter(|p| p != &Path::new("/tmp"))
                    .map(Path::to_owned),
            );
            paths.push(agent);
        }
        for name in ["DBUS_SESSION_BUS_ADDRESS", "CONTAINER_HOST", "DOCKER_HOST"] {
            if let Ok(value) = std::env::var(name) {
                paths.extend(socket_paths(&value));
            }
        }
        if let (Some(runtime), Some(wayland)) = (var("XDG_RUNTIME_DIR"), var("WAYLAND_DISPLAY")) {
            paths.push(runtime.join(wayland));
        }
        HostSockets(paths)
    }

    pub fn new(paths: Vec<PathBuf>) -> HostSockets {
        HostSockets(paths)
    }

    /// The socket (or socket folder) that `path` is, lies in, or holds.
    fn touched_by(&self, path: &Path) -> Option<&Path> {
        self.0.iter().map(PathBuf::as_path).find(|socket| {
            let resolved = std::fs::canonicalize(socket).ok();
            [Some(*socket), resolved.as_deref()]
                .into_iter()
                .flatten()
                .any(|s| s.starts_with(path) || path.starts_with(s))
        })
    }
}

/// The paths of `unix:` addresses in a D-Bus address list or a
/// `unix://` URL.
fn socket_paths(address: &str) -> Vec<PathBuf> {
    if let Some(path) = address.strip_prefix("unix://") {
        return vec![PathBuf::from(path)];
    }
    address
        .split(';')
        .filter_map(|one| one.strip_prefix("unix:"))
        .flat_map(|params| params.split(','))
        .filter_map(|param| param.strip_prefix("path="))
        .map(PathBuf::from)
        .collect()
}

/// Resolves every mount of a definition, refusing those that can never be
/// made. Relative sources are the project's; `~/` is `home`.
pub fn resolve(
    project: &Project,
    mounts: &[Mount],
    home: &Path,
    sockets: &HostSockets,
) -> Result<Vec<ResolvedMount>, MountError> {
    mounts
        .iter()
        .enumerate()
        .map(|(index, mount)| resolve_one(index, project, mount, home, sockets))
        .collect()
}

fn resolve_one(
    index: usize,
    project: &Project,
    mount: &Mount,
    home: &Path,
    sockets: &HostSockets,
) -> Result<ResolvedMount, MountError> {
    let written = match mount.source.strip_prefix("~/") {
        Some(rest) => home.join(rest),
        None => project.root().join(&mount.source),
    };
    let source = std::fs::canonicalize(&written).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => MountError::NotFound {
            index,
            path: written.clone(),
        },
        _ => MountError::Io {
            index,
            path: written.clone(),
            source,
        },
    })?;
    let meta = std::fs::metadata(&source).map_err(|error| MountError::Io {
        index,
        path: source.clone(),
        source: error,
    })?;
    let pin = Pin::of(&source).map_err(|error| MountError::Io {
        index,
        path: source.clone(),
        source: error,
    })?;
    if meta.file_type().is_socket() {
        return Err(MountError::Socket {
            index,
            path: source,
        });
    }
    let inside_project = source.starts_with(project.root());
    if !inside_project {
        check_location(&source, home).map_err(|reason| MountError::Refused { index, reason })?;
    }
    if let Some(socket) = sockets.touched_by(&source) {
        return Err(MountError::HostSocket {
            index,
            path: source.clone(),
            socket: socket.to_owned(),
        });
    }
    let definition = project.sandbox_dir();
    if !mount.read_only && (definition.starts_with(&source) || source.starts_with(&definition)) {
        return Err(MountError::WritableDefinition {
            index,
            path: source,
        });
    }
    Ok(ResolvedMount {
        source,
        target: mount.target.clone(),
        read_only: mount.read_only,
        inside_project,
        pin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_addresses_give_their_paths() {
        assert_eq!(
            socket_paths("unix:path=/run/user/1000/bus,guid=abc"),
            vec![PathBuf::from("/run/user/1000/bus")]
        );
        assert_eq!(
            socket_paths("unix:abstract=/tmp/x;unix:path=/a/b"),
            vec![PathBuf::from("/a/b")]
        );
        assert_eq!(
            socket_paths("unix:///run/user/1000/podman/podman.sock"),
            vec![PathBuf::from("/run/user/1000/podman/podman.sock")]
        );
        assert!(socket_paths("tcp:host=x,port=1").is_empty());
    }

    #[test]
    fn a_socket_folder_is_touched_from_above_and_below() {
        let sockets = HostSockets::new(vec![PathBuf::from("/nonexistent/run/user/1000")]);
        for touching in [
            "/nonexistent/run",
            "/nonexistent/run/user/1000",
            "/nonexistent/run/user/1000/bus",
        ] {
            assert!(
                sockets.touched_by(Path::new(touching)).is_some(),
                "{touching}"
            );
        }
        assert!(
            sockets
                .touched_by(Path::new("/nonexistent/run/user/1001"))
                .is_none()
        );
    }
}
