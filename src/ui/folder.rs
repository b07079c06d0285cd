//! Getting a project folder from the user: the portal's folder chooser, and
//! the checks every folder passes before it becomes a project.

use std::path::{Path, PathBuf};

use ashpd::desktop::file_chooser::SelectedFiles;
use gettextrs::gettext;
use gtk::prelude::*;

use sandbox::messages::tr;
use sandbox::project::Project;

/// Asks the desktop's file chooser portal for one folder. `Ok(None)` when the
/// user cancelled.
pub async fn choose() -> Result<Option<PathBuf>, String> {
    let request = SelectedFiles::open_file()
        .title(gettext("Add Project").as_str())
        .accept_label(gettext("_Add").as_str())
        .directory(true)
        .modal(true)
        .send()
        .await
        .map_err(|error| portal_error(&error))?;
    let files = match request.response() {
        Ok(files) => files,
        Err(ashpd::Error::Response(ashpd::desktop::ResponseError::Cancelled)) => return Ok(None),
        Err(error) => return Err(portal_error(&error)),
    };
    let Some(uri) = files.uris().first() else {
        return Ok(None);
    };
    let url = gtk::gio::File::for_uri(uri.as_str());
    url.path().map(Some).ok_or_else(|| {
        tr(
            "The chosen location {uri} is not a local folder",
            &[("uri", &uri.as_str())],
        )
    })
}

fn portal_error(error: &ashpd::Error) -> String {
    tr(
        "The folder chooser could not be opened ({error}). Drop the folder on the window instead, or run “paddock open FOLDER” in a terminal.",
        &[("error", error)],
    )
}

/// The folder as a project (absolute, symlinks resolved), or why it cannot
/// be one (the home folder, a system folder, a folder holding SSH keys...).
pub fn accept(path: &Path) -> Result<Project, String> {
    Project::open(path, &gtk::glib::home_dir()).map_err(|error| error.to_string())
}
