//! Test doubles of desktop services, made with python-dbusmock on a private
//! bus: there is no systemd user manager, document portal, notification
//! daemon or file chooser to talk to on the development machines. The
//! templates of our own are in doubles/.

use std::process::{Command, Stdio};

use crate::bus::{PrivateBus, call};
use crate::process::Reaped;

/// A python-dbusmock double owning `name` on a private bus; stopped when
/// dropped.
pub struct Double {
    bus_address: String,
    name: String,
    path: String,
    _process: Reaped,
}

impl Double {
    /// The systemd user manager (doubles/systemd_user.py): `parameters`
    /// name its units and where "socket activation" starts podman's service.
    pub fn systemd_user(bus: &PrivateBus, parameters: serde_json::Value) -> Double {
        Double::ours(
            bus,
            "systemd_user.py",
            parameters,
            "org.freedesktop.systemd1",
            "/org/freedesktop/systemd1",
        )
    }

    /// The Documents portal (doubles/documents_portal.py): `parameters` map
    /// document ids to host paths.
    pub fn documents_portal(bus: &PrivateBus, parameters: serde_json::Value) -> Double {
        Double::ours(
            bus,
            "documents_portal.py",
            parameters,
            "org.freedesktop.portal.Documents",
            "/org/freedesktop/portal/documents",
        )
    }

    /// A notification daemon (python-dbusmock's own template): it records
    /// every Notify call.
    pub fn notification_daemon(bus: &PrivateBus) -> Double {
        let mut command = Command::new("python3");
        command.args(["-m", "dbusmock", "--template", "notification_daemon"]);
        Double::start(
            bus,
            command,
            "org.freedesktop.Notifications",
            "/org/freedesktop/Notifications",
        )
    }

    /// An object at `path` with `interface` and no methods yet (see
    /// [`Double::add_method`]), owning `name`.
    pub fn object(bus: &PrivateBus, name: &str, path: &str, interface: &str) -> Double {
        let mut command = Command::new("python3");
        command.args(["-m", "dbusmock", name, path, interface]);
        Double::start(bus, command, name, path)
    }

    fn ours(
        bus: &PrivateBus,
        template: &str,
        parameters: serde_json::Value,
        name: &str,
        path: &str,
    ) -> Double {
        let template = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("doubles")
            .join(template);
        let mut command = Command::new("python3");
        command
            .args(["-m", "dbusmock", "--template"])
            .arg(&template)
            .arg("-p")
            .arg(parameters.to_string());
        Double::start(bus, command, name, path)
    }

    fn start(bus: &PrivateBus, mut command: Command, name: &str, path: &str) -> Double {
        let process = command
            .env("DBUS_SESSION_BUS_ADDRESS", bus.address())
            // The systemd double starts podman's service, which must not be a
            // remote client.
            .env_remove("CONTAINER_HOST")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("python3-dbusmock is installed in the dev environment");
        let double = Double {
            bus_address: bus.address().to_owned(),
            name: name.to_owned(),
            path: path.to_owned(),
            _process: Reaped(process),
        };
        bus.wait_for_name(name);
        double
    }

    /// Gives the object the method `interface.method` with D-Bus signatures
    /// `inputs` and `outputs`, running the python `code` (dbusmock's AddMethod).
    pub fn add_method(
        &self,
        interface: &str,
        method: &str,
        inputs: &str,
        outputs: &str,
        code: &str,
    ) {
        let reply = self.call(
            "org.freedesktop.DBus.Mock.AddMethod",
            &[interface, method, inputs, outputs, code],
        );
        assert!(
            reply.status.success(),
            "the double {} got no method {method}: {}",
            self.name,
            String::from_utf8_lossy(&reply.stderr)
        );
    }

    /// The calls of methods added with `add_method` or defined by
    /// python-dbusmock's own templates, as gdbus prints them.
    pub fn calls(&self) -> String {
        let reply = self.call("org.freedesktop.DBus.Mock.GetCalls", &[]);
        String::from_utf8_lossy(&reply.stdout).into_owned()
    }

    /// The list of calls one of our templates keeps (its `Calls` method),
    /// in order.
    pub fn listed_calls(&self) -> Vec<String> {
        let reply = self.call("org.freedesktop.DBus.Mock.Calls", &[]);
        assert!(
            reply.status.success(),
            "{}: {}",
            self.name,
            String::from_utf8_lossy(&reply.stderr)
        );
        // gdbus prints an array of strings as (['a', 'b'],), or (@as [],).
        let text = String::from_utf8_lossy(&reply.stdout);
        let inner = text
            .split_once('[')
            .and_then(|(_, rest)| rest.rsplit_once(']'))
            .map(|(inner, _)| inner)
            .unwrap_or_default();
        inner
            .split(", ")
            .map(|call| call.trim_matches('\'').to_owned())
            .filter(|call| !call.is_empty())
            .collect()
    }

    fn call(&self, method: &str, args: &[&str]) -> std::process::Output {
        call(&self.bus_address, &self.name, &self.path, method, args)
    }
}
