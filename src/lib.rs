//! Paddock: AI coding agents in a microVM per project.
//!
//! The layers build on each other and never reach upwards:
//! `sandbox` (pure data and text) -> `engine` (podman over the libpod API)
//! -> `host` (the desktop around it) -> `ui` and `cli` (the two front ends).

pub mod cli;
pub mod config;
pub mod engine;
pub mod host;
pub mod i18n;
pub mod sandbox;
pub mod ui;
