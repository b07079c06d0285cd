//! The sandbox definition and the files it becomes: pure data and text, no podman.

pub mod plan;
