//! `paddock open DIR`: hands a folder to the running Paddock window through
//! its exported `app.open-project` action on the session bus, starting the
//! window first when none is running.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use gettextrs::gettext;
use zbus::zvariant::Value;

use crate::app_actions::OPEN_PROJECT;
use crate::config::APP_ID;

/// How long a freshly started window may take to answer on the bus.
const START_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, clap::Args)]
#[command(about = gettext("Open a project folder in the Paddock window (starting it if needed)"))]
pub struct Args {
    #[arg(help = gettext("The project folder"))]
    pub dir: PathBuf,
}

pub fn run(args: Args) -> ExitCode {
    let dir = match std::fs::canonicalize(&args.dir) {
        Ok(dir) if dir.is_dir() => dir,
        Ok(dir) => {
            return super::fail(
                gettext("{path} is not a folder; give the project's folder")
                    .replace("{path}", &dir.display().to_string()),
            );
        }
        Err(error) => {
            return super::fail(
                gettext("{path} cannot be opened: {error}")
                    .replace("{path}", &args.dir.display().to_string())
                    .replace("{error}", &error.to_string()),
            );
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return super::fail(error),
    };
    match runtime.block_on(open(&dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => super::fail(message),
    }
}

/// `/io/github/paddockapp/Paddock/Devel` for `io.github.paddockapp.Paddock.Devel`.
fn object_path(app_id: &str) -> String {
    format!("/{}", app_id.replace('.', "/"))
}

async fn open(dir: &Path) -> Result<(), String> {
    let bus_error = |error: zbus::Error| {
        gettext("The session bus cannot be reached ({error}); start Paddock from the desktop and add the folder there")
            .replace("{error}", &error.to_string())
    };
    let connection = zbus::Connection::session().await.map_err(bus_error)?;
    let dbus = zbus::fdo::DBusProxy::new(&connection)
        .await
        .map_err(bus_error)?;
    let name = zbus::names::BusName::try_from(APP_ID).map_err(|e| e.to_string())?;
    if !dbus.name_has_owner(name.clone()).await.unwrap_or(false) {
        // The installed D-Bus service file starts the window; without one
        // (a development build), start it ourselves.
        let activated = match zbus::names::WellKnownName::try_from(APP_ID) {
            Ok(well_known) => dbus.start_service_by_name(well_known, 0).await.is_ok(),
            Err(_) => false,
        };
        if !activated {
            start_window()?;
        }
    }
    let path = object_path(APP_ID);
    let started = Instant::now();
    let target = dir.to_string_lossy().into_owned();
    loop {
        let reply = connection
            .call_method(
                Some(name.clone()),
                path.as_str(),
                Some("org.gtk.Actions"),
                "Activate",
                &(
                    OPEN_PROJECT,
                    vec![Value::from(target.as_str())],
                    HashMap::<&str, Value<'_>>::new(),
                ),
            )
            .await;
        match reply {
            Ok(_) => return Ok(()),
            // The window is still starting (no name or no actions yet).
            Err(error) if started.elapsed() < START_TIMEOUT => {
                tracing::debug!("waiting for the window: {error}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(error) => {
                return Err(gettext(
                    "The Paddock window did not answer ({error}); start it from the desktop and add the folder there",
                )
                .replace("{error}", &error.to_string()));
            }
        }
    }
}

/// Starts `paddock` without arguments (the window), detached from this terminal.
fn start_window() -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    std::process::Command::new(exe)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|error| {
            gettext("Paddock's window could not be started: {error}")
                .replace("{error}", &error.to_string())
        })
}
