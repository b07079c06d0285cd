//! Getting a project folder from the user: the folder chooser, and
//! the checks every folder passes before it becomes a project.

use std::path::{Path, PathBuf};

use gettextrs::gettext;
use gtk::prelude::*;

use sandbox::messages::tr;
use sandbox::project::{Project, ProjectError};

/// Why the file chooser gave no folder.
#[derive(Debug)]
pub enum ChooseError {
    /// The chooser could not be shown, or failed.
    Dialog(gtk::glib::Error),
    /// What was chosen is not a local folder (its URI).
    NotLocal(String),
}

impl std::fmt::Display for ChooseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            ChooseError::Dialog(error) => tr(
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

/// Asks for one folder, in a chooser that belongs to `parent`: GTK's own
/// dialog goes through the desktop's portal where there is one (a Flatpak)
/// and is a dialog of its own otherwise. `Ok(None)` when the user
/// cancelled.
pub async fn choose(parent: &gtk::Window) -> Result<Option<PathBuf>, ChooseError> {
    let dialog = gtk::FileDialog::builder()
        .title(gettext("Add Project"))
        .accept_label(gettext("_Add"))
        .modal(true)
        .build();
    let folder = match dialog.select_folder_future(Some(parent)).await {
        Ok(folder) => folder,
        Err(error)
            if error.matches(gtk::DialogError::Dismissed)
                || error.matches(gtk::DialogError::Cancelled) =>
        {
            return Ok(None);
        }
        Err(error) => return Err(ChooseError::Dialog(error)),
    };
    folder
        .path()
        .map(Some)
        .ok_or_else(|| ChooseError::NotLocal(folder.uri().to_string()))
}

/// The folder as a project (absolute, symlinks resolved), or why it cannot
/// be one (the home folder, a system folder, a folder holding SSH keys...).
pub fn accept(path: &Path) -> Result<Project, ProjectError> {
    Project::open(path, &gtk::glib::home_dir())
}
