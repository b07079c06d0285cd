//! The projects the window lists, most recent first: a small JSON file under
//! the user's data folder. Preferences (window size, terminal zoom and font,
//! resources for new projects) are GSettings' (`ui::settings`); this list is
//! not a preference but the user's data, a list of paths of any length that
//! `gsettings` has no business editing. What a project's last run said (its
//! isolation verdict) is not kept here either: podman keeps it with the
//! sandbox, and the project page reads it back from there.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

const FILE_NAME: &str = "state.json";

/// Files written by earlier versions also hold the window size and zoom,
/// which are ignored (GSettings has them now).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UiState {
    /// Most recently added first. Only paths: removing one forgets it and
    /// never touches the folder.
    pub projects: Vec<PathBuf>,
}

impl UiState {
    /// `$XDG_DATA_HOME/paddock/state.json`.
    pub fn default_path() -> PathBuf {
        gtk::glib::user_data_dir()
            .join(crate::config::GETTEXT_PACKAGE)
            .join(FILE_NAME)
    }

    /// The saved state; a missing file is a fresh start, and so is a
    /// damaged one (the state is a convenience, never worth refusing to
    /// open the window), which is first renamed aside with a timestamp so
    /// that nothing the user had is silently lost: its new path comes back
    /// to be told.
    pub fn load(path: &Path) -> (UiState, Option<PathBuf>) {
        let Ok(bytes) = std::fs::read(path) else {
            return (UiState::default(), None);
        };
        match serde_json::from_slice(&bytes) {
            Ok(state) => (state, None),
            Err(error) => {
                tracing::warn!("{} is damaged: {error}", path.display());
                let stamp = gtk::glib::DateTime::now_utc()
                    .and_then(|now| now.format("%Y%m%dT%H%M%SZ"))
                    .map(|stamp| stamp.to_string())
                    .unwrap_or_default();
                let aside = path.with_extension(format!("json.damaged-{stamp}"));
                match std::fs::rename(path, &aside) {
                    Ok(()) => (UiState::default(), Some(aside)),
                    Err(error) => {
                        tracing::warn!("cannot keep {} aside: {error}", path.display());
                        (UiState::default(), Some(path.to_owned()))
                    }
                }
            }
        }
    }

    /// Written to a temporary file and renamed, so that a crash never leaves
    /// half a file behind.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        let partial = path.with_extension("json.partial");
        std::fs::write(&partial, text)?;
        std::fs::rename(&partial, path)
    }

    /// Puts a project at the top of the list (once).
    pub fn remember(&mut self, project: &Path) {
        self.projects.retain(|p| p != project);
        self.projects.insert(0, project.to_path_buf());
    }

    pub fn forget(&mut self, project: &Path) {
        self.projects.retain(|p| p != project);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_projects_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("paddock").join(FILE_NAME);
        let mut state = UiState::default();
        state.remember(Path::new("/home/u/a"));
        state.remember(Path::new("/home/u/b"));
        state.remember(Path::new("/home/u/a"));
        state.save(&path).unwrap();
        let (loaded, _) = UiState::load(&path);
        assert_eq!(
            loaded.projects,
            vec![PathBuf::from("/home/u/a"), PathBuf::from("/home/u/b")]
        );
        assert_eq!(loaded, state);
    }

    #[test]
    fn forgetting_a_project_leaves_its_folder_alone() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("proj");
        std::fs::create_dir(&project).unwrap();
        let mut state = UiState::default();
        state.remember(&project);
        state.forget(&project);
        assert!(state.projects.is_empty());
        assert!(project.is_dir());
    }

    #[test]
    fn a_damaged_file_is_kept_aside_and_a_fresh_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, b"{not json").unwrap();
        let (state, aside) = UiState::load(&path);
        assert_eq!(state, UiState::default());
        let aside = aside.expect("told where the damaged file went");
        assert!(
            aside.to_string_lossy().contains("state.json.damaged-2"),
            "{}",
            aside.display()
        );
        assert_eq!(std::fs::read(&aside).unwrap(), b"{not json");
        assert!(!path.exists(), "the next save starts afresh");
        assert_eq!(UiState::load(&path), (UiState::default(), None));
    }

    #[test]
    fn a_file_from_an_earlier_version_keeps_its_projects() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(
            &path,
            br#"{"projects": ["/home/u/a"], "width": 1200, "height": 800, "maximized": false, "terminal_zoom": 1.2}"#,
        )
        .unwrap();
        assert_eq!(
            UiState::load(&path).0.projects,
            vec![PathBuf::from("/home/u/a")]
        );
    }
}
