//! Podman over the libpod API: build, run, attach, wait, list, events, the
//! sandbox's secrets. Async, no GTK.
//!
//! podman-api does most calls; those it cannot do well go straight to the
//! libpod endpoint through [`raw`]: the build (podman-api only sends a folder
//! and cannot drop a build half-way), the container list (its model does not
//! match podman 5's), logs and the event stream (owned, not borrowed).

mod build;
mod connect;
mod egress;
mod error;
mod events;
mod images;
mod info;
mod isolation;
mod keys;
mod list;
mod raw;
mod run;
mod secrets;
mod session;

use std::path::PathBuf;
use std::sync::Arc;

pub use build::{BuildEvent, BuildOutcome, BuildStep};
pub use connect::Endpoint;
pub use egress::{
    Egress, GatewayLog, GatewaySetup, OUTER_NETWORK, build_name, gateway_name, network_name,
};
pub use error::{ENABLE_SOCKET, Error, INSTALL_KRUN, Result};
pub use events::{Change, SandboxEvent, SandboxEvents};
pub use info::HostInfo;
pub use isolation::HostView;
pub use keys::{KEY_PORT_FIRST, OutsideKey, outside_keys};
pub use list::{SandboxState, SandboxSummary};
pub use session::{Output, Session, SessionInput, SessionOutput};

/// A connection to the user's podman service.
#[derive(Clone)]
pub struct Engine {
    podman: podman_api::Podman,
    raw: raw::Raw,
    socket: PathBuf,
    /// What podman says about the host, asked once per connection (and
    /// shared by clones): libpod's `info` takes hundreds of milliseconds,
    /// and none of what Paddock reads from it changes while it runs.
    host: Arc<tokio::sync::OnceCell<HostInfo>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("socket", &self.socket)
            .finish()
    }
}
