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
    runtime_conf(dir, &script)
}

/// A file standing in for /dev/kvm with `mode`.
pub fn kvm(dir: &Path, mode: u32) -> PathBuf {
    let path = dir.join(format!("kvm-stand-in-{mode:o}"));
    std::fs::write(&path, b"").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

/// A runtime like [`krun_runtime`] whose "VMM" fails the way libkrun's does
/// on a nested KVM host: instead of a microVM's process (one with the krun
/// annotation; a build's steps run as usual) it prints
/// libkrun's coloured error line on stderr and exits 1. Returns its
/// containers.conf.
pub fn failing_vmm_runtime(dir: &Path) -> PathBuf {
    let script = dir.join("crun-failing-vmm-stand-in");
    std::fs::write(
        &script,
        r#"#!/bin/sh
# Test stand-in: crun that claims libkrun and whose VMM fails at boot.
if [ "$1" = --version ]; then
    /usr/bin/crun --version | sed 's/+YAJL/+LIBKRUN +YAJL/'
    exit 0
fi
previous=
for arg in "$@"; do
    case $previous:$arg in
    --bundle:* | -b:*) bundle=$arg ;;
    *:--bundle=*) bundle=${arg#--bundle=} ;;
    esac
    previous=$arg
done
if [ -n "${bundle:-}" ] && [ -f "$bundle/config.json" ]; then
    /usr/bin/python3 - "$bundle/config.json" <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as file:
    config = json.load(file)
# Only the sandbox asks for krun; the build's RUN steps do not.
if config.get("annotations", {}).get("run.oci.handler") == "krun":
    config["process"]["args"] = ["/bin/sh", "-c", "printf '\\033[90m[\\033[0m2026-12-01T10:00:00Z \\033[31mERROR\\033[0m krun_vmm::linux::vstate\\033[90m]\\033[0m Received KVM_EXIT_INTERNAL_ERROR signal\\n' >&2; exit 1"]
    with open(path, "w") as file:
        json.dump(config, file)
PY
fi
exec /usr/bin/crun "$@"
"#,
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    runtime_conf(dir, &script)
}

/// A containers.conf that makes `script` podman's runtime.
fn runtime_conf(dir: &Path, script: &Path) -> PathBuf {
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
