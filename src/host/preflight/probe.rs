//! Where the checks look: the KVM device and the library folders.

use std::path::{Path, PathBuf};

/// The places the preflight checks look at.
#[derive(Debug, Clone)]
pub struct Probe {
    pub(super) kvm_device: PathBuf,
    pub(super) library_dirs: Vec<PathBuf>,
}

impl Probe {
    /// The real system: `/dev/kvm` and the usual library folders (the
    /// host's, seen from inside a Flatpak).
    pub fn from_env() -> Probe {
        let root = if Path::new("/.flatpak-info").exists() {
            Path::new("/run/host")
        } else {
            Path::new("/")
        };
        let arch = std::env::consts::ARCH;
        let library_dirs = [
            "usr/lib64".to_owned(),
            "usr/lib".to_owned(),
            format!("usr/lib/{arch}-linux-gnu"),
            "usr/local/lib64".to_owned(),
            "usr/local/lib".to_owned(),
        ]
        .iter()
        .map(|dir| root.join(dir))
        .collect();
        Probe {
            kvm_device: kvm_device(),
            library_dirs,
        }
    }

    /// The newest libkrun found in the library folders, as "X.Y.Z".
    pub fn libkrun_version(&self) -> Option<String> {
        super::checks::find_libkrun(&self.library_dirs)
    }
}

/// `/dev/kvm`. A build with the `test-hooks` feature (the tests' own, never
/// a release) looks at `$PADDOCK_KVM_DEVICE` instead when it is set, so that
/// tests can provoke an unusable device without touching the real one.
fn kvm_device() -> PathBuf {
    #[cfg(feature = "test-hooks")]
    if let Some(path) = std::env::var_os("PADDOCK_KVM_DEVICE").filter(|path| !path.is_empty()) {
        return PathBuf::from(path);
    }
    PathBuf::from("/dev/kvm")
}
