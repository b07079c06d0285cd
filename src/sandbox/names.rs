//! The names and labels of a project's podman objects.
//!
//! A slug is the folder name made safe for podman (lowercase letters, digits
//! and `-`) plus a 128-bit hash of the absolute path, so two folders never
//! share a container, image or volume: with the 32 bits of earlier versions
//! a path could be chosen to collide with another project's (and share its
//! cache volumes).

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::definition::AgentHome;

/// Label holding the project's absolute path.
pub const LABEL_PROJECT: &str = "io.github.paddockapp.project";
/// Label holding the spec hash the object was made from.
pub const LABEL_SPEC: &str = "io.github.paddockapp.spec";
/// Label naming the sandbox (container) a podman secret belongs to.
pub const LABEL_SANDBOX: &str = "io.github.paddockapp.sandbox";

/// How much of the path's SHA-256 a slug keeps.
const PATH_HASH_BYTES: usize = 16;
/// How much earlier versions kept: their volumes are still found.
const EARLIER_PATH_HASH_BYTES: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    slug: String,
    earlier_slug: String,
}

impl Names {
    /// The names for a project at `root` (absolute, symlinks resolved).
    pub fn for_project(root: &Path) -> Names {
        let folder = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut readable = String::new();
        for c in folder.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                readable.push(c);
            } else if !readable.is_empty() && !readable.ends_with('-') {
                readable.push('-');
            }
        }
        let mut readable: String = readable.trim_end_matches('-').chars().take(40).collect();
        readable = readable.trim_end_matches('-').to_owned();
        if readable.is_empty() {
            readable.push_str("project");
        }
        let digest = Sha256::digest(root.as_os_str().as_encoded_bytes());
        let hash = |bytes: usize| -> String {
            digest
                .iter()
                .take(bytes)
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        Names {
            slug: format!("{readable}-{}", hash(PATH_HASH_BYTES)),
            earlier_slug: format!("{readable}-{}", hash(EARLIER_PATH_HASH_BYTES)),
        }
    }

    pub fn slug(&self) -> &str {
        &self.slug
    }

    /// `paddock-<slug>`
    pub fn container(&self) -> String {
        format!("paddock-{}", self.slug)
    }

    /// `localhost/paddock/<slug>`
    pub fn repository(&self) -> String {
        format!("localhost/paddock/{}", self.slug)
    }

    /// `localhost/paddock/<slug>:<spec hash>`
    pub fn image(&self, spec_hash: &str) -> String {
        format!("{}:{spec_hash}", self.repository())
    }

    /// `paddock-<agent>-login`: the agent's login files, for every project.
    pub fn login_volume(agent_id: &str) -> String {
        format!("paddock-{agent_id}-login")
    }

    /// `paddock-<agent>-home`, or `paddock-<slug>-<agent>-home` per project.
    pub fn home_volume(&self, agent_id: &str, home: AgentHome) -> String {
        match home {
            AgentHome::Shared => format!("paddock-{agent_id}-home"),
            AgentHome::Project => format!("paddock-{}-{agent_id}-home", self.slug),
        }
    }

    /// `paddock-<slug>-cache-<name>`
    pub fn cache_volume(&self, name: &str) -> String {
        format!("paddock-{}-cache-{name}", self.slug)
    }

    /// What an earlier version (with a 32-bit path hash) named `volume`,
    /// one of these names' per-project volumes; `None` for a volume that
    /// has no slug in its name (a shared agent home).
    pub fn earlier_volume(&self, volume: &str) -> Option<String> {
        let rest = volume.strip_prefix(&format!("paddock-{}-", self.slug))?;
        Some(format!("paddock-{}-{rest}", self.earlier_slug))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid_podman_name(name: &str) -> bool {
        name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    }

    #[test]
    fn same_folder_name_different_paths() {
        let a = Names::for_project(Path::new("/home/u/work/app"));
        let b = Names::for_project(Path::new("/home/u/other/app"));
        assert_ne!(a.slug(), b.slug());
        assert!(a.slug().starts_with("app-"));
        let hash = a.slug().trim_start_matches("app-");
        assert_eq!(hash.len(), 32, "128 bits: {hash}");
    }

    #[test]
    fn odd_folder_names_become_valid_names() {
        for path in [
            "/home/u/My Project (v2)",
            "/home/u/ünïcødé",
            "/home/u/---",
            "/home/u/.hidden",
            "/",
        ] {
            let names = Names::for_project(Path::new(path));
            assert!(
                valid_podman_name(&names.container()),
                "{path}: {}",
                names.container()
            );
            assert!(valid_podman_name(&names.cache_volume("venv")));
            assert!(
                names
                    .slug()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{path}"
            );
        }
        assert!(
            Names::for_project(Path::new("/home/u/My Project (v2)"))
                .slug()
                .starts_with("my-project-v2-")
        );
    }

    #[test]
    fn per_project_volumes_know_their_earlier_names() {
        let names = Names::for_project(Path::new("/p/demo"));
        let cache = names.cache_volume("venv");
        let earlier = names.earlier_volume(&cache).expect("a per-project volume");
        assert!(earlier.starts_with("paddock-demo-"), "{earlier}");
        assert!(earlier.ends_with("-cache-venv"), "{earlier}");
        assert_eq!(earlier.len() + 24, cache.len(), "{earlier} {cache}");
        assert_eq!(
            names.earlier_volume(&names.home_volume("claude", AgentHome::Shared)),
            None
        );
        assert!(
            names
                .earlier_volume(&names.home_volume("claude", AgentHome::Project))
                .is_some()
        );
    }

    #[test]
    fn volume_names() {
        let names = Names::for_project(Path::new("/p/demo"));
        assert_eq!(
            names.home_volume("claude", AgentHome::Shared),
            "paddock-claude-home"
        );
        assert_eq!(
            names.home_volume("claude", AgentHome::Project),
            format!("paddock-{}-claude-home", names.slug())
        );
        assert_eq!(
            names.image("abc"),
            format!("localhost/paddock/{}:abc", names.slug())
        );
    }
}
