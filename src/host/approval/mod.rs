//! The user's approval of each project's sandbox definition.
//!
//! The agent can write the project, and so `.agent-sandbox/` whenever it is
//! not running inside Paddock's read-only bind (a teammate's commit, a
//! `git pull`, an agent run some other way). So Paddock keeps, outside the
//! project in its own data folder (`$XDG_DATA_HOME/paddock/approvals/`), the
//! digest of the definition as the user last approved it and a copy of its
//! files. Before a build or a run, a front end calls [`Approvals::gate`]:
//! an unchanged definition passes, with its extra mounts resolved; a
//! changed one, or one Paddock never saw approved (a cloned repository),
//! comes back as a [`Review`] with the diff to show, and passes only after
//! [`Approvals::approve`]. A definition Paddock writes for the user
//! (`paddock init`, the window's editor) is approved as it is written.
//!
//! Extra mounts reach a plan only through [`Approved::binds`], so a front
//! end that skipped the gate would run without them rather than with
//! unapproved ones.

mod mounts;
mod snapshot;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use mounts::{HostSockets, MountError, ResolvedMount};
pub use snapshot::Snapshot;

use sandbox::definition::Definition;
use sandbox::messages::tr;
use sandbox::plan::Bind;
use sandbox::presets::Presets;
use sandbox::project::{Project, ProjectError};

#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    #[error("{}", tr("{path} has no sandbox definition yet; run `paddock init` there first", &[("path", &path.display())]))]
    NoDefinition { path: PathBuf },
    #[error("{}", tr("{path} is not a regular file (a symbolic link?); Paddock reads the sandbox definition only from plain files in .agent-sandbox; replace it with the file itself", &[("path", &path.display())]))]
    NotAFile { path: PathBuf },
    #[error(
        "{}",
        gettextrs::gettext(
            "neither XDG_DATA_HOME nor HOME is set, so Paddock has nowhere to keep your approvals; set HOME and try again"
        )
    )]
    NoDataDir,
    #[error("{}", tr("cannot {action} {path}: {error}", &[("action", action), ("path", &path.display()), ("error", source)]))]
    Io {
        action: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error(transparent)]
    Mount(#[from] MountError),
}

impl ApprovalError {
    fn io(action: &str, path: &Path, source: std::io::Error) -> ApprovalError {
        ApprovalError::Io {
            action: gettextrs::gettext(action),
            path: path.to_owned(),
            source,
        }
    }
}

/// Where the approvals of one user are kept.
#[derive(Debug, Clone)]
pub struct Approvals {
    dir: PathBuf,
}

/// The outcome of [`Approvals::gate`].
#[derive(Debug)]
pub enum Gate {
    Approved(Box<Approved>),
    NeedsApproval(Review),
}

/// A definition as the user approved it, read from the approved bytes.
#[derive(Debug, Clone)]
pub struct Approved {
    pub definition: Definition,
    pub mounts: Vec<ResolvedMount>,
}

impl Approved {
    /// The extra mounts, to add to the plan's binds.
    pub fn binds(&self) -> Vec<Bind> {
        self.mounts.iter().map(ResolvedMount::bind).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// No approval on record: Paddock did not write this definition.
    NeverApproved,
    /// Different from what the user approved.
    Changed,
}

/// What the user must see before approving.
#[derive(Debug, Clone)]
pub struct Review {
    pub status: Status,
    /// What [`Approvals::approve`] records: exactly what the diff shows.
    pub snapshot: Snapshot,
    /// A unified diff from the approved files (or from nothing).
    pub diff: String,
    /// What deserves attention beyond the diff: the extra mounts (those
    /// outside the project above all) and why a record could not be read.
    pub notes: Vec<String>,
}

impl Review {
    /// The review as text for a terminal: a heading, the diff, the notes.
    pub fn to_text(&self, project: &Project) -> String {
        let heading = match self.status {
            Status::NeverApproved => tr(
                "The sandbox definition of {path} has not been approved by you yet (Paddock did not write it: cloned, copied or imported). Review it:",
                &[("path", &project.root().display())],
            ),
            Status::Changed => tr(
                "The sandbox definition of {path} changed since you approved it (an agent, a git pull, a teammate?). Review the changes:",
                &[("path", &project.root().display())],
            ),
        };
        let mut text = format!("{heading}\n{}", self.diff);
        for note in &self.notes {
            text.push_str(&tr("Note: {note}\n", &[("note", note)]));
        }
        text
    }
}

/// The approval record of one project (JSON in the data folder).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Record {
    project: PathBuf,
    digest: String,
    /// The approved files as text, for the diff.
    files: BTreeMap<String, String>,
}

impl Approvals {
    /// The user's approvals: `$XDG_DATA_HOME/paddock/approvals`, else
    /// `~/.local/share/paddock/approvals`.
    pub fn for_user() -> Result<Approvals, ApprovalError> {
        let data = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| {
                std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share"))
            })
            .ok_or(ApprovalError::NoDataDir)?;
        Ok(Approvals::at(data.join("paddock").join("approvals")))
    }

    pub fn at(dir: PathBuf) -> Approvals {
        Approvals { dir }
    }

    /// Passes an approved, unchanged definition (parsed and with its extra
    /// mounts resolved), or returns what the user must review first.
    pub fn gate(
        &self,
        project: &Project,
        presets: &Presets,
        home: &Path,
        sockets: &HostSockets,
    ) -> Result<Gate, ApprovalError> {
        let snapshot = Snapshot::read(project)?;
        let (record, mut notes) = match self.load(project) {
            Ok(record) => (record, Vec::new()),
            Err(problem) => (None, vec![problem]),
        };
        if let Some(record) = &record
            && record.digest == snapshot.digest()
        {
            let definition = parse(project, &snapshot, presets)?;
            let mounts = mounts::resolve(project, &definition.mounts, home, sockets)?;
            return Ok(Gate::Approved(Box::new(Approved { definition, mounts })));
        }
        if let Ok(definition) = parse(project, &snapshot, presets) {
            match mounts::resolve(project, &definition.mounts, home, sockets) {
                Ok(resolved) => notes.extend(resolved.iter().map(ResolvedMount::describe)),
                Err(error) => notes.push(error.to_string()),
            }
        }
        let approved = record.map(|record| {
            Snapshot::from_files(
                record
                    .files
                    .into_iter()
                    .map(|(name, text)| (name, text.into_bytes()))
                    .collect(),
            )
        });
        Ok(Gate::NeedsApproval(Review {
            status: if approved.is_some() {
                Status::Changed
            } else {
                Status::NeverApproved
            },
            diff: snapshot.diff_from(approved.as_ref()),
            snapshot,
            notes,
        }))
    }

    /// Records `snapshot` (what the user saw) as approved for `project`.
    pub fn approve(&self, project: &Project, snapshot: &Snapshot) -> Result<(), ApprovalError> {
        let record = Record {
            project: project.root().to_owned(),
            digest: snapshot.digest(),
            files: snapshot
                .files()
                .iter()
                .map(|(name, bytes)| (name.clone(), String::from_utf8_lossy(bytes).into_owned()))
                .collect(),
        };
        let json = serde_json::to_vec_pretty(&record)
            .map_err(|e| ApprovalError::io("write", &self.dir, std::io::Error::other(e)))?;
        write_atomically(&self.dir, &self.record_path(project), &json)
    }

    /// Approves the definition as it is now on disk: for the definitions
    /// Paddock writes on the user's behalf.
    pub fn approve_written(&self, project: &Project) -> Result<(), ApprovalError> {
        self.approve(project, &Snapshot::read(project)?)
    }

    /// Whether the definition on disk is the approved one.
    pub fn is_approved(&self, project: &Project) -> Result<bool, ApprovalError> {
        let snapshot = Snapshot::read(project)?;
        Ok(matches!(self.load(project), Ok(Some(record)) if record.digest == snapshot.digest()))
    }

    fn record_path(&self, project: &Project) -> PathBuf {
        let digest = Sha256::digest(project.root().as_os_str().as_encoded_bytes());
        let key: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{key}.json"))
    }

    /// The record, `None` when there is none; a record that cannot be read
    /// is a note for the review (approving again replaces it).
    fn load(&self, project: &Project) -> Result<Option<Record>, String> {
        let path = self.record_path(project);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(ApprovalError::io("read", &path, error).to_string()),
        };
        let unreadable = |error: &dyn std::fmt::Display| {
            tr(
                "the earlier approval record {path} could not be read ({error}); approving again replaces it",
                &[("path", &path.display()), ("error", error)],
            )
        };
        let record: Record = serde_json::from_slice(&bytes).map_err(|e| unreadable(&e))?;
        if record.project != project.root() {
            return Err(unreadable(&tr(
                "it is for {other}",
                &[("other", &record.project.display())],
            )));
        }
        Ok(Some(record))
    }
}

fn parse(
    project: &Project,
    snapshot: &Snapshot,
    presets: &Presets,
) -> Result<Definition, ProjectError> {
    Definition::parse(&snapshot.definition_text(), presets).map_err(|errors| {
        ProjectError::Definition {
            file: project.definition_path(),
            errors,
        }
    })
}

/// Writes a temporary file in `dir` and renames it over `target`: a record
/// is whole or absent, never half-written.
fn write_atomically(dir: &Path, target: &Path, contents: &[u8]) -> Result<(), ApprovalError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| ApprovalError::io("create", dir, e))?;
    let temp = dir.join(format!(".approval-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&temp, target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(|e| ApprovalError::io("write", target, e))
}
