//! Each check as a function from what was found to a [`Check`]: the wording,
//! the verdict and the fix live here, the gathering in `gather`.

use std::path::{Path, PathBuf};

use gettextrs::gettext;

use super::State;
use super::{Action, Check, CheckId, Fix, INSTALL_PODMAN, JOIN_KVM_GROUP, MIN_CRUN, MIN_LIBKRUN};
use crate::systemd::{PODMAN_SOCKET_UNIT, UnitState};
use engine::{ENABLE_SOCKET, HostInfo, INSTALL_KRUN};
use sandbox::render::KRUN_VM_FILE;
use sandbox::version::{self, at_least, parse};

/// What became of connecting to podman.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Socket {
    Reached {
        socket: PathBuf,
        podman_version: String,
    },
    Unreachable {
        /// Where Paddock looked: CONTAINER_HOST or the default socket.
        place: String,
        detail: String,
        /// `Some(false)` when no `podman` command is on PATH; `None` inside a
        /// Flatpak, where podman lives outside the sandbox.
        podman_installed: Option<bool>,
        /// The default socket (not a CONTAINER_HOST elsewhere) was tried, so
        /// `podman.socket` is what would make it listen.
        default_socket: bool,
        /// systemd's view of podman.socket, `Err` when it could not be asked.
        unit: Result<UnitState, String>,
    },
}

fn check(id: CheckId, title: String, state: State, found: String, fix: Option<Fix>) -> Check {
    Check {
        id,
        title,
        state,
        found,
        fix,
    }
}

fn fix(text: String, command: Option<&str>, action: Option<Action>) -> Option<Fix> {
    Some(Fix {
        text,
        command: command.map(str::to_owned),
        action,
    })
}

pub(super) fn podman_socket(socket: &Socket) -> Check {
    let title = gettext("Podman");
    let found_and_fix = match socket {
        Socket::Reached {
            socket,
            podman_version,
        } => {
            return check(
                CheckId::PodmanSocket,
                title,
                State::Ok,
                gettext("podman {version} answers at {socket}")
                    .replace("{version}", podman_version)
                    .replace("{socket}", &socket.display().to_string()),
                None,
            );
        }
        Socket::Unreachable {
            podman_installed: Some(false),
            ..
        } => (
            gettext("podman is not installed (no podman command on PATH)"),
            fix(
                gettext("Install podman and the krun runtime"),
                Some(INSTALL_PODMAN),
                None,
            ),
        ),
        Socket::Unreachable {
            place,
            detail,
            default_socket: false,
            ..
        } => (
            gettext("Nothing answers at {place}: {detail}")
                .replace("{place}", place)
                .replace("{detail}", detail),
            fix(
                gettext(
                    "Start the podman service that CONTAINER_HOST points at, or unset CONTAINER_HOST to use your own podman socket",
                ),
                None,
                None,
            ),
        ),
        Socket::Unreachable {
            place,
            detail,
            unit,
            ..
        } => {
            let nothing = gettext("Nothing answers at {place}: {detail}")
                .replace("{place}", place)
                .replace("{detail}", detail);
            match unit {
                Ok(UnitState::Inactive(state)) => (
                    format!(
                        "{nothing}. {}",
                        gettext("The user unit {unit} is {state}.")
                            .replace("{unit}", PODMAN_SOCKET_UNIT)
                            .replace("{state}", state)
                    ),
                    fix(
                        gettext("Enable and start podman's API socket"),
                        Some(ENABLE_SOCKET),
                        Some(Action::StartPodmanSocket),
                    ),
                ),
                Ok(UnitState::Active) => (
                    format!(
                        "{nothing}. {}",
                        gettext("The user unit {unit} is active, yet podman does not answer.")
                            .replace("{unit}", PODMAN_SOCKET_UNIT)
                    ),
                    fix(
                        gettext("Restart podman's API socket"),
                        Some("systemctl --user restart podman.socket"),
                        None,
                    ),
                ),
                Ok(UnitState::NotFound) => (
                    format!(
                        "{nothing}. {}",
                        gettext("systemd knows no user unit {unit}.")
                            .replace("{unit}", PODMAN_SOCKET_UNIT)
                    ),
                    fix(
                        gettext("Install podman (it brings the podman.socket unit)"),
                        Some(INSTALL_PODMAN),
                        None,
                    ),
                ),
                Err(reason) => (
                    format!(
                        "{nothing}. {}",
                        gettext(
                            "systemd's user manager could not be asked about {unit} ({reason})."
                        )
                        .replace("{unit}", PODMAN_SOCKET_UNIT)
                        .replace("{reason}", reason)
                    ),
                    fix(
                        gettext("Enable and start podman's API socket"),
                        Some(ENABLE_SOCKET),
                        None,
                    ),
                ),
            }
        }
    };
    let (found, fix) = found_and_fix;
    check(CheckId::PodmanSocket, title, State::Blocking, found, fix)
}

/// The checks that ask podman, when podman could not be asked.
pub(super) fn podman_unasked(reason: &str) -> Vec<Check> {
    let found = gettext("Not checked: {reason}").replace("{reason}", reason);
    [
        (CheckId::Rootless, rootless_title()),
        (CheckId::KrunRuntime, krun_title()),
        (CheckId::CrunVersion, crun_title()),
        (CheckId::Cgroups, cgroups_title()),
    ]
    .into_iter()
    .map(|(id, title)| check(id, title, State::NotChecked, found.clone(), None))
    .collect()
}

fn rootless_title() -> String {
    gettext("Runs as You")
}

pub(super) fn rootless(info: &HostInfo) -> Check {
    if info.rootless {
        return check(
            CheckId::Rootless,
            rootless_title(),
            State::Ok,
            gettext("podman runs rootless, as you"),
            None,
        );
    }
    check(
        CheckId::Rootless,
        rootless_title(),
        State::Blocking,
        gettext(
            "podman runs as root: Paddock maps a sandbox's files to your user, which only rootless podman can do",
        ),
        fix(
            gettext(
                "Use your own user's podman socket (and unset CONTAINER_HOST if it points at root's)",
            ),
            Some(ENABLE_SOCKET),
            None,
        ),
    )
}

fn krun_title() -> String {
    gettext("Virtual Machines")
}

fn runtime_description(info: &HostInfo) -> String {
    let version = info.crun_version.as_deref().unwrap_or("");
    let name = if version.is_empty() {
        info.runtime_name.clone()
    } else {
        format!("{} {version}", info.runtime_name)
    };
    gettext("{runtime} at {path}")
        .replace("{runtime}", &name)
        .replace("{path}", &info.runtime_path)
}

pub(super) fn krun(info: &HostInfo) -> Check {
    let runtime = runtime_description(info);
    if info.krun_available {
        return check(
            CheckId::KrunRuntime,
            krun_title(),
            State::Ok,
            gettext("{runtime} is built with libkrun. The first run of a sandbox confirms that it really starts a microVM.")
                .replace("{runtime}", &runtime),
            None,
        );
    }
    check(
        CheckId::KrunRuntime,
        krun_title(),
        State::Blocking,
        gettext("podman's runtime, {runtime}, is built without libkrun: a microVM sandbox would silently run as a plain container")
            .replace("{runtime}", &runtime),
        fix(
            gettext("Install crun with libkrun"),
            Some(INSTALL_KRUN),
            None,
        ),
    )
}

fn crun_title() -> String {
    gettext("Container Runtime")
}

pub(super) fn crun_version(info: &HostInfo) -> Check {
    let Some(crun) = info.crun_version.as_deref() else {
        return check(
            CheckId::CrunVersion,
            crun_title(),
            State::NotChecked,
            gettext("podman's runtime is {runtime}, not crun")
                .replace("{runtime}", &info.runtime_name),
            None,
        );
    };
    match at_least(crun, MIN_CRUN) {
        Some(true) => check(
            CheckId::CrunVersion,
            crun_title(),
            State::Ok,
            gettext("crun {version}: a microVM gets the CPUs and memory set for the project")
                .replace("{version}", crun),
            None,
        ),
        Some(false) => check(
            CheckId::CrunVersion,
            crun_title(),
            State::Warning,
            gettext("crun {version} is older than {minimum} and ignores the CPU and memory annotations, so Paddock writes a project's CPUs and memory into its sandbox image instead ({file}): changing them rebuilds the image")
                .replace("{version}", crun)
                .replace("{minimum}", MIN_CRUN)
                .replace("{file}", KRUN_VM_FILE),
            fix(
                gettext("Update crun to {minimum} or newer, so that changing CPUs or memory no longer rebuilds the image").replace("{minimum}", MIN_CRUN),
                Some("sudo dnf upgrade crun crun-krun"),
                None,
            ),
        ),
        None => check(
            CheckId::CrunVersion,
            crun_title(),
            State::NotChecked,
            gettext("crun reports a version Paddock cannot read: {version}")
                .replace("{version}", crun),
            None,
        ),
    }
}

fn libkrun_title() -> String {
    gettext("Virtual Machine Library")
}

/// The newest `libkrun.so.X.Y.Z` in `dirs`, as "X.Y.Z".
pub(super) fn find_libkrun(dirs: &[PathBuf]) -> Option<String> {
    let mut best: Option<Vec<u32>> = None;
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(found) = name
                .to_str()
                .and_then(|name| name.strip_prefix("libkrun.so."))
                .and_then(parse)
            else {
                continue;
            };
            // libkrun.so.1 alone is the soname link; only a full version counts.
            if found.len() < 2 {
                continue;
            }
            if best
                .as_ref()
                .is_none_or(|best| version::compare(&found, best).is_gt())
            {
                best = Some(found);
            }
        }
    }
    best.map(|parts| {
        parts
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(".")
    })
}

pub(super) fn libkrun(found: Option<&str>, dirs: &[PathBuf]) -> Check {
    let Some(version) = found else {
        let looked: Vec<String> = dirs.iter().map(|dir| dir.display().to_string()).collect();
        return check(
            CheckId::LibkrunVersion,
            libkrun_title(),
            State::NotChecked,
            gettext("libkrun's version could not be found out (no libkrun.so.* in {dirs})")
                .replace("{dirs}", &looked.join(", ")),
            None,
        );
    };
    if at_least(version, MIN_LIBKRUN) == Some(false) {
        return check(
            CheckId::LibkrunVersion,
            libkrun_title(),
            State::Warning,
            gettext("libkrun {version} is older than {minimum}: it turns Enter into a line feed, which agents' terminal interfaces do not take as Enter")
                .replace("{version}", version)
                .replace("{minimum}", MIN_LIBKRUN),
            fix(
                gettext("Update libkrun to {minimum} or newer").replace("{minimum}", MIN_LIBKRUN),
                Some("sudo dnf upgrade libkrun"),
                None,
            ),
        );
    }
    check(
        CheckId::LibkrunVersion,
        libkrun_title(),
        State::Ok,
        gettext("libkrun {version}").replace("{version}", version),
        None,
    )
}

fn cgroups_title() -> String {
    gettext("Resource Limits")
}

pub(super) fn cgroups(info: &HostInfo) -> Check {
    match info.cgroups_version.as_str() {
        "v2" => check(
            CheckId::Cgroups,
            cgroups_title(),
            State::Ok,
            gettext("The system uses cgroups v2"),
            None,
        ),
        "v1" => check(
            CheckId::Cgroups,
            cgroups_title(),
            State::Warning,
            gettext(
                "The system uses cgroups v1: sandboxes run, but podman has deprecated v1 and limits are enforced less reliably",
            ),
            fix(
                gettext("Switch to cgroups v2 (Fedora's default), then restart the computer"),
                Some("sudo grubby --update-kernel=ALL --args=systemd.unified_cgroup_hierarchy=1"),
                None,
            ),
        ),
        other => check(
            CheckId::Cgroups,
            cgroups_title(),
            State::NotChecked,
            gettext("podman reports no cgroups version Paddock knows ({version})")
                .replace("{version}", other),
            None,
        ),
    }
}

pub(super) fn kvm(device: &Path) -> Check {
    let title = gettext("Hardware Virtualization");
    let path = device.display().to_string();
    if !device.exists() {
        return check(
            CheckId::Kvm,
            title,
            State::Blocking,
            gettext("{path} does not exist: this computer offers no hardware virtualization to microVMs")
                .replace("{path}", &path),
            fix(
                gettext("Turn on virtualization (VT-x or AMD-V) in the firmware settings, or nested virtualization if this is itself a virtual machine"),
                None,
                None,
            ),
        );
    }
    let access = rustix::fs::Access::READ_OK | rustix::fs::Access::WRITE_OK;
    match rustix::fs::access(device, access) {
        Ok(()) => check(
            CheckId::Kvm,
            title,
            State::Ok,
            gettext("{path} is there and you can use it").replace("{path}", &path),
            None,
        ),
        Err(err) => check(
            CheckId::Kvm,
            title,
            State::Blocking,
            gettext("{path} is there, but you cannot read and write it ({error})")
                .replace("{path}", &path)
                .replace(
                    "{error}",
                    &sandbox::messages::os_error(&std::io::Error::from(err)),
                ),
            fix(
                gettext("Add yourself to the kvm group, then log out and back in"),
                Some(JOIN_KVM_GROUP),
                None,
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(version: &str, krun: bool, rootless: bool, cgroups: &str) -> HostInfo {
        HostInfo {
            podman_version: "5.4.2".into(),
            rootless,
            runtime_name: "crun".into(),
            runtime_path: "/usr/bin/crun".into(),
            runtime_version: format!("crun version {version}"),
            crun_version: Some(version.into()),
            krun_available: krun,
            cgroups_version: cgroups.into(),
            kernel: "6.14.0".into(),
        }
    }

    #[test]
    fn crun_without_libkrun_blocks_with_the_install_line() {
        let check = krun(&host("1.21", false, true, "v2"));
        assert_eq!(check.state, State::Blocking);
        assert!(
            check.found.contains("crun 1.21 at /usr/bin/crun"),
            "{}",
            check.found
        );
        assert_eq!(check.fix.unwrap().command.as_deref(), Some(INSTALL_KRUN));
        assert_eq!(krun(&host("1.27", true, true, "v2")).state, State::Ok);
    }

    #[test]
    fn old_crun_says_that_the_size_goes_into_the_image() {
        let check = crun_version(&host("1.21", true, true, "v2"));
        assert_eq!(check.state, State::Warning);
        assert!(
            check.found.contains("crun 1.21 is older than 1.27")
                && check
                    .found
                    .contains("into its sandbox image instead (/.krun_vm.json)"),
            "{}",
            check.found
        );
        assert!(!check.found.contains("1 vCPU"), "{}", check.found);
        assert_eq!(
            crun_version(&host("1.27", true, true, "v2")).state,
            State::Ok
        );
        let mut runc = host("1.1", false, true, "v2");
        runc.runtime_name = "runc".into();
        runc.crun_version = None;
        assert_eq!(crun_version(&runc).state, State::NotChecked);
    }

    #[test]
    fn rootful_podman_blocks_and_cgroups_v1_warns() {
        assert_eq!(
            rootless(&host("1.27", true, false, "v2")).state,
            State::Blocking
        );
        assert_eq!(rootless(&host("1.27", true, true, "v2")).state, State::Ok);
        assert_eq!(
            cgroups(&host("1.27", true, true, "v1")).state,
            State::Warning
        );
        assert_eq!(cgroups(&host("1.27", true, true, "v2")).state, State::Ok);
        assert_eq!(
            cgroups(&host("1.27", true, true, "")).state,
            State::NotChecked
        );
    }

    #[test]
    fn libkrun_is_read_from_the_newest_versioned_library_file() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "libkrun.so.1",
            "libkrun.so.1.9.8",
            "libkrun.so.1.17.3",
            "libkrun-sev.so.1.20.0",
        ] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        let dirs = vec![dir.path().join("missing"), dir.path().to_owned()];
        let found = find_libkrun(&dirs);
        assert_eq!(found.as_deref(), Some("1.17.3"));
        let check = libkrun(found.as_deref(), &dirs);
        assert_eq!(check.state, State::Warning);
        assert!(check.found.contains("Enter"), "{}", check.found);
        assert_eq!(libkrun(Some("1.19.0"), &dirs).state, State::Ok);
        let unknown = libkrun(find_libkrun(&dirs[..1]).as_deref(), &dirs[..1]);
        assert_eq!(unknown.state, State::NotChecked);
        assert!(unknown.found.contains("missing"), "{}", unknown.found);
    }

    #[test]
    fn an_inactive_socket_unit_offers_to_start_it() {
        let socket = Socket::Unreachable {
            place: "/run/user/1000/podman/podman.sock".into(),
            detail: "the socket does not exist".into(),
            podman_installed: Some(true),
            default_socket: true,
            unit: Ok(UnitState::Inactive("inactive".into())),
        };
        let check = podman_socket(&socket);
        assert_eq!(check.state, State::Blocking);
        let fix = check.fix.unwrap();
        assert_eq!(fix.action, Some(Action::StartPodmanSocket));
        assert_eq!(fix.command.as_deref(), Some(ENABLE_SOCKET));
    }

    #[test]
    fn a_dead_container_host_is_not_fixed_by_starting_the_default_socket() {
        let socket = Socket::Unreachable {
            place: "unix:///tmp/dead.sock".into(),
            detail: "the socket does not exist".into(),
            podman_installed: Some(true),
            default_socket: false,
            unit: Ok(UnitState::Inactive("inactive".into())),
        };
        let check = podman_socket(&socket);
        assert_eq!(check.state, State::Blocking);
        assert!(check.found.contains("unix:///tmp/dead.sock"));
        assert_eq!(check.fix.unwrap().action, None);
    }
}
