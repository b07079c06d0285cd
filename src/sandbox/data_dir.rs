//! Paddock's own data folder, where it keeps approvals and inboxes.

use std::path::PathBuf;

/// `$XDG_DATA_HOME/paddock`, else `~/.local/share/paddock`; `None` when
/// neither variable is set.
pub fn paddock() -> Option<PathBuf> {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .map(|data| data.join("paddock"))
}
