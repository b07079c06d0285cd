//! Why a build, a run or a change of the definition did not happen, as the
//! layer that found out said it: kept typed up to the dialog or label that
//! shows it, so that the window can react to what happened (a cancelled
//! build, a podman that is not there) rather than to its wording.

use std::fmt;

use sandbox::definition::DefinitionErrors;
use sandbox::presets::PresetError;
use sandbox::project::ProjectError;

#[derive(Debug)]
pub enum Error {
    /// podman's side: the connection, a build, the sandbox.
    Engine(engine::Error),
    /// The project folder or its files.
    Project(ProjectError),
    /// The user's own agent presets.
    Presets(PresetError),
    /// The definition is not valid: it names an agent that is not there,
    /// or an edit does not go together with a change made to the file meanwhile.
    Agent(DefinitionErrors),
    /// The launch path: the definition, its approval, the plan.
    Launch(host::launch::LaunchError),
}

impl From<host::launch::LaunchError> for Error {
    fn from(error: host::launch::LaunchError) -> Self {
        Error::Launch(error)
    }
}

impl From<engine::Error> for Error {
    fn from(error: engine::Error) -> Self {
        Error::Engine(error)
    }
}

impl From<ProjectError> for Error {
    fn from(error: ProjectError) -> Self {
        Error::Project(error)
    }
}

impl From<PresetError> for Error {
    fn from(error: PresetError) -> Self {
        Error::Presets(error)
    }
}

impl From<DefinitionErrors> for Error {
    fn from(errors: DefinitionErrors) -> Self {
        Error::Agent(errors)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Engine(error) => error.fmt(f),
            Error::Project(error) => error.fmt(f),
            Error::Presets(error) => error.fmt(f),
            Error::Agent(errors) => errors.fmt(f),
            Error::Launch(error) => error.fmt(f),
        }
    }
}

/// Transparent: it says what the error inside says, so its source is that
/// error's source.
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Engine(error) => error.source(),
            Error::Project(error) => error.source(),
            Error::Presets(error) => error.source(),
            Error::Agent(errors) => errors.source(),
            Error::Launch(error) => error.source(),
        }
    }
}
