//! The fixes Paddock performs itself.

use std::fmt;
use std::time::{Duration, Instant};

use gettextrs::gettext;

use super::Action;
use crate::systemd::{PODMAN_SOCKET_UNIT, UserManager};
use engine::{ENABLE_SOCKET, Engine};

/// How long podman gets to answer once systemd has started its socket.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);
const RETRY_EVERY: Duration = Duration::from_millis(200);
const BUS_TIMEOUT: Duration = Duration::from_secs(10);

/// An action that did not fix what it was meant to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionError {
    /// systemd's user manager could not be reached or refused.
    Systemd(String),
    /// systemd did its part, but podman still does not answer.
    NoAnswer(String),
}

impl fmt::Display for ActionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            ActionError::Systemd(detail) => gettext(
                "Paddock could not start podman's socket: {detail}. Run `{command}` in a terminal.",
            )
            .replace("{detail}", detail)
            .replace("{command}", ENABLE_SOCKET),
            ActionError::NoAnswer(detail) => gettext(
                "systemd started {unit}, but podman still does not answer: {detail}. Check `systemctl --user status {unit}`.",
            )
            .replace("{unit}", PODMAN_SOCKET_UNIT)
            .replace("{detail}", detail),
        };
        f.write_str(&text)
    }
}

impl std::error::Error for ActionError {}

/// Performs `action`, and returns once what it fixes works (run the checks
/// again afterwards to show the new state).
pub async fn perform(action: Action) -> Result<(), ActionError> {
    match action {
        Action::StartPodmanSocket => start_podman_socket().await,
    }
}

async fn start_podman_socket() -> Result<(), ActionError> {
    let start = async {
        let bus = zbus::Connection::session()
            .await
            .map_err(|err| ActionError::Systemd(err.to_string()))?;
        UserManager::new(bus)
            .enable_and_start(PODMAN_SOCKET_UNIT)
            .await
            .map_err(|err| ActionError::Systemd(err.to_string()))
    };
    tokio::time::timeout(BUS_TIMEOUT, start)
        .await
        .unwrap_or_else(|_| {
            Err(ActionError::Systemd(gettext(
                "no answer from systemd's user manager on the session bus",
            )))
        })?;
    // Socket activation makes the socket listen before podman itself runs;
    // retry until podman answers through it.
    let deadline = Instant::now() + ANSWER_TIMEOUT;
    loop {
        match Engine::connect().await {
            Ok(_) => return Ok(()),
            Err(err) if Instant::now() >= deadline => {
                return Err(ActionError::NoAnswer(super::gather::engine_detail(err)));
            }
            Err(_) => tokio::time::sleep(RETRY_EVERY).await,
        }
    }
}
