//! Key routes with the real binary on loopback and `openssl s_server` as
//! the API host, with certificates from a CA made for the test: the key is
//! sent to a host whose certificate the given CA bundle vouches for, and
//! not to one it does not.

// Its helpers, like its tests, fail by panicking.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use paddock_gateway::{Decision, Reason};
use support::*;

const HOST: &str = "api.keys.test";

/// `ca.pem` and `other-ca.pem`, and a certificate for HOST from the first.
fn certificates(dir: &Path) {
    for ca in ["ca", "other-ca"] {
        ::support::tls::ca(dir, ca);
    }
    ::support::tls::site_certificate(dir, HOST, "ca");
}

/// The API host: one connection, its request read to the blank line.
fn api(dir: &Path, port: u16) -> Child {
    let child = Command::new("openssl")
        .args([
            "s_server",
            "-quiet",
            "-naccept",
            "1",
            "-accept",
            &format!("127.0.0.1:{port}"),
        ])
        .args(["-cert", "site.pem", "-key", "site.key"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    child
}

/// A gateway with one key route to HOST (pinned to `api_port`), trusting
/// `bundle`; the route's port.
fn gateway(dir: &Path, bundle: &str, api_port: u16) -> (Gateway, u16) {
    std::fs::write(dir.join("key"), "sk-real-key").unwrap();
    let route = free_port();
    let keys = dir.join("keys.json");
    std::fs::write(
        &keys,
        format!(
            r#"{{"ca_bundle": "{}", "routes": [{{"port": {route}, "host": "{HOST}", "header": "x-api-key", "placeholder": "paddock-placeholder-K", "key_file": "{}"}}]}}"#,
            dir.join(bundle).display(),
            dir.join("key").display()
        ),
    )
    .unwrap();
    let policy =
        format!(r#"{{"allow": ["{HOST}"], "hosts": {{"{HOST}:443": "127.0.0.1:{api_port}"}}}}"#);
    let gateway = Gateway::start_with(&policy, &["--keys", keys.to_str().unwrap()]);
    (gateway, route)
}

fn ask(route: u16) -> String {
    let mut client = connect(route);
    client
        .write_all(format!("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:{route}\r\nx-api-key: paddock-placeholder-K\r\n\r\n").as_bytes())
        .unwrap();
    let mut answer = String::new();
    let _ = client.read_to_string(&mut answer);
    answer
}

#[test]
fn the_key_goes_to_a_host_the_bundle_vouches_for() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let api_port = free_port();
    let mut server = api(dir.path(), api_port);
    let (gateway, route) = gateway(dir.path(), "ca.pem", api_port);
    let asking = std::thread::spawn(move || ask(route));
    // The request as the API host got it, then its answer.
    let mut received = String::new();
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 || line.trim().is_empty() {
            break;
        }
        received.push_str(&line);
    }
    let mut stdin = server.stdin.take().unwrap();
    stdin
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n")
        .unwrap();
    drop(stdin);
    let answer = asking.join().unwrap();
    let _ = server.wait();
    assert!(received.contains("GET /v1/models HTTP/1.1"), "{received}");
    assert!(received.contains(&format!("Host: {HOST}")), "{received}");
    assert!(received.contains("x-api-key: sk-real-key"), "{received}");
    assert!(!received.contains("placeholder"), "{received}");
    assert!(answer.ends_with("hello\n"), "{answer}");
    gateway.expect(Some(HOST), Decision::Allowed, None);
}

#[test]
fn no_key_goes_to_a_host_the_bundle_does_not_vouch_for() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let api_port = free_port();
    let mut server = api(dir.path(), api_port);
    let (gateway, route) = gateway(dir.path(), "other-ca.pem", api_port);
    let answer = ask(route);
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("untrusted"), "{answer}");
    gateway.expect(Some(HOST), Decision::Blocked, Some(Reason::Untrusted));
    drop(server.stdin.take());
    let mut received = String::new();
    let _ = server.stdout.take().unwrap().read_to_string(&mut received);
    let _ = server.kill();
    let _ = server.wait();
    assert!(!received.contains("sk-real-key"), "{received}");
}
