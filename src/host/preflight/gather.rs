//! Asks podman, systemd and the file system, and turns the answers into a report.

use std::path::Path;
use std::time::Duration;

use gettextrs::gettext;

use super::checks::{self, Socket};
use super::{Probe, Report};
use crate::systemd::{PODMAN_SOCKET_UNIT, UserManager};
use engine::{self, Endpoint, Engine};

/// How long systemd's user manager gets to answer before the check says so.
const BUS_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs every check.
pub async fn run(probe: &Probe) -> Report {
    let mut checks = Vec::new();
    match Engine::connect().await {
        Ok(engine) => match engine.info().await {
            Ok(info) => {
                checks.push(checks::podman_socket(&Socket::Reached {
                    socket: engine.socket().to_owned(),
                    podman_version: info.podman_version.clone(),
                }));
                checks.push(checks::rootless(&info));
                checks.push(checks::krun(&info));
                checks.push(checks::crun_version(&info));
                checks.push(checks::cgroups(&info));
            }
            Err(err) => {
                checks.push(checks::podman_socket(&unreachable(err.to_string()).await));
                checks.extend(checks::podman_unasked(&gettext(
                    "podman did not answer the question",
                )));
            }
        },
        Err(err) => {
            let detail = engine_detail(err);
            checks.push(checks::podman_socket(&unreachable(detail).await));
            checks.extend(checks::podman_unasked(&gettext("podman does not answer")));
        }
    }
    // These look at the host itself and need no podman.
    checks.push(checks::kvm(&probe.kvm_device));
    let libkrun = checks::find_libkrun(&probe.library_dirs);
    checks.push(checks::libkrun(libkrun.as_deref(), &probe.library_dirs));
    checks.push(super::self_test::last(crate::selftest::load().as_ref()));
    sort(&mut checks);
    Report { checks }
}

/// What went wrong connecting, without the engine's advice (the check gives its own).
pub(super) fn engine_detail(err: engine::Error) -> String {
    match err {
        engine::Error::NoSocket { detail, .. } => detail,
        other => other.to_string(),
    }
}

/// The report's order: the socket, then what decides between microVM and nothing.
fn sort(checks: &mut [super::Check]) {
    use super::CheckId::*;
    let order = [
        PodmanSocket,
        Rootless,
        KrunRuntime,
        Kvm,
        CrunVersion,
        LibkrunVersion,
        Cgroups,
        SelfTest,
    ];
    checks.sort_by_key(|check| order.iter().position(|id| *id == check.id));
}

/// Where Paddock looked for podman, in words.
fn place(endpoint: &Endpoint) -> String {
    match (endpoint.container_host(), endpoint.user_socket()) {
        (Some(host), _) => host.to_owned(),
        (None, Some(socket)) => socket.display().to_string(),
        (None, None) => gettext("the default podman socket (XDG_RUNTIME_DIR is not set)"),
    }
}

async fn unreachable(detail: String) -> Socket {
    let endpoint = Endpoint::from_env();
    let default_socket = endpoint.is_user_socket();
    let unit = if default_socket {
        podman_socket_unit().await
    } else {
        Err(String::new())
    };
    Socket::Unreachable {
        place: place(&endpoint),
        detail,
        podman_installed: podman_installed(),
        default_socket,
        unit,
    }
}

async fn podman_socket_unit() -> Result<crate::systemd::UnitState, String> {
    let ask = async {
        let bus = zbus::Connection::session()
            .await
            .map_err(|err| err.to_string())?;
        UserManager::new(bus)
            .unit_state(PODMAN_SOCKET_UNIT)
            .await
            .map_err(|err| err.to_string())
    };
    tokio::time::timeout(BUS_TIMEOUT, ask)
        .await
        .unwrap_or_else(|_| Err(gettext("no answer on the session bus")))
}

/// Whether a `podman` command is on PATH; unknowable inside a Flatpak.
fn podman_installed() -> Option<bool> {
    if Path::new("/.flatpak-info").exists() {
        return None;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    Some(std::env::split_paths(&path).any(|dir| {
        let candidate = dir.join("podman");
        rustix::fs::access(&candidate, rustix::fs::Access::EXEC_OK).is_ok()
    }))
}
