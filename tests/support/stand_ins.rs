//! Stand-ins for what cannot exist on the development machines: a crun
//! built with libkrun (no VM can start here), and a /dev/kvm the test user
//! may open (the real one is root's, and tests run unprivileged).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Plain crun (no VM ever starts) whose `--version` claims `+LIBKRUN` and,
/// when given, another version; returns a containers.conf that makes it
/// podman's runtime, for [`crate::podman::PodmanService::start`].
pub fn krun_runtime(dir: &Path, claimed_version: Option<&str>) -> PathBuf {
    let script = dir.join("crun-krun-stand-in");
    let version = match claimed_version {
        Some(version) => format!(" | sed 's/^crun version .*/crun version {version}/'"),
        None => String::new(),
    };
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n# Test stand-in: plain crun that claims to be built with libkrun.\nif [ \"$1\" = --version ]; then\n    /usr/bin/crun --version | sed 's/+YAJL/+LIBKRUN +YAJL/'{version}\n    exit 0\nfi\nexec /usr/bin/crun \"$@\"\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let conf = dir.join("containers.conf");
    std::fs::write(
        &conf,
        format!(
            "[engine]\nruntime = \"crun\"\n\n[engine.runtimes]\ncrun = [\"{}\"]\n",
            script.display()
        ),
    )
    .unwrap();
    conf
}

/// A file standing in for /dev/kvm with `mode`.
pub fn kvm(dir: &Path, mode: u32) -> PathBuf {
    let path = dir.join(format!("kvm-stand-in-{mode:o}"));
    std::fs::write(&path, b"").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}
