//! Paddock: AI coding agents in a microVM per project. This crate holds the
//! two front ends, over the layer crates of the workspace:
//! `sandbox` (pure data and text) -> `engine` (podman over the libpod API)
//! -> `host` (the desktop around it) -> `ui` and `cli`.

pub mod app_actions;
pub mod cli;
pub mod config;
pub mod i18n;
pub mod settings;
pub mod ui;
