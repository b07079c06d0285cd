//! The last self-test result of this computer, in the user's data folder.

use std::path::PathBuf;

use super::SelfTestReport;

const FILE_NAME: &str = "selftest.json";

/// `$XDG_DATA_HOME/paddock/selftest.json`, else under `~/.local/share`.
pub fn store_path() -> Option<PathBuf> {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|path| path.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .map(|data| data.join("paddock").join(FILE_NAME))
}

/// The last result; none when it never ran (or the file is not one of ours:
/// a new run replaces it).
pub fn load() -> Option<SelfTestReport> {
    let bytes = std::fs::read(store_path()?).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Keeps `report` as the last result, whole or not at all.
pub fn save(report: &SelfTestReport) -> std::io::Result<()> {
    let path = store_path().ok_or_else(|| std::io::Error::other("HOME is not set"))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let partial = path.with_extension("json.partial");
    std::fs::write(&partial, serde_json::to_vec_pretty(report)?)?;
    std::fs::rename(&partial, &path)
}
