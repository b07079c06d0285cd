//! Stand-ins for the internet of an `allowlist` sandbox: busybox httpd
//! servers on the gateway's outer network, reached by name through the
//! gateway's resolver, and the gateway binary they are reached through.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::paddock::binary;
use crate::podman::{base_image, podman};
use crate::{source, unique};

/// The gateway binary next to `paddock`, where Paddock looks for it (cargo
/// builds another package's binary only when asked). Built in a target
/// folder of its own and copied: built alone, the gateway's dependencies get
/// other features than the app's, and in a shared folder each set would be
/// rebuilt over the other on every alternation (minutes per test run).
/// Once per test process: tests running at once would otherwise copy over
/// each other's part file.
pub fn build_gateway() {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(build_gateway_now);
}

fn build_gateway_now() {
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
        let name = name.to_owned();
        let script = format!(
            "mkdir -p /www && echo {text} > /www/index.html && exec httpd -f -p 80 -h /www"
        );
        let options: Vec<String> = aliases.iter().map(|a| format!("alias={a}")).collect();
        let attach = if options.is_empty() {
            network.to_owned()
        } else {
            format!("{network}:{}", options.join(","))
        };
        let (ok, out) = run_on(
            network,
            &name,
            &["--network", &attach, &base_image(), "sh", "-c", &script],
        );
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

/// `podman run -d --name NAME ARGS` for a stand-in on the shared `network`,
/// made again when a sandbox's removal took it away meanwhile (as the
/// engine does for its gateways).
fn run_on(network: &str, name: &str, args: &[&str]) -> (bool, String) {
    let mut result = (false, String::new());
    for _ in 0..3 {
        let _ = podman(&["network", "create", network]);
        let _ = podman(&["rm", "-f", "-t", "0", name]);
        let mut run = vec!["run", "-d", "--name", name];
        run.extend_from_slice(args);
        result = podman(&run);
        if result.0 {
            break;
        }
    }
    result
}

/// A shell loop that runs `server` (which serves one connection, copying
/// what it receives to stdout and its stdin to the client) again and again:
/// each time, once a request has come in, it logs the request and only then
/// sends `answer` (printf escapes) and ends the server's stdin.
fn serve_one_at_a_time(server: &str, answer: &str) -> String {
    format!(
        "mkdir -p /tmp; while :; do rm -f /tmp/in /tmp/request; mkfifo /tmp/in; \
         {server} < /tmp/in > /tmp/request & exec 3> /tmp/in; \
         until [ -s /tmp/request ]; do sleep 0.1; done; sleep 0.5; cat /tmp/request; \
         printf '{answer}' >&3; exec 3>&-; wait; done"
    )
}

/// The image of [`ApiSite`] and [`Recorder`]: the local base image with the
/// test machine's `openssl` and the libraries it links added; built once.
fn tls_image() -> String {
    static BUILT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let image = "localhost/paddock-test/tls-site:latest".to_owned();
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().join("root");
            let openssl = Path::new("/usr/bin/openssl");
            let ldd = Command::new("ldd").arg(openssl).output().unwrap();
            let mut files = vec![openssl.to_path_buf()];
            for line in String::from_utf8_lossy(&ldd.stdout).lines() {
                if let Some(path) = line
                    .split("=>")
                    .last()
                    .and_then(|p| p.split_whitespace().next())
                    && path.starts_with('/')
                {
                    files.push(PathBuf::from(path));
                }
            }
            for file in files {
                let target = root.join(file.strip_prefix("/").unwrap());
                std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                std::fs::copy(&file, &target).unwrap();
            }
            std::fs::write(
                dir.path().join("Containerfile"),
                format!("FROM {}\nCOPY root/ /\n", base_image()),
            )
            .unwrap();
            let (ok, out) = podman(&["build", "-q", "-t", &image, dir.path().to_str().unwrap()]);
            assert!(ok, "{out}");
            image
        })
        .clone()
}

/// A stand-in HTTPS API on `network`: `openssl s_server` with a certificate
/// for the name `host`, issued by a CA of the test's own (`ca`, which only
/// the test tells the gateway to trust). It answers each request with
/// `hello-from-the-api` and writes what it received to its log
/// ([`ApiSite::received`]). Removed when dropped.
pub struct ApiSite {
    pub container: String,
    pub host: String,
    pub ca: PathBuf,
    _dir: tempfile::TempDir,
}

impl ApiSite {
    pub fn start(network: &str) -> ApiSite {
        let container = unique("api-site");
        let host = format!("{container}.api.test");
        let dir = tempfile::Builder::new()
            .prefix("api-site")
            .tempdir()
            .unwrap();
        let tls = dir.path();
        crate::tls::ca(tls, "ca");
        crate::tls::site_certificate(tls, &host, "ca");
        for file in ["site.pem", "site.key"] {
            std::fs::set_permissions(
                tls.join(file),
                std::os::unix::fs::PermissionsExt::from_mode(0o644),
            )
            .unwrap();
        }
        let script = serve_one_at_a_time(
            "openssl s_server -quiet -naccept 1 -accept 443 -cert /tls/site.pem -key /tls/site.key",
            "HTTP/1.1 200 OK\\r\\nContent-Length: 19\\r\\nConnection: close\\r\\n\\r\\nhello-from-the-api\\n",
        );
        let volume = format!("{}:/tls:ro,z", tls.display());
        let (ok, out) = run_on(
            network,
            &container,
            &[
                "--network",
                network,
                "--network-alias",
                &host,
                "-v",
                &volume,
                &tls_image(),
                "sh",
                "-c",
                &script,
            ],
        );
        assert!(ok, "{out}");
        ApiSite {
            container,
            host,
            ca: tls.join("ca.pem"),
            _dir: dir,
        }
    }

    /// Everything the stand-in received so far.
    pub fn received(&self) -> String {
        let (ok, out) = podman(&["logs", &self.container]);
        assert!(ok, "{out}");
        out
    }
}

impl Drop for ApiSite {
    fn drop(&mut self) {
        let _ = podman(&["rm", "-f", "-t", "0", &self.container]);
    }
}

/// A plain HTTP stand-in on `network` (busybox `nc`), reached by its
/// container name, that writes each request it receives to its log.
/// Removed when dropped.
pub struct Recorder(pub String);

impl Recorder {
    pub fn start(network: &str) -> Recorder {
        let name = unique("recorder");
        let script = serve_one_at_a_time(
            "nc -l -p 80",
            "HTTP/1.0 200 OK\\r\\n\\r\\nhello-from-the-recorder\\n",
        );
        let (ok, out) = run_on(
            network,
            &name,
            &["--network", network, &base_image(), "sh", "-c", &script],
        );
        assert!(ok, "{out}");
        Recorder(name)
    }

    pub fn received(&self) -> String {
        let (ok, out) = podman(&["logs", &self.0]);
        assert!(ok, "{out}");
        out
    }
}

impl Drop for Recorder {
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
