//! The manifest noted when a project's sandbox started, kept in Paddock's
//! own data folder (`$XDG_DATA_HOME/paddock/changes/`), one file per
//! project: the agent can write the project, not this.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::{Changes, Manifest, TEXT_BUDGET, compare};
use crate::messages::tr;

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(
        "{}",
        gettextrs::gettext(
            "neither XDG_DATA_HOME nor HOME is set, so Paddock has nowhere to keep what a run changed; set HOME and try again"
        )
    )]
    NoDataDir,
    #[error("{}", tr("No run of {project} was recorded yet: Paddock notes the project when its sandbox starts (`paddock run`, or Run in the window).", &[("project", &project.display())]))]
    NoRecord { project: PathBuf },
    #[error("{}", tr("Could not {action} {path}: {source}", &[("action", action), ("path", &path.display()), ("source", &crate::messages::os_error(source))]))]
    Io {
        action: String,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The start of one run.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub project: PathBuf,
    /// Seconds since the epoch.
    pub started: u64,
    pub manifest: Manifest,
}

/// Where the records are.
#[derive(Debug, Clone)]
pub struct Records {
    dir: PathBuf,
}

impl Records {
    /// `$XDG_DATA_HOME/paddock/changes`, else `~/.local/share/paddock/changes`.
    pub fn for_user() -> Result<Records, RecordError> {
        let data = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| {
                std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share"))
            })
            .ok_or(RecordError::NoDataDir)?;
        Ok(Records {
            dir: data.join("paddock").join("changes"),
        })
    }

    fn file(&self, project: &Path) -> PathBuf {
        let key = super::manifest::hash(project.as_os_str().as_encoded_bytes());
        self.dir.join(format!("{}.json", &key[..32]))
    }

    /// Notes the project at `root` now, as the start of a run.
    pub fn note(&self, root: &Path) -> Result<Record, RecordError> {
        let io = |action: &str, path: &Path| {
            let (action, path) = (action.to_owned(), path.to_owned());
            move |source| RecordError::Io {
                action,
                path,
                source,
            }
        };
        let manifest =
            Manifest::note(root, TEXT_BUDGET).map_err(io(&gettextrs::gettext("read"), root))?;
        let record = Record {
            project: root.to_owned(),
            started: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            manifest,
        };
        std::fs::create_dir_all(&self.dir).map_err(io(&gettextrs::gettext("create"), &self.dir))?;
        let file = self.file(root);
        let temp = file.with_extension("json.tmp");
        let bytes = serde_json::to_vec(&record).unwrap_or_default();
        std::fs::write(&temp, bytes).map_err(io(&gettextrs::gettext("write"), &temp))?;
        std::fs::rename(&temp, &file).map_err(io(&gettextrs::gettext("write"), &file))?;
        Ok(record)
    }

    /// The last run's start, noted for the project at `root`.
    pub fn last(&self, root: &Path) -> Result<Record, RecordError> {
        let file = self.file(root);
        let bytes = std::fs::read(&file).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => RecordError::NoRecord {
                project: root.to_owned(),
            },
            _ => RecordError::Io {
                action: gettextrs::gettext("read"),
                path: file.clone(),
                source,
            },
        })?;
        serde_json::from_slice(&bytes).map_err(|error| RecordError::Io {
            action: gettextrs::gettext("read"),
            path: file,
            source: std::io::Error::other(error),
        })
    }
}

impl Record {
    /// What changed in the project since this run started.
    pub fn changes(&self) -> Result<Changes, RecordError> {
        let now = Manifest::note(&self.project, 0).map_err(|source| RecordError::Io {
            action: gettextrs::gettext("read"),
            path: self.project.clone(),
            source,
        })?;
        Ok(compare(&self.manifest, &now, &self.project))
    }

    /// The diff of one of [`Record::changes`]' files.
    pub fn diff(&self, change: &super::Change) -> String {
        super::diff(&self.manifest, &self.project, change)
    }
}
