//! The desktop around the engine: preflight checks, portals, settings.

pub mod approval;
