//! Stand-ins for the internet of an `allowlist` sandbox: busybox httpd
//! servers on the gateway's outer network, reached by name through the
//! gateway's resolver, and the gateway binary they are reached through.

use std::process::Command;

use crate::paddock::binary;
use crate::podman::{base_image, podman};
use crate::{source, unique};

/// The gateway binary next to `paddock`, where Paddock looks for it (cargo
/// builds another package's binary only when asked). Built in a target
/// folder of its own and copied: built alone, the gateway's dependencies get
/// other features than the app's, and in a shared folder each set would be
/// rebuilt over the other on every alternation (minutes per test run).
pub fn build_gateway() {
    let app = binary();
    let profile = app.parent().expect("target/<profile>");
    let target = profile.parent().expect("the target folder").join("gateway");
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "-j1",
            "--quiet",
            "-p",
            "paddock-gateway",
            "--target-dir",
        ])
        .arg(&target)
        .arg("--manifest-path")
        .arg(source("Cargo.toml"))
        .status()
        .unwrap();
    assert!(status.success(), "cargo build -p paddock-gateway failed");
    // Renamed into place: another test may be reading the one there.
    let next = app.with_file_name("paddock-gateway");
    // One name per call: tests of one binary build it at the same time.
    let part = next.with_extension(unique("part"));
    std::fs::copy(target.join("debug/paddock-gateway"), &part).expect("copy the gateway");
    std::fs::rename(&part, &next).expect("put the gateway next to paddock");
}

/// A busybox httpd on `network` (the gateway's outer one) whose page says
/// `text`; its container name is its host name. Removed when dropped.
pub struct Site(pub String);

impl Site {
    pub fn start(network: &str, text: &str) -> Site {
        Site::named(network, &unique("net-site"), text)
    }

    /// [`Site::start`] under a host name of the caller's (one that reads
    /// well in a screenshot), replacing a site left over under that name.
    pub fn named(network: &str, name: &str, text: &str) -> Site {
        Site::aliased(network, name, text, &[])
    }

    /// [`Site::start`], also answering to the host names `aliases` (an
    /// agent's API host, say) on that network.
    pub fn with_aliases(network: &str, text: &str, aliases: &[&str]) -> Site {
        Site::aliased(network, &unique("net-site"), text, aliases)
    }

    fn aliased(network: &str, name: &str, text: &str, aliases: &[&str]) -> Site {
        // Made here when no gateway made it yet; `exists` races are fine.
        let _ = podman(&["network", "create", network]);
        let _ = podman(&["rm", "-f", "-t", "0", name]);
        let name = name.to_owned();
        let script = format!(
            "mkdir -p /www && echo {text} > /www/index.html && exec httpd -f -p 80 -h /www"
        );
        let options: Vec<String> = aliases.iter().map(|a| format!("alias={a}")).collect();
        let network = if options.is_empty() {
            network.to_owned()
        } else {
            format!("{network}:{}", options.join(","))
        };
        let (ok, out) = podman(&[
            "run",
            "-d",
            "--name",
            &name,
            "--network",
            &network,
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

/// The first bytes a TLS client sends: a ClientHello whose server name
/// extension holds `name` as it is (any bytes, for attacks on whoever
/// shows the name).
pub fn client_hello(name: &[u8]) -> Vec<u8> {
    let be16 = |n: usize| u16::try_from(n).expect("a short hello").to_be_bytes();
    let mut server_name = vec![0];
    server_name.extend(be16(name.len()));
    server_name.extend(name);
    let mut extension = vec![0, 0];
    extension.extend(be16(server_name.len() + 2));
    extension.extend(be16(server_name.len()));
    extension.extend(server_name);
    let mut body = vec![3, 3];
    body.extend([7; 32]);
    // No session id; one cipher suite (TLS_AES_128_GCM_SHA256); no compression.
    body.extend([0, 0, 2, 0x13, 1, 1, 0]);
    body.extend(be16(extension.len()));
    body.extend(extension);
    let mut handshake = vec![1, 0];
    handshake.extend(be16(body.len()));
    handshake.extend(body);
    let mut record = vec![0x16, 3, 1];
    record.extend(be16(handshake.len()));
    record.extend(handshake);
    record
}
