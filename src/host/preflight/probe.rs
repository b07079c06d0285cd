//! Where the checks look: the KVM device, the library folders, the user bus.
//! The real places by default; tests point them elsewhere.

use std::path::{Path, PathBuf};

/// Overrides the KVM device the check looks at, so that tests can provoke an
/// unusable device without touching the real one.
pub const KVM_DEVICE_VAR: &str = "PADDOCK_KVM_DEVICE";

/// The places the preflight checks look at.
#[derive(Debug, Clone)]
pub struct Probe {
    pub(super) kvm_device: PathBuf,
    pub(super) library_dirs: Vec<PathBuf>,
    /// systemd's user manager lives on the session bus; `None` connects to
    /// it when needed.
    pub(super) bus: Option<zbus::Connection>,
}

impl Probe {
    /// The real system: `/dev/kvm` (or `$PADDOCK_KVM_DEVICE`), the usual
    /// library folders (the host's, seen from inside a Flatpak), the session bus.
    pub fn from_env() -> Probe {
        let kvm_device = std::env::var_os(KVM_DEVICE_VAR)
            .filter(|path| !path.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/dev/kvm"));
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
            kvm_device,
            library_dirs,
            bus: None,
        }
    }

    /// Looks at `path` instead of /dev/kvm.
    pub fn with_kvm_device(mut self, path: impl Into<PathBuf>) -> Probe {
        self.kvm_device = path.into();
        self
    }

    /// Looks for libkrun in `dirs` instead of the system's library folders.
    pub fn with_library_dirs(mut self, dirs: Vec<PathBuf>) -> Probe {
        self.library_dirs = dirs;
        self
    }

    /// Talks to systemd's user manager on `bus` instead of the session bus.
    pub fn with_bus(mut self, bus: zbus::Connection) -> Probe {
        self.bus = Some(bus);
        self
    }

    pub(super) async fn bus(&self) -> zbus::Result<zbus::Connection> {
        match &self.bus {
            Some(bus) => Ok(bus.clone()),
            None => zbus::Connection::session().await,
        }
    }
}
