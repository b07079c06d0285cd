//! A project's state in a word, as its sidebar row's badge shows it: derived
//! by the project page from the same state as everything else it shows
//! (`pages::project::look`), so that the sidebar never disagrees with it.

use gettextrs::gettext;

use sandbox::exit::{ExitKind, code_detail};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectStatus {
    NotBuilt,
    Building,
    Cancelling,
    BuildFailed,
    Built,
    Starting,
    Running,
    Stopping,
    /// Stopped by the user: neutral, whatever code podman's stop left.
    Stopped,
    Exited(i64),
}

impl ProjectStatus {
    pub fn label(&self) -> String {
        match self {
            ProjectStatus::NotBuilt => gettext("Not built"),
            ProjectStatus::Building => gettext("Building…"),
            ProjectStatus::Cancelling => gettext("Cancelling…"),
            ProjectStatus::BuildFailed => gettext("Build failed"),
            ProjectStatus::Built => gettext("Built"),
            ProjectStatus::Starting => gettext("Starting…"),
            ProjectStatus::Running => gettext("Running"),
            ProjectStatus::Stopping => gettext("Stopping…"),
            ProjectStatus::Stopped => gettext("Stopped"),
            ProjectStatus::Exited(code) => ExitKind::of(*code).label(),
        }
    }

    /// What the badge's tooltip adds: the exit code behind the words.
    pub fn detail(&self) -> Option<String> {
        match self {
            ProjectStatus::Exited(code) => Some(code_detail(*code)),
            _ => None,
        }
    }

    /// The badge's colour, as a style class.
    pub fn tone(&self) -> &'static str {
        match self {
            ProjectStatus::Building
            | ProjectStatus::Cancelling
            | ProjectStatus::Starting
            | ProjectStatus::Stopping => "accent",
            ProjectStatus::Running => "success",
            ProjectStatus::BuildFailed => "error",
            ProjectStatus::Exited(code) if !ExitKind::of(*code).is_success() => "error",
            _ => "neutral",
        }
    }

    /// Something is under way: the badge has a spinner.
    pub fn busy(&self) -> bool {
        matches!(
            self,
            ProjectStatus::Building
                | ProjectStatus::Cancelling
                | ProjectStatus::Starting
                | ProjectStatus::Stopping
        )
    }
}
