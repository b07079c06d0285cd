//! Podman over the libpod API: build, run, attach, wait, list, events. Async, no GTK.
//!
//! podman-api does most calls; the few it gets wrong (the build stream, which it
//! cannot parse to the end) go straight to the libpod endpoint through [`raw`].

mod build;
mod connect;
mod error;
mod info;
mod raw;

use std::path::PathBuf;

pub use build::{BuildEvent, BuildOutcome, BuildStep};
pub use error::{ENABLE_SOCKET, Error, INSTALL_KRUN, Result};
pub use info::HostInfo;

/// The label every Paddock object carries: the project's absolute path.
pub const PROJECT_LABEL: &str = "io.github.paddockapp.project";
/// The label holding the hash of the definition a sandbox was made from.
pub const SPEC_LABEL: &str = "io.github.paddockapp.spec";

/// A connection to the user's podman service.
#[derive(Clone)]
pub struct Engine {
    podman: podman_api::Podman,
    raw: raw::Raw,
    socket: PathBuf,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("socket", &self.socket)
            .finish()
    }
}
