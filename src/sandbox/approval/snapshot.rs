//! The files of `.agent-sandbox/` that decide what a sandbox is, as read at
//! one moment: their digest and the diff between two readings.
//!
//! What counts: `paddock.toml` and the hand-written Containerfile it names,
//! if any. The generated files (Containerfile, entrypoint.sh, compose.yaml)
//! do not: Paddock renders them afresh from `paddock.toml` for every build
//! and never builds from the copies on disk, so a change to them changes
//! nothing Paddock runs (they are for podman-compose users).

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::ApprovalError;
use crate::messages::tr;
use crate::project::{DEFINITION_FILE, Project};

/// The definition's files by name, as bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    files: BTreeMap<String, Vec<u8>>,
}

impl Snapshot {
    /// Reads `paddock.toml` and the Containerfile it names. Symbolic links
    /// are not followed: `.agent-sandbox/` is read-only inside the sandbox,
    /// its link targets need not be.
    pub fn read(project: &Project) -> Result<Snapshot, ApprovalError> {
        project.refuse_links(None)?;
        let dir = project.sandbox_dir();
        let definition =
            read_file(&dir, DEFINITION_FILE)?.ok_or_else(|| ApprovalError::NoDefinition {
                path: project.root().to_owned(),
            })?;
        let mut files = BTreeMap::new();
        if let Some(name) = containerfile_name(&definition)
            && let Some(contents) = read_file(&dir, &name)?
        {
            files.insert(name, contents);
        }
        files.insert(DEFINITION_FILE.to_owned(), definition);
        Ok(Snapshot { files })
    }

    pub(super) fn from_files(files: BTreeMap<String, Vec<u8>>) -> Snapshot {
        Snapshot { files }
    }

    pub fn files(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.files
    }

    /// `paddock.toml` as text.
    pub fn definition_text(&self) -> String {
        self.text(DEFINITION_FILE)
    }

    fn text(&self, name: &str) -> String {
        self.files
            .get(name)
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .unwrap_or_default()
    }

    /// A SHA-256 over every file's name and bytes, in hex.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        let mut field = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        field(b"paddock-approval-1");
        for (name, contents) in &self.files {
            field(name.as_bytes());
            field(contents);
        }
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// A unified diff from `old` (what was approved; `None` when nothing
    /// was) to this snapshot, file by file.
    pub fn diff_from(&self, old: Option<&Snapshot>) -> String {
        let empty = Snapshot::default();
        let old = old.unwrap_or(&empty);
        let names: std::collections::BTreeSet<&String> =
            old.files.keys().chain(self.files.keys()).collect();
        let mut out = String::new();
        for name in names {
            let (before, after) = (old.text(name), self.text(name));
            if before == after && old.files.get(name) == self.files.get(name) {
                continue;
            }
            let from = if old.files.contains_key(name) {
                format!("approved/{name}")
            } else {
                "/dev/null".to_owned()
            };
            let to = if self.files.contains_key(name) {
                format!("current/{name}")
            } else {
                "/dev/null".to_owned()
            };
            let diff = similar::TextDiff::from_lines(&before, &after);
            let text = diff.unified_diff().header(&from, &to).to_string();
            if text.is_empty() {
                // Same text once decoded: the bytes differ outside UTF-8.
                out.push_str(&tr(
                    "{name}: the bytes changed, the text did not (invalid UTF-8)\n",
                    &[("name", name)],
                ));
            } else {
                out.push_str(&text);
                if !text.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
        out
    }
}

/// `image.containerfile` of a definition text, when it names a plain file
/// of `.agent-sandbox/`. Read leniently: an invalid definition still gets
/// its diff shown; validation reports its errors when it is loaded.
fn containerfile_name(definition: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(definition).ok()?;
    let value: toml::Table = toml::from_str(text).ok()?;
    let name = value.get("image")?.get("containerfile")?.as_str()?;
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && !name.contains('/')
        && name != DEFINITION_FILE;
    plain.then(|| name.to_owned())
}

/// A regular file's bytes; `None` when it does not exist.
fn read_file(dir: &Path, name: &str) -> Result<Option<Vec<u8>>, ApprovalError> {
    let path = dir.join(name);
    match std::fs::symlink_metadata(&path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(ApprovalError::io("read", &path, source)),
        Ok(meta) if !meta.file_type().is_file() => {
            return Err(ApprovalError::NotAFile { path });
        }
        Ok(_) => {}
    }
    std::fs::read(&path)
        .map(Some)
        .map_err(|source| ApprovalError::io("read", &path, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(files: &[(&str, &str)]) -> Snapshot {
        Snapshot::from_files(
            files
                .iter()
                .map(|(n, c)| (n.to_string(), c.as_bytes().to_vec()))
                .collect(),
        )
    }

    #[test]
    fn digest_depends_on_names_and_contents() {
        let a = snapshot(&[("paddock.toml", "version = 1\n")]);
        assert_eq!(a.digest(), a.clone().digest());
        assert_eq!(a.digest().len(), 64);
        assert_ne!(
            a.digest(),
            snapshot(&[("paddock.toml", "version = 2\n")]).digest()
        );
        assert_ne!(
            a.digest(),
            snapshot(&[("paddock.toml", "version = 1\n"), ("Dockerfile", "")]).digest()
        );
        // Length prefixes: moving bytes between name and contents shows.
        assert_ne!(
            snapshot(&[("ab", "c")]).digest(),
            snapshot(&[("a", "bc")]).digest()
        );
    }

    #[test]
    fn diff_shows_changed_added_and_removed_files() {
        let old = snapshot(&[
            ("paddock.toml", "version = 1\ncpus = 2\n"),
            ("Dockerfile", "FROM a\n"),
        ]);
        let new = snapshot(&[("paddock.toml", "version = 1\ncpus = 8\n")]);
        let diff = new.diff_from(Some(&old));
        assert!(diff.contains("--- approved/paddock.toml"), "{diff}");
        assert!(diff.contains("+++ current/paddock.toml"), "{diff}");
        assert!(diff.contains("-cpus = 2\n+cpus = 8\n"), "{diff}");
        assert!(
            diff.contains("--- approved/Dockerfile\n+++ /dev/null"),
            "{diff}"
        );
        assert!(diff.contains("-FROM a"), "{diff}");

        let first = new.diff_from(None);
        assert!(
            first.contains("--- /dev/null\n+++ current/paddock.toml"),
            "{first}"
        );
        assert!(first.contains("+cpus = 8"), "{first}");
        assert_eq!(new.diff_from(Some(&new)), "");
    }

    #[test]
    fn containerfile_name_is_a_plain_file_or_nothing() {
        let name = |text: &str| containerfile_name(text.as_bytes());
        assert_eq!(
            name("[image]\ncontainerfile = \"Dockerfile\"\n").as_deref(),
            Some("Dockerfile")
        );
        for bad in [
            "../../.ssh/id_ed25519",
            "/etc/passwd",
            ".hidden",
            "paddock.toml",
            "",
        ] {
            assert_eq!(
                name(&format!("[image]\ncontainerfile = {bad:?}\n")),
                None,
                "{bad}"
            );
        }
        assert_eq!(name("not toml ["), None);
        assert_eq!(name("[image]\ncontainerfile = 3\n"), None);
    }
}
