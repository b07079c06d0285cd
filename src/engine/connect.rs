//! Finding podman's API socket and checking that something answers there.

use std::path::{Path, PathBuf};

use crate::raw::Raw;
use crate::{Engine, Error, Result};

/// Where podman listens: `CONTAINER_HOST` when set, else the user's default socket.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Endpoint {
    container_host: Option<String>,
    socket: Option<PathBuf>,
}

impl Endpoint {
    fn from_env(container_host: Option<String>, runtime_dir: Option<PathBuf>) -> Result<Self> {
        let container_host = container_host.filter(|host| !host.is_empty());
        let socket = match &container_host {
            Some(host) => Some(unix_socket_path(host)?),
            None => runtime_dir.map(|dir| dir.join("podman").join("podman.sock")),
        };
        Ok(Endpoint {
            container_host,
            socket,
        })
    }

    fn unreachable(&self, detail: impl Into<String>) -> Error {
        Error::NoSocket {
            container_host: self.container_host.clone(),
            default_socket: self.socket.clone(),
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
        let endpoint = Endpoint::from_env(
            std::env::var("CONTAINER_HOST").ok(),
            std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from),
        )?;
        let Some(socket) = endpoint.socket.clone() else {
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

    /// podman's own version, e.g. "5.4.2".
    pub async fn version(&self) -> Result<String> {
        let version = self.podman.version().await?;
        Ok(version.version.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_host_wins_over_the_default_socket() {
        let endpoint = Endpoint::from_env(
            Some("unix:///tmp/podman.sock".into()),
            Some("/run/user/1000".into()),
        )
        .unwrap();
        assert_eq!(endpoint.socket, Some(PathBuf::from("/tmp/podman.sock")));
    }

    #[test]
    fn without_container_host_the_user_socket_is_used() {
        let endpoint = Endpoint::from_env(None, Some("/run/user/1000".into())).unwrap();
        assert_eq!(
            endpoint.socket,
            Some(PathBuf::from("/run/user/1000/podman/podman.sock"))
        );
        let empty = Endpoint::from_env(Some(String::new()), Some("/run/user/7".into())).unwrap();
        assert_eq!(
            empty.socket,
            Some(PathBuf::from("/run/user/7/podman/podman.sock"))
        );
    }

    #[test]
    fn remote_hosts_are_refused_with_a_message() {
        let err =
            Endpoint::from_env(Some("ssh://core@host/run/podman.sock".into()), None).unwrap_err();
        assert!(matches!(err, Error::UnsupportedHost(_)));
        assert!(err.to_string().contains("ssh://core@host"));
    }

    #[test]
    fn the_unreachable_error_names_both_places_and_the_fix() {
        let endpoint = Endpoint::from_env(None, Some("/run/user/1000".into())).unwrap();
        let message = endpoint.unreachable("gone").to_string();
        assert!(
            message.contains("/run/user/1000/podman/podman.sock"),
            "{message}"
        );
        assert!(message.contains("CONTAINER_HOST"), "{message}");
        assert!(message.contains(crate::ENABLE_SOCKET), "{message}");
    }
}
