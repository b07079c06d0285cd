//! The self-test: proves the isolation on this computer by starting
//! throw-away sandboxes through the same launcher as a real project and
//! looking, from the host and from inside, at what they got.
//!
//! Each check is passed, failed or not applicable, with what was measured.
//! The last result is kept per computer (`$XDG_DATA_HOME/paddock/selftest.json`)
//! with the versions it was measured on, for System Check, `paddock doctor`
//! and bug reports.

mod image;
mod probe;
mod run;
mod store;

use serde::{Deserialize, Serialize};

use sandbox::messages::tr;

pub use run::{SelfTest, Size};
pub use store::{load, save, store_path};

#[derive(Debug, thiserror::Error)]
pub enum SelfTestError {
    #[error(
        "{}",
        gettextrs::gettext(
            "No statically linked busybox was found on this computer, so Paddock cannot make the self-test's image without a registry; install one (sudo dnf install busybox) and try again"
        )
    )]
    NoBusybox,
    #[error("{}", tr("Could not make the self-test's image: {error}", &[("error", .0)]))]
    Image(std::io::Error),
    #[error("{}", tr("Could not set up the self-test's project: {error}", &[("error", .0)]))]
    Project(std::io::Error),
    #[error(transparent)]
    Launch(#[from] crate::launch::LaunchError),
    #[error(transparent)]
    Engine(#[from] engine::Error),
}

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Passed,
    Failed,
    NotApplicable,
}

/// Which check this is; stable, for code and `--json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    Isolation,
    SizeSmall,
    SizeLarge,
    ProjectMount,
    ReadOnlyMounts,
    Offline,
    EgressGateway,
    FirstLine,
    Exit,
}

/// One line of the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfCheck {
    pub id: CheckId,
    pub title: String,
    pub outcome: Outcome,
    /// What was measured, in a sentence.
    pub measured: String,
    /// What to do about a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// The versions a result was measured on: a change means it is worth
/// running again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Versions {
    pub crun: String,
    pub libkrun: String,
    pub kernel: String,
    pub podman: String,
}

/// A whole self-test run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfTestReport {
    /// When it ran, in seconds since the epoch.
    pub when: u64,
    /// The computer's name.
    pub machine: String,
    pub versions: Versions,
    pub checks: Vec<SelfCheck>,
}

impl SelfTestReport {
    pub fn get(&self, id: CheckId) -> Option<&SelfCheck> {
        self.checks.iter().find(|check| check.id == id)
    }

    /// The isolation check failed: no microVM on this computer.
    pub fn isolation_failed(&self) -> bool {
        self.get(CheckId::Isolation)
            .is_none_or(|check| check.outcome == Outcome::Failed)
    }

    pub fn failed(&self) -> impl Iterator<Item = &SelfCheck> {
        self.checks
            .iter()
            .filter(|check| check.outcome == Outcome::Failed)
    }

    /// The report as plain text, for a bug report ("Copy Report").
    pub fn to_text(&self) -> String {
        let mut out = tr(
            "Paddock self-test on {machine} (crun {crun}, libkrun {libkrun}, kernel {kernel}, podman {podman})\n",
            &[
                ("machine", &self.machine),
                ("crun", &self.versions.crun),
                ("libkrun", &self.versions.libkrun),
                ("kernel", &self.versions.kernel),
                ("podman", &self.versions.podman),
            ],
        );
        for check in &self.checks {
            out.push_str(&format!(
                "{}: {}: {}\n",
                outcome_label(check.outcome),
                check.title,
                check.measured
            ));
            if let Some(fix) = &check.fix {
                out.push_str(&format!("    {}\n", tr("Fix: {fix}", &[("fix", fix)])));
            }
        }
        out
    }
}

pub fn outcome_label(outcome: Outcome) -> String {
    match outcome {
        Outcome::Passed => gettextrs::gettext("passed"),
        Outcome::Failed => gettextrs::gettext("failed"),
        Outcome::NotApplicable => gettextrs::gettext("not applicable"),
    }
}
