//! The inbox: a folder per project that Paddock keeps outside the project,
//! under its own data folder, and mounts read-only into the sandbox at
//! [`TARGET`], for what the user pastes or drops on the agent's terminal.
//! Here: where it is, what the files in it are called, and how their paths
//! are typed into the terminal. Copying in is the host layer's
//! (`host::inbox`).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::names::Names;

/// Where the sandbox sees its inbox.
pub const TARGET: &str = "/run/paddock/inbox";

/// The most an inbox holds at once, in bytes (500 MB): screenshots and
/// source files fit many times over, a disk image or a build folder does not.
pub const CAP_BYTES: u64 = 500_000_000;

/// One project's inbox on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbox {
    folder: PathBuf,
}

impl Inbox {
    /// The inbox of the project at `root` (absolute, links resolved) under
    /// Paddock's data folder `data`: `data/inbox/<slug>`, so that two
    /// projects (even two of the same folder name) never share one.
    pub fn of(data: &Path, root: &Path) -> Inbox {
        Inbox {
            folder: data.join("inbox").join(Names::for_project(root).slug()),
        }
    }

    /// The user's inbox for the project at `root`, under
    /// [`crate::data_dir::paddock`].
    pub fn for_user(root: &Path) -> Option<Inbox> {
        crate::data_dir::paddock().map(|data| Inbox::of(&data, root))
    }

    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The path inside the sandbox of the inbox's entry `name`.
    pub fn inside(name: &str) -> String {
        format!("{TARGET}/{name}")
    }
}

/// A name for an inbox entry from the one it had: what a terminal would
/// act on or not show as it is (control characters, Unicode's bidi and
/// other format characters) becomes `_`, so the typed path can never end a
/// bracketed paste or start a command; a name that is not UTF-8 gets U+FFFD
/// for what is not; an empty name, `.` and `..` become `file`.
pub fn safe_name(name: &OsStr) -> String {
    let name: String = name
        .to_string_lossy()
        .chars()
        .map(|c| if hidden(c) { '_' } else { c })
        .collect();
    match name.as_str() {
        "" | "." | ".." => "file".to_owned(),
        _ => name,
    }
}

/// Control characters, and the invisible ones that reorder or hide text.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}')
}

/// `name`, or `name (2)`, `name (3)`, ... (before the extension) for the
/// `n`th try at a name not taken yet.
pub fn numbered(name: &str, n: u32) -> String {
    if n < 2 {
        return name.to_owned();
    }
    match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => format!("{stem} ({n}).{extension}"),
        _ => format!("{name} ({n})"),
    }
}

/// `text` as one word of a POSIX shell: as it is when it holds only
/// characters no shell treats specially, else in single quotes (each `'`
/// written as `'\''`).
pub fn shell_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// The in-sandbox paths as typed into the terminal: quoted, space-separated.
pub fn typed(paths: &[String]) -> String {
    paths
        .iter()
        .map(|path| shell_quote(path))
        .collect::<Vec<_>>()
        .join(" ")
}
