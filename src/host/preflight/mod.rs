//! Can this machine run sandboxes, and if not, what is the next step?
//!
//! One model for both front ends: `paddock doctor` prints a [`Report`], the app
//! shows it as a banner and a "System check" view. Each [`Check`] says what was
//! found and, when something is wrong, the [`Fix`]: a command to copy and/or an
//! [`Action`] Paddock performs itself ([`perform`]).
//!
//! The krun check reads podman's runtime, which proves only that crun was built
//! with libkrun; libkrun itself is loaded when a VM starts. The isolation verdict
//! of the first real run is the final word.

mod action;
mod checks;
mod gather;
mod probe;
mod self_test;

use serde::Serialize;

pub use action::{ActionError, perform};
pub use gather::run;
pub use probe::Probe;
pub use self_test::RUN_SELF_TEST;

pub use sandbox::host_facts::MIN_CRUN;
/// The lowest libkrun that passes Enter through to a TUI as CR rather than LF.
pub const MIN_LIBKRUN: &str = "1.18";
/// Installs podman and the krun runtime on Fedora.
pub const INSTALL_PODMAN: &str = "sudo dnf install podman crun-krun";
/// Gives the user access to /dev/kvm (effective after logging in again).
pub const JOIN_KVM_GROUP: &str = "sudo usermod -aG kvm $USER";

/// Which check this is; stable, for code and `paddock doctor --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    PodmanSocket,
    Rootless,
    KrunRuntime,
    Kvm,
    CrunVersion,
    LibkrunVersion,
    Cgroups,
    SelfTest,
}

/// How a check came out, from harmless to stopping every run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Ok,
    /// The check could not be made (podman did not answer, or the fact cannot
    /// be found out on this system); nothing is claimed either way.
    NotChecked,
    /// Sandboxes run, but something works worse than it should.
    Warning,
    /// No microVM sandbox can run until this is fixed.
    Blocking,
}

/// Something Paddock can do itself to fix a check (a button in the app,
/// `paddock doctor --fix` in the terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Enable and start the user unit `podman.socket` through systemd's user
    /// manager (D-Bus), then wait until podman answers.
    StartPodmanSocket,
}

impl Action {
    /// A short label for a button.
    pub fn label(self) -> String {
        match self {
            Action::StartPodmanSocket => gettextrs::gettext("Start Podman"),
        }
    }
}

/// How to get from a warning or blocking state to ok.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// What to do, as a sentence.
    pub text: String,
    /// A command the user can copy into a terminal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// What Paddock can do about it itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
}

/// One line of the system check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub id: CheckId,
    pub title: String,
    pub state: State,
    /// What was found, in a sentence.
    pub found: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

/// Every check, in a fixed order: the socket first, since most others ask podman.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether anything stops microVM sandboxes from running.
    pub fn is_blocking(&self) -> bool {
        self.checks
            .iter()
            .any(|check| check.state == State::Blocking)
    }

    pub fn get(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|check| check.id == id)
    }

    /// The checks in `state`.
    pub fn in_state(&self, state: State) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(move |check| check.state == state)
    }

    /// The actions Paddock could perform to fix what is wrong, each once.
    pub fn actions(&self) -> Vec<Action> {
        let mut actions = Vec::new();
        for action in self
            .checks
            .iter()
            .filter_map(|check| check.fix.as_ref()?.action)
        {
            if !actions.contains(&action) {
                actions.push(action);
            }
        }
        actions
    }
}
