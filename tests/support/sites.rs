//! Stand-ins for the internet of an `allowlist` sandbox: busybox httpd
//! servers on the gateway's outer network, reached by name through the
//! gateway's resolver, and the gateway binary they are reached through.

use std::process::Command;

use crate::paddock::binary;
use crate::podman::{base_image, podman};
use crate::{source, unique};

/// The gateway binary next to `paddock`, where Paddock looks for it (cargo
/// builds another package's binary only when asked).
pub fn build_gateway() {
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "-j1",
            "--quiet",
            "-p",
            "paddock-gateway",
            "--manifest-path",
        ])
        .arg(source("Cargo.toml"))
        .status()
        .unwrap();
    assert!(status.success(), "cargo build -p paddock-gateway failed");
    assert!(binary().with_file_name("paddock-gateway").is_file());
}

/// A busybox httpd on `network` (the gateway's outer one) whose page says
/// `text`; its container name is its host name. Removed when dropped.
pub struct Site(pub String);

impl Site {
    pub fn start(network: &str, text: &str) -> Site {
        // Made here when no gateway made it yet; `exists` races are fine.
        let _ = podman(&["network", "create", network]);
        let name = unique("net-site");
        let script = format!(
            "mkdir -p /www && echo {text} > /www/index.html && exec httpd -f -p 80 -h /www"
        );
        let (ok, out) = podman(&[
            "run",
            "-d",
            "--name",
            &name,
            "--network",
            network,
            &base_image(),
            "sh",
            "-c",
            &script,
        ]);
        assert!(ok, "{out}");
        Site(name)
    }

    pub fn address(&self) -> String {
        let (ok, out) = podman(&[
            "inspect",
            "-f",
            "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
            &self.0,
        ]);
        assert!(ok, "{out}");
        out.trim().to_owned()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = podman(&["rm", "-f", "-t", "0", &self.0]);
    }
}
