//! D-Bus activation through the installed service file: on a private session
//! bus whose service folder holds data/…service.in (filled in as meson does),
//! calling the application's Activate method starts Paddock, which takes its
//! name on the bus and answers.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use paddock::config::APP_ID;

const SOURCE: &str = env!("CARGO_MANIFEST_DIR");

struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_with_line(program: &mut Command) -> (Reaped, String) {
    let mut child = program
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program:?}: {e}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the ready line");
    (Reaped(child), line.trim().to_owned())
}

fn gdbus(bus: &str, args: &[&str]) -> std::process::Output {
    Command::new("gdbus")
        .args(["call", "--address", bus, "--timeout", "60"])
        .args(args)
        .output()
        .expect("run gdbus")
}

#[test]
fn activate_over_dbus_starts_the_app() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let services = tmp.path().join("services");
    std::fs::create_dir(&services).expect("services dir");
    let template = std::fs::read_to_string(
        Path::new(SOURCE).join("data/io.github.paddockapp.Paddock.service.in"),
    )
    .expect("service template");
    let service = template
        .replace("@APP_ID@", APP_ID)
        .replace("@BIN_PATH@", env!("CARGO_BIN_EXE_paddock"));
    std::fs::write(services.join(format!("{APP_ID}.service")), service).expect("write service");
    let config = tmp.path().join("bus.conf");
    std::fs::write(
        &config,
        format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <servicedir>{services}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            dir = tmp.path().display(),
            services = services.display()
        ),
    )
    .expect("write bus config");

    let (_xvfb, display) = start_with_line(Command::new("Xvfb").args([
        "-displayfd",
        "1",
        "-screen",
        "0",
        "1024x768x24",
        "-nolisten",
        "tcp",
    ]));
    // Activated services inherit the bus's environment.
    let (_bus, bus) = start_with_line(
        Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .env("DISPLAY", format!(":{display}"))
            .env("HOME", tmp.path())
            .env("GSETTINGS_BACKEND", "memory")
            .env("GSK_RENDERER", "cairo")
            .env("GTK_A11Y", "none")
            .env("NO_AT_BRIDGE", "1"),
    );

    let path = format!("/{}", APP_ID.replace('.', "/"));
    let activate = gdbus(
        &bus,
        &[
            "--dest",
            APP_ID,
            "--object-path",
            &path,
            "--method",
            "org.freedesktop.Application.Activate",
            "{}",
        ],
    );
    // Whatever happened, stop the activated app with the bus.
    let pid = gdbus(
        &bus,
        &[
            "--dest",
            "org.freedesktop.DBus",
            "--object-path",
            "/org/freedesktop/DBus",
            "--method",
            "org.freedesktop.DBus.GetConnectionUnixProcessID",
            APP_ID,
        ],
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
