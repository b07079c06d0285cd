//! The GNOME front end (relm4 + libadwaita).

mod actions;
mod ansi;
mod app;
mod bridge;
mod components;
mod debounce;
mod dialogs;
mod error;
mod folder;
#[cfg(feature = "test-hooks")]
mod introspection;
mod notify;
mod pages;
mod preferences;
mod project_plan;
mod state;
mod status;
mod text;

use std::process::ExitCode;

use gtk::gio::prelude::*;
use relm4::prelude::*;

use crate::config::APP_ID;

/// Runs the window, or hands over to the instance already running (GApplication
/// is single-instance: a second launch activates the first and exits).
pub fn run() -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .try_init();
    let app = adw::Application::builder().application_id(APP_ID).build();
    // relm4 ends a run with a blocking main-loop iteration, which in a second
    // launch (remote: it only activates the first instance and returns)
    // would wait forever for something to happen. A ticking source gives it
    // something (ticking, since GApplication may dispatch a single one first).
    app.connect_is_registered_notify(|app| {
        if app.is_registered() && app.is_remote() {
            gtk::glib::timeout_add_local(std::time::Duration::from_millis(100), || {
                gtk::glib::ControlFlow::Continue
            });
        }
    });
    RelmApp::from_app(app).run_async::<app::App>(());
    ExitCode::SUCCESS
}
