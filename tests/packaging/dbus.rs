//! D-Bus activation through the installed service file: on a private session
//! bus whose service folder holds data/…service.in (filled in as meson does),
//! calling the application's Activate method starts Paddock, which takes its
//! name on the bus and answers.

use std::process::Command;

use paddock::config::APP_ID;
use support::bus::{PrivateBus, call};
use support::display::VirtualDisplay;
use support::paddock::binary;

#[test]
fn activate_over_dbus_starts_the_app() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let services = tmp.path().join("services");
    std::fs::create_dir(&services).expect("services dir");
    let template = std::fs::read_to_string(support::source(
        "data/io.github.paddockapp.Paddock.service.in",
    ))
    .expect("service template");
    let service = template
        .replace("@APP_ID@", APP_ID)
        .replace("@BIN_PATH@", &binary().display().to_string());
    std::fs::write(services.join(format!("{APP_ID}.service")), service).expect("write service");

    let display = VirtualDisplay::start(1024, 768);
    // Activated services inherit the bus's environment.
    let home = tmp.path().display().to_string();
    let bus = PrivateBus::activating(
        &services,
        &[
            ("DISPLAY", display.name()),
            ("HOME", &home),
            ("GSETTINGS_BACKEND", "memory"),
            ("GSK_RENDERER", "cairo"),
            ("GTK_A11Y", "none"),
            ("NO_AT_BRIDGE", "1"),
        ],
    );

    let path = format!("/{}", APP_ID.replace('.', "/"));
    let activate = call(
        bus.address(),
        APP_ID,
        &path,
        "org.freedesktop.Application.Activate",
        &["{}"],
    );
    // Whatever happened, stop the activated app with the bus.
    let pid = call(
        bus.address(),
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus.GetConnectionUnixProcessID",
        &[APP_ID],
    );
    let pid = String::from_utf8_lossy(&pid.stdout)
        .trim()
        .trim_start_matches("(uint32 ")
        .trim_end_matches(",)")
        .to_owned();
    if !pid.is_empty() {
        let _ = Command::new("kill").arg(&pid).status();
    }
    assert!(
        activate.status.success(),
        "Activate over D-Bus failed: {}",
        String::from_utf8_lossy(&activate.stderr)
    );
    assert!(
        pid.parse::<u32>().is_ok(),
        "{APP_ID} does not own its name on the bus"
    );
}
