//! Getting a project folder from the user: the portal's folder chooser, and
//! the checks every folder passes before it becomes a project.

use std::path::{Path, PathBuf};

use ashpd::desktop::file_chooser::SelectedFiles;
use gettextrs::gettext;
use gtk::prelude::*;

use sandbox::messages::tr;
use sandbox::project::{Project, ProjectError};

/// Why the file chooser gave no folder.
#[derive(Debug)]
pub enum ChooseError {
    /// The portal could not be asked, or failed.
    Portal(ashpd::Error),
    /// What was chosen is not a local folder (its URI).
    NotLocal(String),
}

impl std::fmt::Display for ChooseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            ChooseError::Portal(error) => tr(
                "The folder chooser could not be opened ({error}). Drop the folder on the window instead, or run “paddock open FOLDER” in a terminal.",
                &[("error", error)],
            ),
            ChooseError::NotLocal(uri) => tr(
                "The chosen location {uri} is not a local folder",
                &[("uri", uri)],
            ),
        };
        f.write_str(&text)
    }
}

/// Asks the desktop's file chooser portal for one folder. `Ok(None)` when the
/// user cancelled.
pub async fn choose() -> Result<Option<PathBuf>, ChooseError> {
    let request = SelectedFiles::open_file()
        .title(gettext("Add Project").as_str())
        .accept_label(gettext("_Add").as_str())
        .directory(true)
        .modal(true)
        .send()
        .await
        .map_err(ChooseError::Portal)?;
    let files = match request.response() {
        Ok(files) => files,
        Err(ashpd::Error::Response(ashpd::desktop::ResponseError::Cancelled)) => return Ok(None),
        Err(error) => return Err(ChooseError::Portal(error)),
    };
    let Some(uri) = files.uris().first() else {
        return Ok(None);
    };
    let url = gtk::gio::File::for_uri(uri.as_str());
    url.path()
        .map(Some)
        .ok_or_else(|| ChooseError::NotLocal(uri.to_string()))
}

/// The folder as a project (absolute, symlinks resolved), or why it cannot
/// be one (the home folder, a system folder, a folder holding SSH keys...).
pub fn accept(path: &Path) -> Result<Project, ProjectError> {
    Project::open(path, &gtk::glib::home_dir())
}
