//! What the sandbox layer needs to know about the host, handed in by the
//! caller (the engine or the CLI find it out; nothing here asks podman).

use std::path::PathBuf;

/// The Fedora release used when the host's own cannot be found out.
pub const PINNED_FEDORA: &str = "44";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFacts {
    /// The host user, who owns the project: the agent user gets the same ids.
    pub uid: u32,
    pub gid: u32,
    /// The host's `uname -r`, for a microVM's isolation check; `None` for a
    /// plain container, which shares it by definition.
    pub kernel: Option<String>,
    /// The user's home folder (never a project; holds ~/.ssh and friends).
    pub home: PathBuf,
}

/// The default base image: the host's own Fedora release, from the text of
/// `/etc/os-release`, else a pinned Fedora.
pub fn default_base_image(os_release: Option<&str>) -> String {
    let field = |name: &str| {
        os_release?.lines().find_map(|line| {
            let value = line.strip_prefix(name)?.strip_prefix('=')?;
            Some(
                value
                    .trim()
                    .trim_matches(|c| c == '"' || c == '\'')
                    .to_owned(),
            )
        })
    };
    let version = match (field("ID").as_deref(), field("VERSION_ID")) {
        (Some("fedora"), Some(version))
            if !version.is_empty() && version.chars().all(|c| c.is_ascii_digit()) =>
        {
            version
        }
        _ => PINNED_FEDORA.to_owned(),
    };
    format!("registry.fedoraproject.org/fedora:{version}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fedora_host_gets_its_release() {
        let text = "NAME=\"Fedora Linux\"\nVERSION_ID=43\nID=fedora\n";
        assert_eq!(
            default_base_image(Some(text)),
            "registry.fedoraproject.org/fedora:43"
        );
    }

    #[test]
    fn anything_else_gets_the_pinned_release() {
        let pinned = format!("registry.fedoraproject.org/fedora:{PINNED_FEDORA}");
        assert_eq!(
            default_base_image(Some("ID=debian\nVERSION_ID=\"13\"\n")),
            pinned
        );
        assert_eq!(
            default_base_image(Some("ID=fedora\nVERSION_ID=rawhide\n")),
            pinned
        );
        assert_eq!(default_base_image(None), pinned);
    }
}
