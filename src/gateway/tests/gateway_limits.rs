//! The bounds on what the sandbox can make the gateway hold, with limits
//! small enough to reach in a test (the library, in this process, on
//! 127.0.0.1; its attempt lines go to this process's stdout).
// Its helpers (not tests themselves) unwrap like the tests do.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use paddock_gateway::{Config, Gateway, Limits, Policy, Ports};
use support::{connect, free_dns_port, free_port};

async fn start(limits: Limits) -> (Gateway, Ports) {
    let ports = Ports {
        proxy: free_port(),
        https: free_port(),
        http: free_port(),
        dns: free_dns_port(),
    };
    let policy = Policy::from_json(r#"{"allow": ["allowed.test"]}"#).unwrap();
    let config = Config {
        address: Ipv4Addr::LOCALHOST,
        ports,
        limits,
    };
    let (gateway, warnings) = Gateway::start(config, policy, Default::default())
        .await
        .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    (gateway, ports)
}

/// Reads until the gateway closes the connection: how long after `since`,
/// and what it sent.
fn closed_after(stream: &mut std::net::TcpStream, since: Instant) -> (Duration, String) {
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    (
        since.elapsed(),
        String::from_utf8_lossy(&answer).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_says_nothing_is_cut_off_after_the_handshake_limit() {
    let limits = Limits {
        handshake: Duration::from_millis(300),
        ..Limits::default()
    };
    let (_gateway, ports) = start(limits).await;
    let (proxy, tls) = tokio::task::spawn_blocking(move || {
        let since = Instant::now();
        let mut proxy = connect(ports.proxy);
        proxy
            .write_all(b"GET http://allowed.test/ HTTP/1.1\r\n")
            .unwrap();
        let mut tls = connect(ports.https);
        tls.write_all(&[22, 3, 1, 0, 200]).unwrap();
        (
            closed_after(&mut proxy, since),
            closed_after(&mut tls, since),
        )
    })
    .await
    .unwrap();
    assert!(proxy.1.starts_with("HTTP/1.1 408"), "{}", proxy.1);
    for (elapsed, _) in [&proxy, &tls] {
        assert!(
            *elapsed >= Duration::from_millis(200) && *elapsed < Duration::from_secs(5),
            "{elapsed:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_limit_are_closed_at_once() {
    let limits = Limits {
        connections: 3,
        handshake: Duration::from_secs(5),
        ..Limits::default()
    };
    let (_gateway, ports) = start(limits).await;
    tokio::task::spawn_blocking(move || {
        // Three connections that hold their slots by sending half a head...
        let mut held: Vec<_> = (0..3).map(|_| connect(ports.proxy)).collect();
        for stream in &mut held {
            stream
                .write_all(b"GET http://allowed.test/ HTTP/1.1\r\n")
                .unwrap();
        }
        // ...so the gateway has accepted them before the fourth one comes.
        std::thread::sleep(Duration::from_millis(200));
        let mut fourth = connect(ports.http);
        let (elapsed, answer) = closed_after(&mut fourth, Instant::now());
        assert!(
            answer.is_empty() && elapsed < Duration::from_secs(2),
            "{elapsed:?} {answer}"
        );
        // A slot freed is a slot to use again.
        drop(held.pop());
        std::thread::sleep(Duration::from_millis(200));
        let mut again = connect(ports.proxy);
        again
            .write_all(b"GET http://blocked.test/ HTTP/1.1\r\nHost: blocked.test\r\n\r\n")
            .unwrap();
        let (_, answer) = closed_after(&mut again, Instant::now());
        assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    })
    .await
    .unwrap();
}
