//! The gateway as Paddock will run it, through the real rootless podman
//! service of the dev environment: an `--internal` network that only the
//! client (standing in for the sandbox) joins, the gateway on it and on a
//! normal network, and busybox httpd servers on the normal network standing
//! in for the internet, reached by name through the gateway.
// Its helpers (not tests themselves) unwrap like the tests do.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use paddock_gateway::{Attempt, Decision, Kind, Reason};

fn base_image() -> String {
    std::env::var("PADDOCK_TEST_BASE_IMAGE")
        .expect("PADDOCK_TEST_BASE_IMAGE is not set: run the tests through build-aux/dev-env")
}

fn unique(what: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "paddock-test-gw-{what}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs the podman CLI: (success, stdout, stderr).
fn podman(args: &[&str]) -> (bool, String, String) {
    let output = Command::new("podman")
        .args(args)
        .output()
        .expect("the podman CLI is installed");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn podman_ok(args: &[&str]) -> String {
    let (ok, out, err) = podman(args);
    assert!(ok, "podman {args:?} failed: {out}{err}");
    out.trim().to_owned()
}

/// Everything the test made, removed when it ends however it ends:
/// containers first, then networks, then the image.
#[derive(Default)]
struct Made {
    containers: Vec<String>,
    networks: Vec<String>,
    images: Vec<String>,
}

impl Drop for Made {
    fn drop(&mut self) {
        for name in &self.containers {
            podman(&["rm", "-f", "-t", "0", name]);
        }
        for name in &self.networks {
            podman(&["network", "rm", "-f", name]);
        }
        for name in &self.images {
            podman(&["rmi", "-f", name]);
        }
    }
}

/// An image of the base with the gateway binary and the shared libraries
/// `ldd` says it needs, at the same paths.
fn gateway_image(made: &mut Made, context: &Path) -> String {
    let binary = env!("CARGO_BIN_EXE_paddock-gateway");
    let root = context.join("root");
    let copy = |from: &str, to: &str| {
        let target = root.join(to.trim_start_matches('/'));
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(from, &target).unwrap_or_else(|e| panic!("copy {from}: {e}"));
    };
    copy(binary, "/usr/local/bin/paddock-gateway");
    let ldd = Command::new("ldd").arg(binary).output().unwrap();
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or
        // "/lib64/ld-linux-x86-64.so.2 (0x...)"; the vDSO has no file.
        let path = line
            .split("=>")
            .last()
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap_or_default();
        if path.starts_with('/') {
            copy(path, path);
        }
    }
    std::fs::write(
        context.join("Containerfile"),
        format!(
            "FROM {}\nCOPY root/ /\nENTRYPOINT [\"/usr/local/bin/paddock-gateway\"]\n",
            base_image()
        ),
    )
    .unwrap();
    let image = format!("localhost/{}:latest", unique("image"));
    made.images.push(image.clone());
    podman_ok(&["build", "-q", "-t", &image, context.to_str().unwrap()]);
    image
}

/// A busybox httpd on `network` whose page says `text`.
fn stand_in(made: &mut Made, network: &str, text: &str) -> String {
    let name = unique("site");
    made.containers.push(name.clone());
    let script =
        format!("mkdir -p /www && echo {text} > /www/index.html && exec httpd -f -p 80 -h /www");
    podman_ok(&[
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
    name
}

/// Runs a client on the internal network with the gateway as its resolver:
/// (success, output).
fn client(
    made: &mut Made,
    network: &str,
    gateway: &str,
    env: &[&str],
    script: &str,
) -> (bool, String) {
    let name = unique("client");
    made.containers.push(name.clone());
    let mut args = vec![
        "run",
        "--name",
        &name,
        "--network",
        network,
        "--dns",
        gateway,
    ];
    for item in env {
        args.extend(["-e", item]);
    }
    let base = base_image();
    args.extend([base.as_str(), "sh", "-c", script]);
    let (ok, out, err) = podman(&args);
    (ok, out + &err)
}

fn attempts(gateway: &str) -> Vec<Attempt> {
    // podman logs sends the container's stdout to stdout and its stderr to stderr.
    let (_, out, _) = podman(&["logs", gateway]);
    out.lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not an attempt ({e}): {line}"))
        })
        .collect()
}

#[test]
fn a_sandbox_on_an_internal_network_reaches_allowed_names_only_through_the_gateway() {
    let mut made = Made::default();
    let context = tempfile::tempdir().unwrap();
    let image = gateway_image(&mut made, context.path());

    // No podman resolver on the internal network: with one, podman writes
    // aardvark-dns's address into the sandbox's resolv.conf instead of the
    // --dns address, and aardvark answers the sandbox itself.
    let internal = unique("internal");
    made.networks.push(internal.clone());
    podman_ok(&[
        "network",
        "create",
        "--internal",
        "--disable-dns",
        &internal,
    ]);
    let outer = unique("outer");
    made.networks.push(outer.clone());
    podman_ok(&["network", "create", &outer]);

    let allowed = stand_in(&mut made, &outer, "hello-from-the-allowed-site");
    let blocked = stand_in(&mut made, &outer, "hello-from-the-blocked-site");
    let blocked_ip = podman_ok(&[
        "inspect",
        "-f",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
        &blocked,
    ]);

    // The gateway's address on the internal network: one podman has not
    // handed out yet in the network's subnet.
    let subnet = podman_ok(&[
        "network",
        "inspect",
        "-f",
        "{{range .Subnets}}{{.Subnet}}{{end}}",
        &internal,
    ]);
    let prefix = subnet.rsplit_once('.').expect("an IPv4 subnet").0;
    let address = format!("{prefix}.200");
    let policy = context.path().join("policy.json");
    std::fs::write(&policy, format!(r#"{{"allow": ["{allowed}"]}}"#)).unwrap();

    let gateway = unique("gateway");
    made.containers.push(gateway.clone());
    let mount = format!("{}:/etc/paddock/policy.json:ro,z", policy.display());
    podman_ok(&[
        "run",
        "-d",
        "--name",
        &gateway,
        "--network",
        &format!("{internal}:ip={address}"),
        "--network",
        &outer,
        "-v",
        &mount,
        &image,
        "--policy",
        "/etc/paddock/policy.json",
        "--address",
        &address,
    ]);
    let ready = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        podman(&["logs", &gateway])
            .2
            .contains("paddock-gateway: ready")
    });
    assert!(
        ready,
        "the gateway did not start: {:?}",
        podman(&["logs", &gateway])
    );

    let proxy = format!("http_proxy=http://{address}:3128");
    let (ok, out) = client(
        &mut made,
        &internal,
        &address,
        &[&proxy],
        &format!("wget -q -T 10 -O - http://{allowed}/"),
    );
    if !ok
        && attempts(&gateway)
            .iter()
            .any(|a| a.reason == Some(Reason::Unresolved))
    {
        panic!(
            "the gateway could not resolve {allowed}: podman's resolver (aardvark-dns) did not answer on the \
             outer network; a podman service started before aardvark-dns was installed does not use it \
             (start a fresh one)"
        );
    }
    assert!(
        ok && out.contains("hello-from-the-allowed-site"),
        "through the proxy: {out}"
    );

    let (ok, out) = client(
        &mut made,
        &internal,
        &address,
        &[&proxy],
        &format!("wget -q -T 10 -O - http://{blocked}/"),
    );
    assert!(
        !ok && !out.contains("hello-from"),
        "a blocked name through the proxy: {out}"
    );

    let (ok, out) = client(
        &mut made,
        &internal,
        &address,
        &[],
        &format!("nslookup {blocked}"),
    );
    assert!(
        !ok || !out.contains(&blocked_ip),
        "the resolver gave the blocked name away: {out}"
    );
    assert!(out.contains("NXDOMAIN"), "{out}");
    let (ok, out) = client(
        &mut made,
        &internal,
        &address,
        &[],
        &format!("nslookup {allowed}"),
    );
    assert!(
        ok && out.contains(&address),
        "the allowed name resolves to the gateway: {out}"
    );

    // Without the proxy variable: the name resolves to the gateway, whose
    // port 80 routes by Host header.
    let (ok, out) = client(
        &mut made,
        &internal,
        &address,
        &[],
        &format!("wget -q -T 10 -O - http://{allowed}/"),
    );
    assert!(
        ok && out.contains("hello-from-the-allowed-site"),
        "transparent: {out}"
    );

    // The internal network has no way out but the gateway.
    let (ok, out) = client(
        &mut made,
        &internal,
        &address,
        &[],
        &format!("wget -q -T 5 -O - http://{blocked_ip}/"),
    );
    assert!(
        !ok && !out.contains("hello-from"),
        "direct to the blocked site's address: {out}"
    );

    let log = attempts(&gateway);
    let seen = |host: &str, kind: Kind, decision: Decision, reason: Option<Reason>| {
        let found = log.iter().any(|a| {
            a.host.as_deref() == Some(host)
                && (a.kind, a.decision, a.reason) == (kind, decision, reason)
        });
        assert!(
            found,
            "no {kind:?} {decision:?} {reason:?} for {host} in {log:#?}"
        );
    };
    seen(&allowed, Kind::Proxy, Decision::Allowed, None);
    seen(&allowed, Kind::Transparent, Decision::Allowed, None);
    seen(&allowed, Kind::Dns, Decision::Allowed, None);
    seen(
        &blocked,
        Kind::Proxy,
        Decision::Blocked,
        Some(Reason::NotAllowed),
    );
    seen(
        &blocked,
        Kind::Dns,
        Decision::Blocked,
        Some(Reason::NotAllowed),
    );

    // With the gateway gone, nothing gets out at all.
    podman_ok(&["kill", &gateway]);
    let (ok, out) = client(
        &mut made,
        &internal,
        &address,
        &[&proxy],
        &format!("wget -q -T 5 -O - http://{allowed}/"),
    );
    assert!(
        !ok && !out.contains("hello-from"),
        "without the gateway: {out}"
    );
}
