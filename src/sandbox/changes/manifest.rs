//! A project's files as they are: path, type, size, modification and
//! change times and inode of each; for the files the host runs also a hash
//! and (when small text) their contents; for small text files, while a
//! budget lasts, their contents too, so that a changed one gets a diff.
//!
//! No file is read twice and no file is read at all beyond those: a
//! 100,000-file tree is one `stat` per file. Inside a `.git` folder only
//! what the host runs is noted (and the commit `HEAD` names): objects,
//! refs and the index change with every commit and are not the agent's
//! hidden work.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::host_run;

/// A text file bigger than this is never kept.
const MAX_KEPT: u64 = 64 * 1024;
/// The most a file the host runs may be to be kept in full.
const MAX_KEPT_HOST_RUN: u64 = 1024 * 1024;
/// How much text of ordinary files one manifest keeps at most.
pub const TEXT_BUDGET: usize = 8 * 1024 * 1024;
/// Folders of a `.git` folder that hold nothing the host runs.
const GIT_SKIP: [&str; 5] = ["objects", "refs", "logs", "lfs", "rr-cache"];

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EntryKind {
    File,
    /// A symbolic link and its target (never followed).
    Link(String),
    /// A socket, FIFO or device node.
    Other,
}

/// One file as noted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub kind: EntryKind,
    pub size: u64,
    pub mtime: (i64, i64),
    /// Set by the kernel on every change, `touch -d` included: a file
    /// changed and given its old modification time back still differs here.
    pub ctime: (i64, i64),
    pub ino: u64,
    /// SHA-256 of a file the host runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    /// By path relative to the project, `/`-separated (bytes that are not
    /// UTF-8 written as `\xNN`).
    pub entries: BTreeMap<String, Entry>,
    /// Contents of the text files kept, for diffs.
    pub texts: BTreeMap<String, String>,
    /// The commit each git repository's `HEAD` named, by its folder.
    pub heads: BTreeMap<String, String>,
}

impl Manifest {
    /// Notes the project at `root`, keeping up to `budget` bytes of
    /// ordinary text files (0: only the files the host runs). A file that
    /// vanishes while it is noted is left out; a folder that cannot be read
    /// is an error.
    pub fn note(root: &Path, budget: usize) -> std::io::Result<Manifest> {
        let mut walk = Walk {
            manifest: Manifest::default(),
            budget,
        };
        walk.dir(root, "", false)?;
        Ok(walk.manifest)
    }
}

struct Walk {
    manifest: Manifest,
    budget: usize,
}

impl Walk {
    fn dir(&mut self, dir: &Path, rel: &str, in_git: bool) -> std::io::Result<()> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if rel.is_empty() => return Err(error),
            // Unreadable or gone: what is left of it shows as deleted.
            Err(_) => return Ok(()),
        };
        let mut names: Vec<_> = entries.filter_map(Result::ok).collect();
        names.sort_by_key(|e| e.file_name());
        for entry in names {
            let name = path_text(entry.file_name().as_bytes());
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let Ok(meta) = entry.metadata() else { continue };
            let file_type = meta.file_type();
            if file_type.is_dir() {
                if name == ".git" {
                    self.head(&entry.path(), rel);
                    self.dir(&entry.path(), &path, true)?;
                } else if !(in_git && GIT_SKIP.contains(&name.as_str())) {
                    self.dir(&entry.path(), &path, in_git)?;
                }
                continue;
            }
            let host_run = host_run::kind(&path).is_some();
            if in_git && !host_run {
                continue;
            }
            let kind = if file_type.is_symlink() {
                let target = std::fs::read_link(entry.path()).unwrap_or_default();
                EntryKind::Link(path_text(target.as_os_str().as_bytes()))
            } else if file_type.is_file() {
                EntryKind::File
            } else {
                EntryKind::Other
            };
            let mut noted = Entry {
                size: meta.len(),
                mtime: (meta.mtime(), meta.mtime_nsec()),
                ctime: (meta.ctime(), meta.ctime_nsec()),
                ino: meta.ino(),
                hash: None,
                kind,
            };
            if noted.kind == EntryKind::File {
                self.contents(&entry.path(), &path, &mut noted, host_run);
            }
            self.manifest.entries.insert(path, noted);
        }
        Ok(())
    }

    /// Hashes a file the host runs and keeps it when it is small text;
    /// keeps an ordinary small text file while the budget lasts.
    fn contents(&mut self, file: &Path, path: &str, entry: &mut Entry, host_run: bool) {
        let kept = if host_run {
            let Some((digest, head)) = hash_file(file, MAX_KEPT_HOST_RUN) else {
                return;
            };
            entry.hash = Some(digest);
            head
        } else if entry.size <= MAX_KEPT && entry.size as usize <= self.budget {
            let Ok(bytes) = std::fs::read(file) else {
                return;
            };
            Some(bytes)
        } else {
            None
        };
        if let Some(text) = kept.and_then(text_of) {
            if !host_run {
                self.budget = self.budget.saturating_sub(text.len());
            }
            self.manifest.texts.insert(path.to_owned(), text);
        }
    }

    /// The commit `HEAD` of the git folder `git` names, under the
    /// repository's folder `rel`.
    fn head(&mut self, git: &Path, rel: &str) {
        if let Some(commit) = head_commit(git) {
            let repo = if rel.is_empty() { "." } else { rel };
            self.manifest.heads.insert(repo.to_owned(), commit);
        }
    }
}

/// The SHA-256 of a file, and its bytes when there are at most `keep`.
fn hash_file(file: &Path, keep: u64) -> Option<(String, Option<Vec<u8>>)> {
    let mut handle = std::fs::File::open(file).ok()?;
    let mut head = Vec::new();
    handle.by_ref().take(keep + 1).read_to_end(&mut head).ok()?;
    let mut hasher = Sha256::new();
    hasher.update(&head);
    let mut buffer = vec![0; 64 * 1024];
    loop {
        match handle.read(&mut buffer).ok()? {
            0 => break,
            n => hasher.update(&buffer[..n]),
        }
    }
    let digest = hex(&hasher.finalize());
    Some((digest, (head.len() as u64 <= keep).then_some(head)))
}

/// Bytes that are text: UTF-8 without NUL.
pub(crate) fn text_of(bytes: Vec<u8>) -> Option<String> {
    if bytes.contains(&0) {
        return None;
    }
    String::from_utf8(bytes).ok()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn hash(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The commit a git folder's `HEAD` names: itself when detached, else the
/// branch's loose or packed ref. Read as plain files; git itself is not
/// run (the project's configuration could make it run anything).
pub(crate) fn head_commit(git: &Path) -> Option<String> {
    let head = small_text(&git.join("HEAD"))?;
    let head = head.trim();
    let Some(name) = head.strip_prefix("ref: ") else {
        return Some(head.to_owned());
    };
    if name.split('/').any(|p| p == ".." || p.is_empty()) {
        return None;
    }
    if let Some(commit) = small_text(&git.join(name)) {
        return Some(commit.trim().to_owned());
    }
    let packed = std::fs::read_to_string(git.join("packed-refs")).ok()?;
    packed.lines().find_map(|line| {
        let (commit, reference) = line.split_once(' ')?;
        (reference == name).then(|| commit.to_owned())
    })
}

/// The start of a file the agent may have made huge: a ref is one line.
fn small_text(file: &Path) -> Option<String> {
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .ok()?
        .take(4096)
        .read_to_end(&mut bytes)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// A path's bytes as text: UTF-8 as it is, any other byte as `\xNN`.
pub(crate) fn path_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}
