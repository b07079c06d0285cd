//! Shared by the gateway's integration tests: the real binary started on
//! loopback with ports of the test's choosing, its log read back, and small
//! local servers standing in for the internet (127.0.0.1 only).
#![allow(dead_code)]
// Helpers, not tests: clippy.toml's allowance for tests does not reach them.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::thread;
use std::time::{Duration, Instant};

use paddock_gateway::{Attempt, Decision, Reason};

pub const WAIT: Duration = Duration::from_secs(10);

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A UDP and TCP port nothing uses right now (for the resolver).
pub fn free_dns_port() -> u16 {
    loop {
        let port = free_port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// The gateway binary, running until dropped.
pub struct Gateway {
    child: Child,
    pub policy: PathBuf,
    _dir: tempfile::TempDir,
    pub proxy: u16,
    pub https: u16,
    pub http: u16,
    pub dns: u16,
    log: Receiver<String>,
    stderr: Receiver<String>,
}

impl Gateway {
    pub fn start(policy: &str) -> Gateway {
        Gateway::start_with(policy, &[])
    }

    /// [`Gateway::start`] with more options, e.g. `--keys FILE`.
    pub fn start_with(policy: &str, options: &[&str]) -> Gateway {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.json");
        std::fs::write(&path, policy).unwrap();
        let (proxy, https, http, dns) = (free_port(), free_port(), free_port(), free_dns_port());
        let mut child = Command::new(env!("CARGO_BIN_EXE_paddock-gateway"))
            .arg("--policy")
            .arg(&path)
            .args(["--address", "127.0.0.1"])
            .args([
                "--proxy-port",
                &proxy.to_string(),
                "--https-port",
                &https.to_string(),
            ])
            .args([
                "--http-port",
                &http.to_string(),
                "--dns-port",
                &dns.to_string(),
            ])
            .args(options)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the gateway binary starts");
        let log = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        let gateway = Gateway {
            child,
            policy: path,
            _dir: dir,
            proxy,
            https,
            http,
            dns,
            log,
            stderr,
        };
        gateway.wait_stderr("paddock-gateway: ready");
        gateway
    }

    /// Waits for a line on stderr that contains `text`.
    pub fn wait_stderr(&self, text: &str) -> String {
        let deadline = Instant::now() + WAIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.stderr.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("the gateway never wrote {text:?} on stderr");
    }

    /// Waits for the log line of an attempt on `host` (None: no host read)
    /// and checks its decision and reason. Every line must be an Attempt.
    pub fn expect(
        &self,
        host: Option<&str>,
        decision: Decision,
        reason: Option<Reason>,
    ) -> Attempt {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let Ok(line) = self.log.recv_timeout(left) else {
                break;
            };
            let attempt: Attempt = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not an attempt ({e}): {line}"));
            if attempt.host.as_deref() == host {
                assert_eq!(
                    (attempt.decision, attempt.reason),
                    (decision, reason),
                    "{line}"
                );
                return attempt;
            }
            seen.push(line);
        }
        panic!("no log line for {host:?}; saw {seen:#?}");
    }

    /// Rewrites the policy file (by rename, as Paddock does) and sends SIGHUP.
    pub fn reload(&self, policy: &str) {
        let next = self.policy.with_extension("next");
        std::fs::write(&next, policy).unwrap();
        std::fs::rename(&next, &self.policy).unwrap();
        let status = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines(stream: impl Read + Send + 'static) -> Receiver<String> {
    let (send, receive) = channel();
    thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            if send.send(line).is_err() {
                return;
            }
        }
    });
    receive
}

/// Runs `serve` for each connection to a fresh 127.0.0.1 listener, on a
/// thread that lives as long as the test process; returns its port.
fn server(serve: fn(TcpStream)) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || serve(stream));
        }
    });
    port
}

/// A TCP server that sends back what it receives.
pub fn echo_server() -> u16 {
    server(|mut stream| {
        let mut buffer = [0; 16 * 1024];
        while let Ok(count @ 1..) = stream.read(&mut buffer) {
            if stream.write_all(&buffer[..count]).is_err() {
                return;
            }
        }
        let _ = stream.shutdown(Shutdown::Write);
    })
}

/// An HTTP server whose answer is the request head it received.
pub fn http_server() -> u16 {
    server(|stream| {
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        while reader.read_line(&mut head).is_ok_and(|count| count > 2) {}
        let body = format!("upstream saw:\n{head}");
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = reader.get_mut().write_all(response.as_bytes());
    })
}

/// A connection to a gateway port, with timeouts so that no test hangs.
pub fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream.set_write_timeout(Some(WAIT)).unwrap();
    stream
}

/// Sends `request` and reads until the gateway or upstream closes.
pub fn exchange(port: u16, request: &[u8]) -> String {
    let mut stream = connect(port);
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// Reads one HTTP response head (up to the blank line) from `stream`.
pub fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Reads exactly `count` bytes, or what came before the stream ended.
pub fn read_up_to(stream: &mut TcpStream, count: usize) -> Vec<u8> {
    let mut got = Vec::new();
    let _ = stream.take(count as u64).read_to_end(&mut got);
    got
}

/// A DNS query for `name` of type `kind`, as a stub resolver sends it.
pub fn dns_query(name: &str, kind: u16) -> Vec<u8> {
    let mut out = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.extend_from_slice(&[0]);
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out
}

/// The reply to one UDP query: (rcode, answer count, last four bytes).
pub fn dns_udp(port: u16, query: &[u8]) -> (u8, u16, [u8; 4]) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(WAIT)).unwrap();
    socket.send_to(query, ("127.0.0.1", port)).unwrap();
    let mut reply = [0; 512];
    let count = socket.recv(&mut reply).expect("the resolver answers");
    summary(&reply[..count])
}

pub fn summary(reply: &[u8]) -> (u8, u16, [u8; 4]) {
    let tail: [u8; 4] = reply[reply.len() - 4..].try_into().unwrap();
    (
        reply[3] & 0xf,
        u16::from_be_bytes([reply[6], reply[7]]),
        tail,
    )
}

/// The ClientHellos that `openssl s_client` sent (see src/gateway/tls.rs).
pub const HELLO_ALLOWED: &[u8] = include_bytes!("../data/sni.bin");
pub const HELLO_OTHER: &[u8] = include_bytes!("../data/alpn.bin");
pub const HELLO_NO_SNI: &[u8] = include_bytes!("../data/nosni.bin");
