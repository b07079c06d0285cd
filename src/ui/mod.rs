//! The GNOME front end (relm4 + libadwaita).

mod actions;
mod ansi;
mod app;
mod bridge;
mod components;
mod dialogs;
mod folder;
mod introspection;
mod notify;
mod pages;
mod project_plan;
mod report_line;
mod settings;
mod state;
mod status;
mod text;

use std::process::ExitCode;

use relm4::prelude::*;

use crate::config::APP_ID;

/// Runs the window, or hands over to the instance already running (GApplication
/// is single-instance: a second launch activates the first and exits).
pub fn run() -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .try_init();
    let app = adw::Application::builder().application_id(APP_ID).build();
    RelmApp::from_app(app).run_async::<app::App>(());
    ExitCode::SUCCESS
}
