//! The state of a project as the sidebar shows it.

use gettextrs::gettext;

use sandbox::messages::tr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectStatus {
    NotBuilt,
    Building,
    BuildFailed,
    Built,
    Running,
    Exited(i64),
}

impl ProjectStatus {
    pub fn label(&self) -> String {
        match self {
            ProjectStatus::NotBuilt => gettext("Not built"),
            ProjectStatus::Building => gettext("Building…"),
            ProjectStatus::BuildFailed => gettext("Build failed"),
            ProjectStatus::Built => gettext("Built"),
            ProjectStatus::Running => gettext("Running"),
            ProjectStatus::Exited(code) => tr("Exited with code {code}", &[("code", code)]),
        }
    }
}
