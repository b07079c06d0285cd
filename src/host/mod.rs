//! The desktop around the engine: preflight checks, portals, settings.

pub mod approval;
pub mod document_portal;
pub mod preflight;
pub mod systemd;
