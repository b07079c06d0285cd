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
//! [`Approved`] can only be made here, and [`crate::plan::plan`] (the
//! only way to a plan the engine builds or creates) takes one: no front end
//! can build or run a definition without passing the gate.
//!
//! The record also keeps each extra mount's source as it was resolved when
//! the user approved it, with its device and inode ([`Pin`]). A source that
//! now resolves elsewhere (replaced by a symbolic link, renamed, swapped for
//! another folder) sends the definition back to review, even though its
//! text did not change.

mod mounts;
mod notes;
mod snapshot;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use mounts::{HostSockets, MountError, ResolvedMount};
pub use snapshot::Snapshot;

use crate::definition::Definition;
use crate::messages::tr;
use crate::plan::Pin;
use crate::presets::Presets;
use crate::project::{Project, ProjectError};
use crate::shown;

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
    #[error("{}", tr("cannot {action} {path}: {error}", &[("action", action), ("path", &path.display()), ("error", &crate::messages::os_error(source))]))]
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

/// A definition as the user approved it, read from the approved bytes,
/// with its extra mounts resolved and still the ones approved. Only
/// [`Approvals::gate`] makes one.
#[derive(Debug, Clone)]
pub struct Approved {
    definition: Definition,
    mounts: Vec<ResolvedMount>,
    snapshot: Snapshot,
}

impl Approved {
    pub fn definition(&self) -> &Definition {
        &self.definition
    }

    pub fn mounts(&self) -> &[ResolvedMount] {
        &self.mounts
    }

    /// The approved files, as read once: what the build uses.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// No approval on record: Paddock did not write this definition.
    NeverApproved,
    /// Different from what the user approved.
    Changed,
    /// The text is what the user approved, but an extra mount's source is
    /// no longer the file or folder it was then.
    MountMoved,
}

/// What the user must see before approving. Every text in it is safe to
/// show as it is: the diff and the notes have their control, bidi and
/// zero-width characters escaped ([`shown::escape`]).
#[derive(Debug, Clone)]
pub struct Review {
    pub status: Status,
    /// What [`Approvals::approve`] records: exactly what the diff shows.
    pub snapshot: Snapshot,
    /// The extra mounts as the notes show them; recorded with the snapshot.
    pub mounts: Vec<ResolvedMount>,
    /// A unified diff from the approved files (or from nothing), escaped.
    pub diff: String,
    /// What deserves attention beyond the diff, escaped: hidden characters
    /// first, then each security-relevant change, the extra mounts (those
    /// outside the project above all), and why a record could not be read.
    pub notes: Vec<Note>,
}

/// One line of a review besides the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Escaped: safe to show as it is.
    pub text: String,
    /// It widens what the sandbox can reach, or hides what the diff shows:
    /// shown so that it stands out.
    pub alert: bool,
}

impl Note {
    fn new(text: &str, alert: bool) -> Note {
        Note {
            text: shown::escape(text),
            alert,
        }
    }
}

impl Review {
    /// The heading: why the definition needs a review.
    pub fn heading(&self, project: &Project) -> String {
        let path = shown::escape(&project.root().display().to_string());
        match self.status {
            Status::NeverApproved => tr(
                "The sandbox definition of {path} has not been approved by you yet (Paddock did not write it: cloned, copied or imported). Review it:",
                &[("path", &path)],
            ),
            Status::Changed => tr(
                "The sandbox definition of {path} changed since you approved it (an agent, a git pull, a teammate?). Review the changes:",
                &[("path", &path)],
            ),
            Status::MountMoved => tr(
                "The sandbox definition of {path} is unchanged, but a folder it mounts is no longer the one you approved. Review it:",
                &[("path", &path)],
            ),
        }
    }

    /// The review as text for a terminal: a heading, the diff, the notes.
    pub fn to_text(&self, project: &Project) -> String {
        let mut text = format!("{}\n{}", self.heading(project), self.diff);
        for note in &self.notes {
            text.push_str(&tr("Note: {note}\n", &[("note", &note.text)]));
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
    /// Each extra mount's source as approved, in the definition's order.
    /// (Records from before mounts were pinned have none: a definition
    /// with mounts then goes back to review once.)
    #[serde(default)]
    mounts: Vec<RecordedMount>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct RecordedMount {
    source: PathBuf,
    pin: Pin,
}

impl RecordedMount {
    fn of(mount: &ResolvedMount) -> RecordedMount {
        RecordedMount {
            source: mount.source.clone(),
            pin: mount.pin,
        }
    }
}

impl Approvals {
    /// The user's approvals: `$XDG_DATA_HOME/paddock/approvals`, else
    /// `~/.local/share/paddock/approvals`.
    pub fn for_user() -> Result<Approvals, ApprovalError> {
        let data = crate::data_dir::paddock().ok_or(ApprovalError::NoDataDir)?;
        Ok(Approvals::at(data.join("approvals")))
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
            Err(problem) => (None, vec![Note::new(&problem, false)]),
        };
        let mut status = match &record {
            None => Status::NeverApproved,
            Some(_) => Status::Changed,
        };
        if let Some(record) = &record
            && record.digest == snapshot.digest()
        {
            let definition = parse(project, &snapshot, presets)?;
            let mounts = mounts::resolve(project, &definition.mounts, home, sockets)?;
            let moved = moved_mounts(&definition, &record.mounts, &mounts);
            if moved.is_empty() {
                return Ok(Gate::Approved(Box::new(Approved {
                    definition,
                    mounts,
                    snapshot,
                })));
            }
            status = Status::MountMoved;
            notes.extend(moved);
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
        let hidden: Vec<Note> = snapshot
            .files()
            .iter()
            .filter_map(|(name, bytes)| {
                let (line, c) = shown::first_hidden(&String::from_utf8_lossy(bytes))?;
                Some(Note::new(&tr(
                    "WARNING: {name}, line {line}, holds characters that a terminal or viewer would not show as they are (the first: {character}); they are shown escaped below. Do not approve a definition you cannot read.",
                    &[
                        ("name", &shown::escape(name)),
                        ("line", &line),
                        ("character", &shown::escape(&c.to_string())),
                    ],
                ), true))
            })
            .collect();
        notes.splice(0..0, hidden);
        let mut resolved = Vec::new();
        if let Ok(definition) = parse(project, &snapshot, presets) {
            let old = approved
                .as_ref()
                .and_then(|old| Definition::parse(&old.definition_text(), presets).ok());
            let containerfile_changed =
                definition.image.containerfile.as_ref().is_some_and(|name| {
                    approved.as_ref().and_then(|old| old.files().get(name))
                        != snapshot.files().get(name)
                });
            notes.extend(notes::security_notes(
                old.as_ref(),
                &definition,
                containerfile_changed,
            ));
            if let Ok(agent) = definition.resolve_agent(presets) {
                notes.extend(notes::policy_notes(&definition, &agent));
            }
            match mounts::resolve(project, &definition.mounts, home, sockets) {
                Ok(mounts) => {
                    notes.extend(
                        mounts
                            .iter()
                            .map(|m| Note::new(&m.describe(), !m.inside_project || !m.read_only)),
                    );
                    resolved = mounts;
                }
                Err(error) => notes.push(Note::new(&error.to_string(), true)),
            }
            notes.push(Note::new(
                &tr(
                    "Paddock's own mount: the inbox of pasted images and dropped files, read-only at {target}",
                    &[("target", &crate::inbox::TARGET)],
                ),
                false,
            ));
        }
        Ok(Gate::NeedsApproval(Review {
            status,
            diff: shown::escape(&snapshot.diff_from(approved.as_ref())),
            snapshot,
            mounts: resolved,
            notes,
        }))
    }

    /// Records what the user saw in `review` as approved for `project`: the
    /// files and the extra mounts as they were resolved for the review.
    pub fn approve(&self, project: &Project, review: &Review) -> Result<(), ApprovalError> {
        self.record(project, &review.snapshot, &review.mounts)
    }

    /// Approves the definition as it is now on disk: for the definitions
    /// Paddock writes on the user's behalf (`paddock init`, the window's
    /// form). Its extra mounts are recorded as they resolve now; one that
    /// cannot be resolved is left out, and the gate then says why.
    pub fn approve_written(
        &self,
        project: &Project,
        presets: &Presets,
        home: &Path,
        sockets: &HostSockets,
    ) -> Result<(), ApprovalError> {
        let snapshot = Snapshot::read(project)?;
        let mounts = parse(project, &snapshot, presets)
            .ok()
            .and_then(|d| mounts::resolve(project, &d.mounts, home, sockets).ok())
            .unwrap_or_default();
        self.record(project, &snapshot, &mounts)
    }

    fn record(
        &self,
        project: &Project,
        snapshot: &Snapshot,
        mounts: &[ResolvedMount],
    ) -> Result<(), ApprovalError> {
        let record = Record {
            project: project.root().to_owned(),
            digest: snapshot.digest(),
            files: snapshot
                .files()
                .iter()
                .map(|(name, bytes)| (name.clone(), String::from_utf8_lossy(bytes).into_owned()))
                .collect(),
            mounts: mounts.iter().map(RecordedMount::of).collect(),
        };
        let json = serde_json::to_vec_pretty(&record)
            .map_err(|e| ApprovalError::io("write", &self.dir, std::io::Error::other(e)))?;
        write_atomically(&self.dir, &self.record_path(project), &json)
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

/// A note for each extra mount whose source is not what was approved:
/// another path (a symbolic link now, a rename) or another file or folder
/// at the same path (swapped).
fn moved_mounts(
    definition: &Definition,
    recorded: &[RecordedMount],
    now: &[ResolvedMount],
) -> Vec<Note> {
    now.iter()
        .enumerate()
        .filter_map(|(index, mount)| {
            let written = &definition.mounts[index].source;
            let source = mount.source.display().to_string();
            match recorded.get(index) {
                None => Some(Note::new(&tr(
                    "mounts[{index}]: {written} (now {source}) has no approved source on record",
                    &[("index", &index), ("written", &written), ("source", &source)],
                ), true)),
                Some(old) if old.source != mount.source => Some(Note::new(&tr(
                    "mounts[{index}]: {written} now resolves to {source}, not to {approved} as when you approved it (a symbolic link or a rename?)",
                    &[
                        ("index", &index),
                        ("written", &written),
                        ("source", &source),
                        ("approved", &old.source.display()),
                    ],
                ), true)),
                Some(old) if old.pin != mount.pin => Some(Note::new(&tr(
                    "mounts[{index}]: {source} is not the folder you approved: it was replaced by another one at the same path",
                    &[("index", &index), ("source", &source)],
                ), true)),
                Some(_) => None,
            }
        })
        .collect()
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
