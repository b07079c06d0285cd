//! Finding podman's API socket and checking that something answers there.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::raw::Raw;
use crate::{Engine, Error, Result};

/// Where podman listens: `CONTAINER_HOST` when set, else the user's own socket
/// `$XDG_RUNTIME_DIR/podman/podman.sock`. An empty variable counts as unset,
/// as it does for podman.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    container_host: Option<String>,
    user_socket: Option<PathBuf>,
}

impl Endpoint {
    /// From `CONTAINER_HOST` and `XDG_RUNTIME_DIR`.
    pub fn from_env() -> Endpoint {
        Endpoint::from_vars(
            std::env::var("CONTAINER_HOST").ok(),
            std::env::var_os("XDG_RUNTIME_DIR"),
        )
    }

    fn from_vars(container_host: Option<String>, runtime_dir: Option<OsString>) -> Endpoint {
        Endpoint {
            container_host: container_host.filter(|host| !host.is_empty()),
            user_socket: runtime_dir
                .filter(|dir| !dir.is_empty())
                .map(|dir| PathBuf::from(dir).join("podman").join("podman.sock")),
        }
    }

    /// `CONTAINER_HOST`, when it is set.
    pub fn container_host(&self) -> Option<&str> {
        self.container_host.as_deref()
    }

    /// The user's own socket, the one `podman.socket` makes listen; `None`
    /// without `XDG_RUNTIME_DIR`.
    pub fn user_socket(&self) -> Option<&Path> {
        self.user_socket.as_deref()
    }

    /// The socket to connect to, `None` when there is none to try. A
    /// `CONTAINER_HOST` that is not a local unix socket is an error.
    pub fn socket(&self) -> Result<Option<PathBuf>> {
        match &self.container_host {
            Some(host) => unix_socket_path(host).map(Some),
            None => Ok(self.user_socket.clone()),
        }
    }

    /// Whether the socket to connect to is the user's own (so that starting
    /// `podman.socket` is what would make it answer).
    pub fn is_user_socket(&self) -> bool {
        match self.socket() {
            Ok(Some(socket)) => self.user_socket.as_deref() == Some(socket.as_path()),
            _ => false,
        }
    }

    fn unreachable(&self, detail: impl Into<String>) -> Error {
        Error::NoSocket {
            container_host: self.container_host.clone(),
            default_socket: self.user_socket.clone(),
            detail: detail.into(),
        }
    }
}

/// `unix:///run/user/1000/podman/podman.sock` -> `/run/user/1000/podman/podman.sock`.
fn unix_socket_path(host: &str) -> Result<PathBuf> {
    let path = host
        .strip_prefix("unix://")
        .or_else(|| host.strip_prefix("unix:"))
        .ok_or_else(|| Error::UnsupportedHost(host.to_owned()))?;
    if !path.starts_with('/') {
        return Err(Error::UnsupportedHost(host.to_owned()));
    }
    Ok(PathBuf::from(path))
}

impl Engine {
    /// Connects to podman (`CONTAINER_HOST`, else `$XDG_RUNTIME_DIR/podman/podman.sock`)
    /// and checks that it answers.
    pub async fn connect() -> Result<Engine> {
        let endpoint = Endpoint::from_env();
        let Some(socket) = endpoint.socket()? else {
            return Err(endpoint.unreachable(gettextrs::gettext("no socket to try")));
        };
        if !socket.exists() {
            return Err(endpoint.unreachable(gettextrs::gettext("the socket does not exist")));
        }
        let engine = Engine::at(&socket);
        engine
            .podman
            .ping()
            .await
            .map_err(|err| endpoint.unreachable(err.to_string()))?;
        Ok(engine)
    }

    fn at(socket: &Path) -> Engine {
        Engine {
            podman: podman_api::Podman::unix(socket),
            raw: Raw::new(socket),
            socket: socket.to_owned(),
            host: Default::default(),
        }
    }

    /// The socket this engine talks to.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Checks that podman still answers.
    pub async fn ping(&self) -> Result<()> {
        self.podman.ping().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(container_host: Option<&str>, runtime_dir: Option<&str>) -> Endpoint {
        Endpoint::from_vars(container_host.map(Into::into), runtime_dir.map(Into::into))
    }

    #[test]
    fn container_host_wins_over_the_default_socket() {
        let endpoint = vars(Some("unix:///tmp/podman.sock"), Some("/run/user/1000"));
        assert_eq!(
            endpoint.socket().unwrap(),
            Some(PathBuf::from("/tmp/podman.sock"))
        );
        assert!(!endpoint.is_user_socket());
        let user = vars(
            Some("unix:/run/user/1000/podman/podman.sock"),
            Some("/run/user/1000"),
        );
        assert!(user.is_user_socket());
    }

    #[test]
    fn without_container_host_the_user_socket_is_used() {
        let user = vars(None, Some("/run/user/1000"));
        assert_eq!(
            user.socket().unwrap(),
            Some(PathBuf::from("/run/user/1000/podman/podman.sock"))
        );
        assert!(user.is_user_socket());
        let empty = vars(Some(""), Some("/run/user/7"));
        assert_eq!(
            empty.socket().unwrap(),
            Some(PathBuf::from("/run/user/7/podman/podman.sock"))
        );
        assert_eq!(empty.container_host(), None);
    }

    #[test]
    fn an_empty_runtime_dir_counts_as_unset() {
        for runtime_dir in [None, Some("")] {
            let endpoint = vars(None, runtime_dir);
            assert_eq!(endpoint.user_socket(), None, "{runtime_dir:?}");
            assert_eq!(endpoint.socket().unwrap(), None, "{runtime_dir:?}");
            assert!(!endpoint.is_user_socket());
        }
    }

    #[test]
    fn remote_hosts_are_refused_with_a_message() {
        let remote = vars(Some("ssh://core@host/run/podman.sock"), None);
        let err = remote.socket().unwrap_err();
        assert!(matches!(err, Error::UnsupportedHost(_)));
        assert!(err.to_string().contains("ssh://core@host"));
        assert!(!remote.is_user_socket());
    }

    #[test]
    fn the_unreachable_error_names_both_places_and_the_fix() {
        let message = vars(None, Some("/run/user/1000"))
            .unreachable("gone")
            .to_string();
        assert!(
            message.contains("/run/user/1000/podman/podman.sock"),
            "{message}"
        );
        assert!(message.contains("CONTAINER_HOST"), "{message}");
        assert!(message.contains(crate::ENABLE_SOCKET), "{message}");
    }
}
