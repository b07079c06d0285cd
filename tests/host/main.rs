//! The host layer (paddock-host): the approval gate on real folders and
//! with the real podman service, the document portal and systemd's user
//! manager through doubles on a private bus. No GTK: `cargo test -p
//! paddock-host`.

extern crate paddock_host as host;

mod document_portal;
mod security_approval;
mod security_gate;
mod security_image_contract;
mod security_inbox;
mod security_sandbox;
mod self_test;
mod systemd;

use support::bus::PrivateBus;

/// A connection to `bus`, as the host layer's services take it.
async fn connect(bus: &PrivateBus) -> zbus::Connection {
    zbus::connection::Builder::address(bus.address())
        .expect("a bus address")
        .build()
        .await
        .expect("the private bus answers")
}
