//! What the sandbox layer needs to know about the host, handed in by the
//! caller (the engine or the CLI find it out; nothing here asks podman).

use std::path::PathBuf;

use crate::version::at_least;

/// The Fedora release used when the host's own cannot be found out.
pub const PINNED_FEDORA: &str = "44";
/// The lowest crun that sizes a microVM from the `krun.cpus` / `krun.ram_mib`
/// annotations; older ones ignore them.
pub const MIN_CRUN: &str = "1.27";

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
    /// How podman's crun learns a microVM's CPUs and memory.
    pub vm_sizing: VmSizing,
}

/// How a krun microVM gets the CPUs and memory the definition asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmSizing {
    /// From the `krun.cpus` / `krun.ram_mib` annotations at run time, so the
    /// image does not depend on them.
    Annotations,
    /// From `/.krun_vm.json` in the image, the only place older crun reads
    /// them from: changing them rebuilds the image.
    ImageFile,
}

impl VmSizing {
    /// For podman's crun, by its version (`HostInfo::crun_version`). Only a
    /// crun known to read the annotations gets `Annotations`: the file works
    /// with every crun that has krun, and where both are there the
    /// annotations win (crun's krun.1 man page), with the same numbers.
    pub fn for_crun(crun_version: Option<&str>) -> VmSizing {
        match crun_version.and_then(|version| at_least(version, MIN_CRUN)) {
            Some(true) => VmSizing::Annotations,
            Some(false) | None => VmSizing::ImageFile,
        }
    }
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
    fn only_a_crun_known_to_read_the_annotations_sizes_by_annotation() {
        assert_eq!(VmSizing::for_crun(Some("1.27")), VmSizing::Annotations);
        assert_eq!(VmSizing::for_crun(Some("1.29.1")), VmSizing::Annotations);
        assert_eq!(VmSizing::for_crun(Some("1.21")), VmSizing::ImageFile);
        assert_eq!(VmSizing::for_crun(Some("1.9")), VmSizing::ImageFile);
        assert_eq!(VmSizing::for_crun(Some("unknown")), VmSizing::ImageFile);
        assert_eq!(VmSizing::for_crun(None), VmSizing::ImageFile);
    }

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
