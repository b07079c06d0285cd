//! What podman reports about the host: the facts preflight checks and the
//! isolation rules depend on, in a small struct of our own.

use crate::{Engine, Result};
use std::path::PathBuf;

use sandbox::host_facts::{HostFacts, VmSizing};
use sandbox::plan::Isolation;

/// The host as podman sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostInfo {
    /// e.g. "5.4.2"
    pub podman_version: String,
    pub rootless: bool,
    /// The default OCI runtime's name ("crun"), path and full `--version` text.
    pub runtime_name: String,
    pub runtime_path: String,
    pub runtime_version: String,
    /// crun's own version ("1.21") when the runtime is crun.
    pub crun_version: Option<String>,
    /// The runtime is a crun built with libkrun (`+LIBKRUN`); only then does
    /// `run.oci.handler=krun` start a microVM rather than being ignored.
    pub krun_available: bool,
    /// "v1" or "v2"
    pub cgroups_version: String,
    /// The host's kernel release, which a microVM's guest kernel must differ from.
    pub kernel: String,
}

impl HostInfo {
    fn from_podman(info: podman_api::models::Info) -> HostInfo {
        let host = info.host.as_ref();
        let runtime = host.and_then(|host| host.oci_runtime.as_ref());
        let runtime_field = |field: fn(&podman_api::models::OciRuntimeInfo) -> &Option<String>| {
            runtime
                .and_then(|runtime| field(runtime).clone())
                .unwrap_or_default()
        };
        let runtime_version = runtime_field(|runtime| &runtime.version);
        HostInfo {
            podman_version: info
                .version
                .as_ref()
                .and_then(|version| version.version.clone())
                .unwrap_or_default(),
            rootless: host
                .and_then(|host| host.security.as_ref())
                .and_then(|security| security.rootless)
                .unwrap_or(false),
            runtime_name: runtime_field(|runtime| &runtime.name),
            runtime_path: runtime_field(|runtime| &runtime.path),
            crun_version: crun_version(&runtime_version),
            krun_available: has_libkrun(&runtime_version),
            runtime_version,
            cgroups_version: host
                .and_then(|host| host.cgroup_version.clone())
                .unwrap_or_default(),
            kernel: host
                .and_then(|host| host.kernel.clone())
                .unwrap_or_default(),
        }
    }
}

/// crun lists its build features as `+NAME`; `+LIBKRUN` means krun support.
fn has_libkrun(runtime_version: &str) -> bool {
    runtime_version
        .split_whitespace()
        .any(|feature| feature == "+LIBKRUN")
}

/// "crun version 1.21\ncommit: …" -> "1.21".
fn crun_version(runtime_version: &str) -> Option<String> {
    runtime_version
        .lines()
        .find_map(|line| line.trim().strip_prefix("crun version "))
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
}

impl Engine {
    /// The host facts Paddock depends on (runtime, krun, cgroups, kernel),
    /// asked of podman on the first call only.
    pub async fn info(&self) -> Result<HostInfo> {
        let host = self
            .host
            .get_or_try_init(|| async {
                Ok::<_, crate::Error>(HostInfo::from_podman(self.podman.info().await?))
            })
            .await?;
        Ok(host.clone())
    }

    /// The host facts a plan for a sandbox of this isolation needs. Only a
    /// microVM needs any from podman (the kernel its isolation check compares
    /// with, how its crun sizes it): a plain container shares the host's
    /// kernel by definition and has no VM to size, so planning one never
    /// waits for podman's `info`.
    pub async fn host_facts(
        &self,
        isolation: Isolation,
        uid: u32,
        gid: u32,
        home: PathBuf,
    ) -> Result<HostFacts> {
        let (kernel, vm_sizing) = match isolation {
            Isolation::MicroVm => {
                let info = self.info().await?;
                let sizing = VmSizing::for_crun(info.crun_version.as_deref());
                (Some(info.kernel), sizing)
            }
            Isolation::Container => (None, VmSizing::Annotations),
        };
        Ok(HostFacts {
            uid,
            gid,
            kernel,
            home,
            vm_sizing,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN_CRUN: &str = "crun version 1.21\ncommit: 10269840aa07fb7e6b7e1acff6198692d8ff5c88\nrundir: /run/user/1000/crun\nspec: 1.0.0\n+SYSTEMD +SELINUX +APPARMOR +CAP +SECCOMP +EBPF +CRIU +YAJL";
    const FEDORA_CRUN_KRUN: &str = "crun version 1.27\ncommit: abc\nrundir: /run/user/1000/crun\nspec: 1.0.0\n+SYSTEMD +SELINUX +APPARMOR +CAP +SECCOMP +EBPF +CRIU +LIBKRUN +WASM:wasmedge +YAJL";

    #[test]
    fn libkrun_is_seen_only_when_crun_lists_it() {
        assert!(!has_libkrun(DEBIAN_CRUN));
        assert!(has_libkrun(FEDORA_CRUN_KRUN));
        assert!(!has_libkrun("crun version 1.27 +LIBKRUNX"));
    }

    #[test]
    fn crun_version_is_read_from_the_first_line() {
        assert_eq!(crun_version(DEBIAN_CRUN).as_deref(), Some("1.21"));
        assert_eq!(crun_version(FEDORA_CRUN_KRUN).as_deref(), Some("1.27"));
        assert_eq!(crun_version("runc version 1.1.12\ncommit: v1"), None);
    }

    #[test]
    fn a_libpod_info_document_becomes_host_info() {
        let info: podman_api::models::Info = serde_json::from_value(serde_json::json!({
            "host": {
                "cgroupVersion": "v2",
                "kernel": "6.14.0-63.fc42.x86_64",
                "ociRuntime": {"name": "crun", "path": "/usr/bin/crun", "version": FEDORA_CRUN_KRUN},
                "security": {"rootless": true}
            },
            "version": {"Version": "5.4.2"}
        }))
        .unwrap();
        let host = HostInfo::from_podman(info);
        assert_eq!(host.podman_version, "5.4.2");
        assert!(host.rootless);
        assert_eq!(host.runtime_name, "crun");
        assert_eq!(host.runtime_path, "/usr/bin/crun");
        assert!(host.krun_available);
        assert_eq!(host.crun_version.as_deref(), Some("1.27"));
        assert_eq!(host.cgroups_version, "v2");
        assert_eq!(host.kernel, "6.14.0-63.fc42.x86_64");
    }
}
