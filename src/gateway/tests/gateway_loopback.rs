//! The gateway binary on 127.0.0.1, in front of local servers that stand in
//! for the internet: what is allowed arrives, what is not is refused, and
//! every attempt is in the log.

mod support;

use std::io::Write;

use paddock_gateway::{Decision, Kind, Reason};
use support::*;

/// A policy for `allowed.test` (pinned: port 80 to an HTTP server, port 443
/// to an echo server), `echo.test:tcp_port` and `body.test` (both pinned to
/// an echo server).
fn policy(http: u16, echo: u16, tcp_port: u16) -> String {
    format!(
        r#"{{"allow": ["allowed.test", "echo.test:{tcp_port}", "*.wild.test", "body.test"],
            "deny": ["no.wild.test"],
            "hosts": {{"allowed.test:80": "127.0.0.1:{http}", "allowed.test:443": "127.0.0.1:{echo}",
                       "echo.test:{tcp_port}": "127.0.0.1:{echo}", "body.test:80": "127.0.0.1:{echo}"}}}}"#
    )
}

struct Setup {
    gateway: Gateway,
    http: u16,
    echo: u16,
    tcp_port: u16,
}

fn setup() -> Setup {
    let (http, echo, tcp_port) = (http_server(), echo_server(), free_port());
    let gateway = Gateway::start(&policy(http, echo, tcp_port));
    Setup {
        gateway,
        http,
        echo,
        tcp_port,
    }
}

#[test]
fn an_allowed_host_answers_through_the_proxy() {
    let s = setup();
    let answer = exchange(
        s.gateway.proxy,
        b"GET http://allowed.test/hello?x=1 HTTP/1.1\r\nHost: allowed.test\r\nProxy-Authorization: Basic eDp5\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(
        answer.contains("GET /hello?x=1 HTTP/1.1\r\nHost: allowed.test\r\n"),
        "{answer}"
    );
    assert!(!answer.contains("Proxy-Authorization"), "{answer}");
    let attempt = s
        .gateway
        .expect(Some("allowed.test"), Decision::Allowed, None);
    assert_eq!((attempt.kind, attempt.port), (Kind::Proxy, Some(80)));
    assert!(attempt.client.ip().is_loopback() && attempt.time.ends_with('Z'));
}

#[test]
fn connect_to_443_passes_a_hello_whose_sni_is_the_host() {
    let s = setup();
    let mut tunnel = connect(s.gateway.proxy);
    tunnel
        .write_all(b"CONNECT allowed.test:443 HTTP/1.1\r\nHost: allowed.test:443\r\n\r\n")
        .unwrap();
    assert!(read_head(&mut tunnel).starts_with("HTTP/1.1 200"));
    tunnel.write_all(HELLO_ALLOWED).unwrap();
    // The echo server upstream sends the hello back: it arrived unchanged.
    assert_eq!(read_up_to(&mut tunnel, HELLO_ALLOWED.len()), HELLO_ALLOWED);
    tunnel.write_all(b"and then anything").unwrap();
    assert_eq!(read_up_to(&mut tunnel, 17), b"and then anything");
    s.gateway
        .expect(Some("allowed.test"), Decision::Allowed, None);
}

#[test]
fn connect_to_443_with_another_sni_or_none_is_cut_off() {
    let s = setup();
    for (hello, reason) in [
        (HELLO_OTHER, Reason::SniMismatch),
        (HELLO_NO_SNI, Reason::NoSni),
        (b"GET / HTTP/1.1\r\n\r\n".as_slice(), Reason::NotTls),
    ] {
        let mut tunnel = connect(s.gateway.proxy);
        tunnel
            .write_all(b"CONNECT allowed.test:443 HTTP/1.1\r\n\r\n")
            .unwrap();
        assert!(read_head(&mut tunnel).starts_with("HTTP/1.1 200"));
        tunnel.write_all(hello).unwrap();
        assert_eq!(
            read_up_to(&mut tunnel, 1),
            b"",
            "nothing comes back for {reason:?}"
        );
        s.gateway
            .expect(Some("allowed.test"), Decision::Blocked, Some(reason));
    }
}

#[test]
fn blocked_hosts_direct_ips_and_other_ports_are_refused_and_logged() {
    let s = setup();
    let cases = [
        (
            "CONNECT blocked.test:443 HTTP/1.1\r\n\r\n".to_owned(),
            "blocked.test",
            Reason::NotAllowed,
        ),
        (
            "GET http://blocked.test/ HTTP/1.1\r\nHost: blocked.test\r\n\r\n".to_owned(),
            "blocked.test",
            Reason::NotAllowed,
        ),
        (
            format!("CONNECT 127.0.0.1:{} HTTP/1.1\r\n\r\n", s.echo),
            "127.0.0.1",
            Reason::IpLiteral,
        ),
        (
            format!("GET http://127.0.0.1:{}/ HTTP/1.1\r\n\r\n", s.http),
            "127.0.0.1",
            Reason::IpLiteral,
        ),
        (
            format!("CONNECT allowed.test:{} HTTP/1.1\r\n\r\n", s.echo),
            "allowed.test",
            Reason::PortNotAllowed,
        ),
        (
            "CONNECT no.wild.test:443 HTTP/1.1\r\n\r\n".to_owned(),
            "no.wild.test",
            Reason::Denied,
        ),
        (
            "CONNECT wild.test:443 HTTP/1.1\r\n\r\n".to_owned(),
            "wild.test",
            Reason::NotAllowed,
        ),
    ];
    for (request, host, reason) in cases {
        let answer = exchange(s.gateway.proxy, request.as_bytes());
        assert!(
            answer.starts_with("HTTP/1.1 403 Forbidden"),
            "{request:?}: {answer}"
        );
        assert!(answer.contains(reason.code()), "{answer}");
        s.gateway
            .expect(Some(host), Decision::Blocked, Some(reason));
    }
}

#[test]
fn a_host_header_that_disagrees_with_the_target_is_refused() {
    let s = setup();
    let answer = exchange(
        s.gateway.proxy,
        b"GET http://allowed.test/ HTTP/1.1\r\nHost: blocked.test\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    s.gateway
        .expect(None, Decision::Blocked, Some(Reason::HostMismatch));
}

#[test]
fn a_second_request_on_a_forwarded_connection_never_leaves() {
    let s = setup();
    // Pipelined: the second request names a blocked host, and the gateway
    // forwards the first one only.
    let answer = exchange(
        s.gateway.proxy,
        b"GET http://allowed.test/one HTTP/1.1\r\nHost: allowed.test\r\n\r\nGET http://blocked.test/two HTTP/1.1\r\nHost: blocked.test\r\n\r\n",
    );
    assert!(answer.contains("GET /one"), "{answer}");
    assert!(
        !answer.contains("two") && !answer.contains("blocked.test"),
        "{answer}"
    );
    assert!(answer.contains("Connection: close"), "{answer}");
}

#[test]
fn a_request_body_is_forwarded_by_its_length_and_nothing_after_it() {
    let s = setup();
    // Upstream is an echo server: what comes back is exactly what the
    // gateway sent it.
    let mut stream = connect(s.gateway.proxy);
    stream
        .write_all(b"POST http://body.test/up HTTP/1.1\r\nHost: body.test\r\nContent-Length: 5\r\n\r\nhelloEXTRA")
        .unwrap();
    let forwarded = b"POST /up HTTP/1.1\r\nHost: body.test\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
    assert_eq!(
        String::from_utf8_lossy(&read_up_to(&mut stream, forwarded.len())),
        String::from_utf8_lossy(forwarded)
    );
    stream.write_all(b"MORE").unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_millis(300)))
        .unwrap();
    let mut rest = [0; 64];
    let after = std::io::Read::read(&mut stream, &mut rest);
    // Neither more bytes nor the end: the upload half stays open upstream.
    assert!(
        after.is_err(),
        "after the body, upstream sent back (0: it saw the end): {after:?} {:?}",
        &rest[..8]
    );
    s.gateway.expect(Some("body.test"), Decision::Allowed, None);
}

#[test]
fn oversized_and_garbled_requests_are_refused() {
    let s = setup();
    let huge = format!(
        "GET http://allowed.test/ HTTP/1.1\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    assert!(exchange(s.gateway.proxy, huge.as_bytes()).starts_with("HTTP/1.1 431"));
    s.gateway
        .expect(None, Decision::Blocked, Some(Reason::TooLarge));
    assert!(exchange(s.gateway.proxy, b"\x16\x03\x01garbage\r\n\r\n").starts_with("HTTP/1.1 400"));
    s.gateway
        .expect(None, Decision::Blocked, Some(Reason::Malformed));
}

#[test]
fn transparent_listeners_route_by_sni_and_host_header() {
    let s = setup();
    let mut tls = connect(s.gateway.https);
    tls.write_all(HELLO_ALLOWED).unwrap();
    assert_eq!(read_up_to(&mut tls, HELLO_ALLOWED.len()), HELLO_ALLOWED);
    let attempt = s
        .gateway
        .expect(Some("allowed.test"), Decision::Allowed, None);
    assert_eq!((attempt.kind, attempt.port), (Kind::Transparent, Some(443)));

    let mut other = connect(s.gateway.https);
    other.write_all(HELLO_OTHER).unwrap();
    assert_eq!(read_up_to(&mut other, 1), b"");
    s.gateway.expect(
        Some("api.example.org"),
        Decision::Blocked,
        Some(Reason::NotAllowed),
    );

    let answer = exchange(
        s.gateway.http,
        b"GET /plain HTTP/1.1\r\nHost: allowed.test\r\n\r\n",
    );
    assert!(answer.contains("GET /plain HTTP/1.1"), "{answer}");
    s.gateway
        .expect(Some("allowed.test"), Decision::Allowed, None);
    let answer = exchange(
        s.gateway.http,
        b"GET / HTTP/1.1\r\nHost: blocked.test\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    s.gateway.expect(
        Some("blocked.test"),
        Decision::Blocked,
        Some(Reason::NotAllowed),
    );
}

#[test]
fn an_exact_host_port_entry_gets_its_own_listener() {
    let s = setup();
    let mut stream = connect(s.tcp_port);
    stream.write_all(b"ping").unwrap();
    assert_eq!(read_up_to(&mut stream, 4), b"ping");
    let attempt = s.gateway.expect(Some("echo.test"), Decision::Allowed, None);
    assert_eq!((attempt.kind, attempt.port), (Kind::Tcp, Some(s.tcp_port)));
}

#[test]
fn the_resolver_answers_allowed_names_with_the_gateway_only() {
    let s = setup();
    let (a, aaaa) = (1, 28);
    assert_eq!(
        dns_udp(s.gateway.dns, &dns_query("Allowed.Test", a)),
        (0, 1, [127, 0, 0, 1])
    );
    s.gateway
        .expect(Some("allowed.test"), Decision::Allowed, None);
    assert_eq!(
        dns_udp(s.gateway.dns, &dns_query("deep.sub.wild.test", a)).1,
        1
    );
    s.gateway
        .expect(Some("deep.sub.wild.test"), Decision::Allowed, None);
    let (rcode, answers, _) = dns_udp(s.gateway.dns, &dns_query("allowed.test", aaaa));
    assert_eq!((rcode, answers), (0, 0));
    s.gateway
        .expect(Some("allowed.test"), Decision::Allowed, None);
    for (name, reason) in [
        ("blocked.test", Reason::NotAllowed),
        ("no.wild.test", Reason::Denied),
    ] {
        let (rcode, answers, _) = dns_udp(s.gateway.dns, &dns_query(name, a));
        assert_eq!((rcode, answers), (3, 0), "{name}: NXDOMAIN");
        s.gateway
            .expect(Some(name), Decision::Blocked, Some(reason));
    }
    // Over TCP, two queries on one connection.
    let mut stream = connect(s.gateway.dns);
    for (name, expected) in [
        ("echo.test", (0, 1, [127, 0, 0, 1])),
        ("blocked.test", (3, 0, [0, 1, 0, 1])),
    ] {
        let query = dns_query(name, a);
        stream
            .write_all(&(query.len() as u16).to_be_bytes())
            .unwrap();
        stream.write_all(&query).unwrap();
        let length = read_up_to(&mut stream, 2);
        let reply = read_up_to(
            &mut stream,
            usize::from(u16::from_be_bytes([length[0], length[1]])),
        );
        assert_eq!(summary(&reply), expected, "{name}");
    }
}

#[test]
fn sighup_loads_a_new_policy_without_dropping_open_connections() {
    let s = setup();
    let later = http_server();
    let request = b"GET http://later.test/ HTTP/1.1\r\nHost: later.test\r\n\r\n";
    assert!(exchange(s.gateway.proxy, request).starts_with("HTTP/1.1 403"));
    s.gateway.expect(
        Some("later.test"),
        Decision::Blocked,
        Some(Reason::NotAllowed),
    );

    let mut open = connect(s.tcp_port);
    open.write_all(b"before").unwrap();
    assert_eq!(read_up_to(&mut open, 6), b"before");

    let with_later = policy(s.http, s.echo, s.tcp_port).replacen(
        r#""allowed.test","#,
        r#""allowed.test", "later.test","#,
        1,
    );
    let with_later = with_later.replacen(
        r#""hosts": {"#,
        &format!(r#""hosts": {{"later.test:80": "127.0.0.1:{later}", "#),
        1,
    );
    s.gateway.reload(&with_later);
    s.gateway.wait_stderr("policy reloaded");
    assert!(exchange(s.gateway.proxy, request).starts_with("HTTP/1.1 200"));
    s.gateway
        .expect(Some("later.test"), Decision::Allowed, None);
    open.write_all(b"after").unwrap();
    assert_eq!(
        read_up_to(&mut open, 5),
        b"after",
        "the open connection survived the reload"
    );

    // A policy that does not parse changes nothing.
    s.gateway.reload("{\"allow\": [\"later.test\"");
    s.gateway.wait_stderr("the previous policy stays in force");
    assert!(exchange(s.gateway.proxy, request).starts_with("HTTP/1.1 200"));
    s.gateway
        .expect(Some("later.test"), Decision::Allowed, None);
}

#[test]
fn a_bad_policy_at_start_is_an_error_that_says_which_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.json");
    std::fs::write(&path, r#"{"allow": ["10.0.0.5"]}"#).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_paddock-gateway"))
        .arg("--policy")
        .arg(&path)
        .args(["--address", "127.0.0.1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("\"10.0.0.5\"") && stderr.contains("10.0.0.5:443"),
        "{stderr}"
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_paddock-gateway"))
        .args(["--address", "localhost"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not an IPv4 address"));
}
