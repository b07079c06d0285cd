//! Copying into a project's inbox ([`sandbox::inbox`]): dropped files and
//! folders, a pasted image, `paddock inbox`. The inbox is mounted
//! read-only into the sandbox, so what lands here is what the agent gets:
//!
//! - Symbolic links are never followed, not even one dropped by itself: the
//!   agent can write the project, and a link it left there (to `~/.ssh`, say)
//!   would otherwise carry the file it points at into the sandbox. Links and
//!   special files inside a dropped folder are skipped; every file is opened
//!   with `O_NOFOLLOW` below a folder opened the same way, so a swap between
//!   the look and the copy is no way around it.
//! - Names keep what a terminal shows as it is ([`sandbox::inbox::safe_name`]).
//! - The inbox holds at most [`CAP_BYTES`]: a copy that would pass it is
//!   refused before anything is written; one that grows past it while being
//!   copied is undone.
//! - A copy is made in a hidden staging folder of the inbox and renamed into
//!   place, so the agent never reads a half-written file under its name.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags};
use sandbox::inbox::{CAP_BYTES, Inbox, numbered, safe_name};
use sandbox::messages::{tr, tr_n};

/// The staging folders' prefix: not an entry the agent is meant to use.
const STAGING: &str = ".incoming-";

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error(
        "{}",
        gettextrs::gettext(
            "Neither XDG_DATA_HOME nor HOME is set, so Paddock has nowhere to keep the inbox; set HOME and try again"
        )
    )]
    NoDataDir,
    #[error("{}", tr("{adding} is more than the inbox has room for ({free} of {cap} left), so nothing was copied. Drop fewer or smaller files, or start a new run, which empties the inbox.", &[("adding", &size(*adding)), ("free", &size(CAP_BYTES.saturating_sub(*held))), ("cap", &size(CAP_BYTES))]))]
    TooBig { adding: u64, held: u64 },
    #[error("{}", tr("{path} is a symbolic link, which Paddock does not follow into the inbox (an agent could aim one at your keys); nothing was copied. Drop the file it points to instead.", &[("path", &shown(path))]))]
    Link { path: PathBuf },
    #[error("{}", tr("{path} is neither a file nor a folder; only files and folders go into the inbox, so nothing was copied.", &[("path", &shown(path))]))]
    Special { path: PathBuf },
    #[error("{}", tr("Cannot {action} {path}: {error}", &[("action", action), ("path", &shown(path)), ("error", &sandbox::messages::os_error(source))]))]
    Io {
        action: String,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What a copy put into the inbox.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Copied {
    /// Each copied file's or folder's path inside the sandbox.
    pub paths: Vec<String>,
    /// Symbolic links and special files inside folders, left out.
    pub skipped: usize,
}

/// The user's inbox for the project at `root`.
pub fn for_project(root: &Path) -> Result<Inbox, InboxError> {
    Inbox::for_user(root).ok_or(InboxError::NoDataDir)
}

/// Makes the inbox folder (only its owner may enter it) and returns it with
/// its links resolved, as a bind source must be.
pub fn prepare(inbox: &Inbox) -> Result<PathBuf, InboxError> {
    let folder = inbox.folder();
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(folder)
        .map_err(io(&gettextrs::gettext("create"), folder))?;
    std::fs::canonicalize(folder).map_err(io(&gettextrs::gettext("open"), folder))
}

/// Copies `sources` (absolute paths: files and folders, folders with all
/// they hold) into the inbox, or nothing when one of them cannot be.
pub fn copy_in(inbox: &Inbox, sources: &[PathBuf]) -> Result<Copied, InboxError> {
    let folder = prepare(inbox)?;
    let held = used(&folder)?;
    let mut measure = Walk::new(held, None);
    for source in sources {
        measure.top(source)?;
    }
    let staging = Staging::new(&folder)?;
    let mut copy = Walk::new(held, Some(staging.path.clone()));
    let mut taken = names_in(&folder)?;
    let mut names = Vec::new();
    for source in sources {
        let name = unique(&mut taken, source.file_name().unwrap_or_default());
        copy.top_as(source, &name)?;
        names.push(name);
    }
    let paths = staging.publish(&folder, &names)?;
    Ok(Copied {
        paths,
        skipped: copy.skipped,
    })
}

/// Saves `bytes` (a pasted image) in the inbox as `name`, numbered when the
/// name is taken; returns its path inside the sandbox.
pub fn save(inbox: &Inbox, name: &str, bytes: &[u8]) -> Result<String, InboxError> {
    let folder = prepare(inbox)?;
    let held = used(&folder)?;
    let adding = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if held.saturating_add(adding) > CAP_BYTES {
        return Err(InboxError::TooBig { adding, held });
    }
    let staging = Staging::new(&folder)?;
    let name = unique(&mut names_in(&folder)?, OsStr::new(name));
    let file = staging.path.join(&name);
    write_new(&file, bytes)?;
    let mut paths = staging.publish(&folder, &[name])?;
    Ok(paths.remove(0))
}

/// Removes everything in the inbox, keeping the folder (a sandbox that is
/// created mounts it, pinned): a new run starts with an empty inbox.
pub fn empty(inbox: &Inbox) -> Result<(), InboxError> {
    let folder = inbox.folder();
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(io(&gettextrs::gettext("read"), folder)(error)),
    };
    for entry in entries {
        let entry = entry.map_err(io(&gettextrs::gettext("read"), folder))?;
        let path = entry.path();
        let removed = match entry.file_type() {
            Ok(kind) if kind.is_dir() => std::fs::remove_dir_all(&path),
            _ => std::fs::remove_file(&path),
        };
        removed.map_err(io(&gettextrs::gettext("remove"), &path))?;
    }
    Ok(())
}

/// Removes the inbox folder itself, with the sandbox (`paddock rm`).
pub fn remove(inbox: &Inbox) -> Result<(), InboxError> {
    match std::fs::remove_dir_all(inbox.folder()) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(io(&gettextrs::gettext("remove"), inbox.folder())(error))
        }
        _ => Ok(()),
    }
}

/// A size for people: "3.2 MB".
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return tr_n("{count} byte", "{count} bytes", bytes, &[]);
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A path in a message: escaped, so a name with control characters cannot
/// rewrite the line it is shown in.
fn shown(path: &Path) -> String {
    sandbox::shown::escape(&path.to_string_lossy())
}

fn io<'a>(action: &'a str, path: &'a Path) -> impl FnOnce(std::io::Error) -> InboxError + 'a {
    move |source| InboxError::Io {
        action: action.to_owned(),
        path: path.to_owned(),
        source,
    }
}

/// How many bytes the inbox's files hold now.
fn used(folder: &Path) -> Result<u64, InboxError> {
    let mut walk = Walk::new(0, None);
    walk.limit = u64::MAX;
    let dir = open_dir(CWD, folder.as_os_str(), folder)?;
    walk.contents(dir.as_fd(), folder, None)?;
    Ok(walk.bytes)
}

fn names_in(folder: &Path) -> Result<HashSet<String>, InboxError> {
    let entries = std::fs::read_dir(folder).map_err(io(&gettextrs::gettext("read"), folder))?;
    let mut names = HashSet::new();
    for entry in entries {
        let entry = entry.map_err(io(&gettextrs::gettext("read"), folder))?;
        names.insert(entry.file_name().to_string_lossy().into_owned());
    }
    Ok(names)
}

/// A safe name for `original` that `taken` does not hold yet, then taken.
fn unique(taken: &mut HashSet<String>, original: &OsStr) -> String {
    let safe = safe_name(original);
    let safe = if safe.starts_with(STAGING) {
        format!("_{safe}")
    } else {
        safe
    };
    let mut n = 1;
    loop {
        let name = numbered(&safe, n);
        if taken.insert(name.clone()) {
            return name;
        }
        n += 1;
    }
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<(), InboxError> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(path)
        .map_err(io(&gettextrs::gettext("create"), path))?;
    file.write_all(bytes)
        .map_err(io(&gettextrs::gettext("write"), path))
}

/// A hidden folder of the inbox that a copy is made in; removed with
/// whatever is left in it when dropped.
struct Staging {
    path: PathBuf,
}

impl Staging {
    fn new(folder: &Path) -> Result<Staging, InboxError> {
        let mut n = 0u32;
        loop {
            let path = folder.join(format!("{STAGING}{}-{n}", std::process::id()));
            match std::fs::DirBuilder::new().mode(0o755).create(&path) {
                Ok(()) => return Ok(Staging { path }),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => {
                    n += 1;
                }
                Err(error) => return Err(io(&gettextrs::gettext("create"), &path)(error)),
            }
        }
    }

    /// Moves the staged entries into the inbox under their names, never
    /// over an entry already there; their paths inside the sandbox.
    fn publish(&self, folder: &Path, names: &[String]) -> Result<Vec<String>, InboxError> {
        let mut paths = Vec::new();
        for name in names {
            let from = self.path.join(name);
            let to = folder.join(name);
            rustix::fs::renameat_with(CWD, &from, CWD, &to, rustix::fs::RenameFlags::NOREPLACE)
                .map_err(|error| io(&gettextrs::gettext("move"), &to)(error.into()))?;
            paths.push(Inbox::inside(name));
        }
        Ok(paths)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// One pass over what is dropped: measuring only (no `into`), or copying
/// into `into`. Either way nothing is followed and the cap holds.
struct Walk {
    /// What the inbox held before.
    held: u64,
    /// What this pass found (or copied) so far.
    bytes: u64,
    /// The most this pass may add.
    limit: u64,
    into: Option<PathBuf>,
    skipped: usize,
}

impl Walk {
    fn new(held: u64, into: Option<PathBuf>) -> Walk {
        Walk {
            held,
            bytes: 0,
            limit: CAP_BYTES.saturating_sub(held),
            into,
            skipped: 0,
        }
    }

    fn top(&mut self, source: &Path) -> Result<(), InboxError> {
        self.top_as(source, "")
    }

    /// `source` itself, copied (in a copying pass) as `name` in `into`.
    fn top_as(&mut self, source: &Path, name: &str) -> Result<(), InboxError> {
        let (Some(parent), Some(file_name)) = (source.parent(), source.file_name()) else {
            return Err(InboxError::Special {
                path: source.to_owned(),
            });
        };
        // The folder it was dropped from is the user's choice, links and
        // all; from there on nothing is followed.
        let dir = rustix::fs::open(
            parent,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|error| io(&gettextrs::gettext("open"), parent)(error.into()))?;
        let into = self.into.as_ref().map(|into| into.join(name));
        self.entry(dir.as_fd(), file_name, source, into.as_deref(), true)
    }

    fn entry(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &OsStr,
        path: &Path,
        into: Option<&Path>,
        top: bool,
    ) -> Result<(), InboxError> {
        let stat = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|error| io(&gettextrs::gettext("read"), path)(error.into()))?;
        match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => self.file(dir, name, path, into),
            FileType::Directory => {
                let fd = open_dir(dir, name, path)?;
                if let Some(into) = into {
                    std::fs::DirBuilder::new()
                        .mode(0o755)
                        .create(into)
                        .map_err(io(&gettextrs::gettext("create"), into))?;
                }
                self.contents(fd.as_fd(), path, into)
            }
            FileType::Symlink if top => Err(InboxError::Link {
                path: path.to_owned(),
            }),
            _ if top => Err(InboxError::Special {
                path: path.to_owned(),
            }),
            _ => {
                self.skipped += 1;
                Ok(())
            }
        }
    }

    /// What the folder `dir` (at `path`) holds, each entry under a safe
    /// name of its own in `into`.
    fn contents(
        &mut self,
        dir: BorrowedFd<'_>,
        path: &Path,
        into: Option<&Path>,
    ) -> Result<(), InboxError> {
        let listing = rustix::fs::Dir::read_from(dir)
            .map_err(|error| io(&gettextrs::gettext("read"), path)(error.into()))?;
        let mut names: Vec<OsString> = Vec::new();
        for entry in listing {
            let entry =
                entry.map_err(|error| io(&gettextrs::gettext("read"), path)(error.into()))?;
            let name = OsStr::from_bytes(entry.file_name().to_bytes());
            if name != "." && name != ".." {
                names.push(name.to_owned());
            }
        }
        names.sort();
        let mut taken = HashSet::new();
        for name in names {
            let child = path.join(&name);
            let target = into.map(|into| into.join(unique(&mut taken, &name)));
            self.entry(dir, &name, &child, target.as_deref(), false)?;
        }
        Ok(())
    }

    fn file(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &OsStr,
        path: &Path,
        into: Option<&Path>,
    ) -> Result<(), InboxError> {
        let fd: OwnedFd = rustix::fs::openat(
            dir,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|error| io(&gettextrs::gettext("open"), path)(error.into()))?;
        let stat = rustix::fs::fstat(&fd)
            .map_err(|error| io(&gettextrs::gettext("read"), path)(error.into()))?;
        if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
            self.skipped += 1;
            return Ok(());
        }
        let Some(into) = into else {
            return self.add(u64::try_from(stat.st_size).unwrap_or(u64::MAX));
        };
        let mut source = std::fs::File::from(fd);
        let mut target = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(into)
            .map_err(io(&gettextrs::gettext("create"), into))?;
        let room = self.limit.saturating_sub(self.bytes);
        let copied = std::io::copy(&mut (&mut source).take(room.saturating_add(1)), &mut target)
            .map_err(io(&gettextrs::gettext("copy"), path))?;
        self.add(copied)
    }

    fn add(&mut self, bytes: u64) -> Result<(), InboxError> {
        self.bytes = self.bytes.saturating_add(bytes);
        if self.bytes > self.limit {
            return Err(InboxError::TooBig {
                adding: self.bytes,
                held: self.held,
            });
        }
        Ok(())
    }
}

fn open_dir(dir: BorrowedFd<'_>, name: &OsStr, path: &Path) -> Result<OwnedFd, InboxError> {
    rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|error| io(&gettextrs::gettext("open"), path)(error.into()))
}
