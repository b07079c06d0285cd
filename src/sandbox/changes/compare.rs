//! What differs between the manifest noted at a run's start and the
//! project now, and the diff of one file.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::Path;

use super::manifest::{Entry, EntryKind, Manifest, text_of};
use crate::host_run::{self, HostRun};
use crate::messages::tr;

/// The most of a file that a diff reads.
const MAX_DIFF: u64 = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Changed,
    Deleted,
}

impl ChangeKind {
    pub fn label(self) -> String {
        match self {
            ChangeKind::Added => gettextrs::gettext("added"),
            ChangeKind::Changed => gettextrs::gettext("changed"),
            ChangeKind::Deleted => gettextrs::gettext("deleted"),
        }
    }
}

/// One file that changed. `path` is as the project has it: show it through
/// [`crate::shown::escape`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    pub kind: ChangeKind,
    /// Set when the host's own tools run this file.
    pub host_run: Option<HostRun>,
}

/// A repository whose `HEAD` names another commit than at the start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadMove {
    pub repo: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// The files the host runs first, then by path.
    pub files: Vec<Change>,
    pub heads: Vec<HeadMove>,
}

impl Changes {
    /// Whether a file the host runs changed.
    pub fn flagged(&self) -> bool {
        self.files.iter().any(|c| c.host_run.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.heads.is_empty()
    }
}

/// What changed from `before` to `now`, both noted of the project at
/// `root`. A file whose times or inode differ but whose kept text (or, for
/// the files the host runs, hash) is the same did not change.
pub fn compare(before: &Manifest, now: &Manifest, root: &Path) -> Changes {
    let mut files = Vec::new();
    let mut push = |path: &str, kind| {
        files.push(Change {
            path: path.to_owned(),
            kind,
            host_run: host_run::kind(path),
        })
    };
    for (path, old) in &before.entries {
        match now.entries.get(path) {
            None => push(path, ChangeKind::Deleted),
            Some(new) if differs(old, new, before.texts.get(path), root, path) => {
                push(path, ChangeKind::Changed)
            }
            Some(_) => {}
        }
    }
    for path in now.entries.keys() {
        if !before.entries.contains_key(path) {
            push(path, ChangeKind::Added);
        }
    }
    files.sort_by(|a, b| (a.host_run.is_none(), &a.path).cmp(&(b.host_run.is_none(), &b.path)));
    let mut heads: Vec<HeadMove> = before
        .heads
        .iter()
        .filter(|(repo, from)| now.heads.get(*repo) != Some(from))
        .map(|(repo, from)| HeadMove {
            repo: repo.clone(),
            from: Some(from.clone()),
            to: now.heads.get(repo).cloned(),
        })
        .collect();
    heads.extend(
        now.heads
            .iter()
            .filter(|(repo, _)| !before.heads.contains_key(*repo))
            .map(|(repo, to)| HeadMove {
                repo: repo.clone(),
                from: None,
                to: Some(to.clone()),
            }),
    );
    Changes { files, heads }
}

fn differs(old: &Entry, new: &Entry, kept: Option<&String>, root: &Path, path: &str) -> bool {
    if old.kind != new.kind {
        return true;
    }
    if let (Some(a), Some(b)) = (&old.hash, &new.hash) {
        return a != b;
    }
    let same_stat =
        (old.size, old.mtime, old.ctime, old.ino) == (new.size, new.mtime, new.ctime, new.ino);
    if same_stat {
        return false;
    }
    match kept {
        Some(text) if new.size == old.size => read_text(root, path).as_ref() != Some(text),
        _ => true,
    }
}

/// The diff of `change` as text (unified, `a/` and `b/` headers), or a
/// line that says why there is none. Show it through
/// [`crate::shown::escape`]: it is the agent's text.
pub fn diff(before: &Manifest, root: &Path, change: &Change) -> String {
    let path = &change.path;
    if let Some(EntryKind::Link(target)) = before.entries.get(path).map(|e| &e.kind)
        && change.kind != ChangeKind::Added
    {
        return tr("was a symbolic link to {target}", &[("target", target)])
            + "\n"
            + &now_described(root, path);
    }
    let old = match change.kind {
        ChangeKind::Added => Some(String::new()),
        _ => before.texts.get(path).cloned(),
    };
    let new = match change.kind {
        ChangeKind::Deleted => Some(String::new()),
        _ => read_text(root, path),
    };
    match (old, new) {
        (Some(old), Some(new)) => {
            let from = match change.kind {
                ChangeKind::Added => "/dev/null".to_owned(),
                _ => format!("a/{path}"),
            };
            let to = match change.kind {
                ChangeKind::Deleted => "/dev/null".to_owned(),
                _ => format!("b/{path}"),
            };
            let text = similar::TextDiff::from_lines(&old, &new)
                .unified_diff()
                .header(&from, &to)
                .to_string();
            if text.is_empty() {
                gettextrs::gettext("Only its times changed, not its contents.")
            } else {
                text
            }
        }
        (None, _) => gettextrs::gettext(
            "No diff: Paddock kept no copy of this file from the start of the run (it is not text, is bigger than 64 KiB, or the project holds more text than Paddock keeps).",
        ),
        (_, None) => now_described(root, path),
    }
}

/// What `path` is now, when it is no text to diff.
fn now_described(root: &Path, path: &str) -> String {
    match std::fs::symlink_metadata(root.join(path)) {
        Ok(meta) if meta.is_symlink() => {
            let target = std::fs::read_link(root.join(path)).unwrap_or_default();
            tr(
                "is now a symbolic link to {target}",
                &[("target", &target.display())],
            )
        }
        Ok(meta) if meta.is_file() => tr(
            "No diff: it is not text or bigger than 1 MiB ({size} bytes).",
            &[("size", &meta.len())],
        ),
        Ok(_) => gettextrs::gettext("No diff: it is not a regular file."),
        Err(_) => gettextrs::gettext("It is gone."),
    }
}

/// The text of the project's file `path`, opened without following a
/// symbolic link and without leaving the project: the agent may have put
/// a link to the host's secrets where a file was.
fn read_text(root: &Path, path: &str) -> Option<String> {
    let file = open_beneath(root, path)?;
    let mut bytes = Vec::new();
    std::fs::File::from(file)
        .take(MAX_DIFF + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    if bytes.len() as u64 > MAX_DIFF {
        return None;
    }
    text_of(bytes)
}

fn open_beneath(root: &Path, path: &str) -> Option<OwnedFd> {
    use rustix::fs::{Mode, OFlags, ResolveFlags};
    let dir = rustix::fs::open(
        root,
        OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::RDONLY,
        Mode::empty(),
    )
    .ok()?;
    let file = rustix::fs::openat2(
        &dir,
        path,
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK,
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
    )
    .ok()?;
    let meta = rustix::fs::fstat(&file).ok()?;
    rustix::fs::FileType::from_raw_mode(meta.st_mode)
        .is_file()
        .then_some(file)
}
