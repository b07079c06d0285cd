//! The desktop around the engine: preflight checks, portals, settings, the keyring.

pub mod document_portal;
pub mod egress;
pub mod inbox;
pub mod launch;
pub mod login;
pub mod preflight;
pub mod secrets;
pub mod selftest;
pub mod systemd;
