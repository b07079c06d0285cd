//! HTTP/1 request heads: what the client asks for, and the head forwarded
//! for it. Bodies are forwarded by length only, so the gateway always knows
//! where one request ends and never passes on a second one it did not check.

use crate::host::{Host, split_port};
use crate::reason::Reason;

/// The largest request head read.
pub const MAX_HEAD: usize = 16 * 1024;
const MAX_HEADERS: usize = 100;
const HTTP_PORT: u16 = 80;

/// Headers that belong to one hop and are not forwarded (RFC 9110 7.6.1),
/// plus the proxy's own credentials.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "proxy-authenticate",
    "te", // codespell:ignore te
    "trailer",
    "upgrade",
];

#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// `CONNECT host:port`, the host as written.
    Tunnel { host: String, port: u16 },
    /// `GET http://authority/path`.
    Absolute { authority: String, path: String },
    /// `GET /path`, for a client that did not know it met a proxy.
    Origin { path: String },
}

#[derive(Debug)]
pub struct Request {
    method: String,
    pub target: Target,
    minor_version: u8,
    host_header: Option<String>,
    /// The length of the body that follows the head.
    pub content_length: u64,
    /// The headers forwarded as they came, minus Host and hop-by-hop ones.
    forwarded: Vec<(String, Vec<u8>)>,
    /// Where the head ends in the bytes it was read from.
    pub head_length: usize,
}

/// Reads a request head from the start of `bytes`: `Ok(None)` while it is
/// incomplete.
pub fn parse(bytes: &[u8]) -> Result<Option<Request>, Reason> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let head_length = match request.parse(bytes) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) if bytes.len() >= MAX_HEAD => return Err(Reason::TooLarge),
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(Reason::TooLarge),
        Err(_) => return Err(Reason::Malformed),
    };
    if head_length > MAX_HEAD {
        return Err(Reason::TooLarge);
    }
    let method = request.method.unwrap_or_default().to_owned();
    let path = request.path.unwrap_or_default();
    let target = if method == "CONNECT" {
        let (host, port) = split_port(path)?;
        Target::Tunnel {
            host: host.to_owned(),
            port: port.ok_or(Reason::Malformed)?,
        }
    } else if let Some(rest) = strip_prefix_ignore_case(path, "http://") {
        let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        if authority.is_empty() || authority.contains('@') {
            return Err(Reason::Malformed);
        }
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        Target::Absolute {
            authority: authority.to_owned(),
            path,
        }
    } else if strip_prefix_ignore_case(path, "https://").is_some() {
        return Err(Reason::Unsupported);
    } else if path.starts_with('/') {
        Target::Origin {
            path: path.to_owned(),
        }
    } else {
        return Err(Reason::Malformed);
    };

    let headers: &[httparse::Header<'_>] = request.headers;
    let named = |name: &'static str| {
        headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
    };
    let single = |name: &'static str| -> Result<Option<String>, Reason> {
        let mut values = named(name);
        let first = values
            .next()
            .map(|h| String::from_utf8(h.value.to_vec()).map_err(|_| Reason::Malformed));
        match (first, values.next()) {
            (_, Some(_)) => Err(Reason::Malformed),
            (None, None) => Ok(None),
            (Some(value), None) => value.map(|v| Some(v.trim().to_owned())),
        }
    };
    let host_header = single("host")?;
    let mut content_length = 0;
    if !matches!(target, Target::Tunnel { .. }) {
        if named("transfer-encoding").next().is_some() {
            return Err(Reason::Unsupported);
        }
        if let Some(length) = single("content-length")? {
            if length.is_empty() || !length.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Reason::Malformed);
            }
            content_length = length.parse().map_err(|_| Reason::Malformed)?;
        }
    }
    let connection_tokens: Vec<String> = named("connection")
        .flat_map(|h| {
            String::from_utf8_lossy(h.value)
                .split(',')
                .map(|t| t.trim().to_ascii_lowercase())
                .collect::<Vec<_>>()
        })
        .collect();
    let forwarded = headers
        .iter()
        .filter(|h| {
            let name = h.name.to_ascii_lowercase();
            name != "host"
                && !HOP_BY_HOP.contains(&name.as_str())
                && !connection_tokens.contains(&name)
        })
        .map(|h| (h.name.to_owned(), h.value.to_vec()))
        .collect();
    Ok(Some(Request {
        method,
        target,
        minor_version: request.version.unwrap_or(1),
        host_header,
        content_length,
        forwarded,
        head_length,
    }))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `host[:port]` as a host and a port (80 when none is given).
fn authority(text: &str) -> Result<(Host, u16), Reason> {
    let (host, port) = split_port(text)?;
    Ok((Host::parse(host)?, port.unwrap_or(HTTP_PORT)))
}

impl Request {
    /// Where a plain HTTP request goes: its absolute target, which a Host
    /// header must agree with, or else its Host header.
    pub fn destination(&self) -> Result<(Host, u16), Reason> {
        let from_header = self.host_header.as_deref().map(authority).transpose()?;
        match (&self.target, from_header) {
            (
                Target::Absolute {
                    authority: text, ..
                },
                header,
            ) => {
                let target = authority(text)?;
                match header {
                    Some(header) if header != target => Err(Reason::HostMismatch),
                    _ => Ok(target),
                }
            }
            (Target::Origin { .. }, Some(header)) => Ok(header),
            (Target::Origin { .. }, None) => Err(Reason::Malformed),
            (Target::Tunnel { .. }, _) => Err(Reason::Unsupported),
        }
    }

    /// The Host header as sent, if there was one.
    pub fn host_header(&self) -> Option<&str> {
        self.host_header.as_deref()
    }

    /// The values of the forwarded headers called `name`.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.forwarded
            .iter()
            .filter(move |(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_slice())
    }

    /// The head for a key route: an origin-form request to `host`, its
    /// `header` set to `value` (the real key, which only this head ever
    /// holds), the other end-to-end headers as they came, and
    /// `Connection: close`. None for a target that is not origin-form.
    pub fn keyed_head(&self, host: &str, header: &str, value: &[u8]) -> Option<Vec<u8>> {
        let Target::Origin { path } = &self.target else {
            return None;
        };
        let mut head = format!(
            "{} {path} HTTP/1.{}\r\nHost: {host}\r\n",
            self.method, self.minor_version
        )
        .into_bytes();
        for (name, original) in &self.forwarded {
            head.extend_from_slice(name.as_bytes());
            head.extend_from_slice(b": ");
            if name.eq_ignore_ascii_case(header) {
                head.extend_from_slice(value);
            } else {
                head.extend_from_slice(original);
            }
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"Connection: close\r\n\r\n");
        Some(head)
    }

    /// The head sent upstream: origin-form target, one Host header, the
    /// client's other end-to-end headers, and `Connection: close`, so that
    /// the connection carries this request only.
    pub fn upstream_head(&self) -> Vec<u8> {
        let (path, host) = match &self.target {
            Target::Absolute { authority, path } => (
                path.as_str(),
                self.host_header.as_deref().unwrap_or(authority),
            ),
            Target::Origin { path } => (
                path.as_str(),
                self.host_header.as_deref().unwrap_or_default(),
            ),
            Target::Tunnel { .. } => ("/", ""),
        };
        let mut head = format!(
            "{} {path} HTTP/1.{}\r\nHost: {host}\r\n",
            self.method, self.minor_version
        )
        .into_bytes();
        for (name, value) in &self.forwarded {
            head.extend_from_slice(name.as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value);
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"Connection: close\r\n\r\n");
        head
    }
}

/// The gateway's own response to a request it does not forward.
pub fn refusal(reason: Reason) -> Vec<u8> {
    let status = match reason {
        Reason::Malformed | Reason::NotAHostName | Reason::HostMismatch => "400 Bad Request",
        Reason::Timeout => "408 Request Timeout",
        Reason::TooLarge => "431 Request Header Fields Too Large",
        Reason::Unsupported => "501 Not Implemented",
        Reason::Unresolved | Reason::Unreachable => "502 Bad Gateway",
        _ => "403 Forbidden",
    };
    let body = format!(
        "Paddock's network policy for this sandbox refused the request: {}\n",
        reason.code()
    );
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The answer to an allowed CONNECT.
pub const TUNNEL_ESTABLISHED: &[u8] = b"HTTP/1.1 200 Connection established\r\n\r\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> Request {
        parse(text.as_bytes()).unwrap().expect("a complete head")
    }

    fn host(text: &str) -> Host {
        Host::parse(text).unwrap()
    }

    #[test]
    fn connect_names_host_and_port() {
        let r =
            request("CONNECT api.example.org:443 HTTP/1.1\r\nHost: api.example.org:443\r\n\r\n");
        assert_eq!(
            r.target,
            Target::Tunnel {
                host: "api.example.org".into(),
                port: 443
            }
        );
        for bad in [
            "CONNECT api.example.org HTTP/1.1\r\n\r\n",
            "CONNECT api.example.org:x HTTP/1.1\r\n\r\n",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_absolute_request_goes_to_its_target() {
        let r =
            request("GET http://Example.org:8080/a?b HTTP/1.1\r\nHost: example.ORG:8080\r\n\r\n");
        assert_eq!(r.destination(), Ok((host("example.org"), 8080)));
        let r = request("GET http://example.org HTTP/1.0\r\n\r\n");
        assert_eq!(r.destination(), Ok((host("example.org"), 80)));
        assert!(
            String::from_utf8(r.upstream_head())
                .unwrap()
                .starts_with("GET / HTTP/1.0\r\nHost: example.org\r\n")
        );
        let r = request("GET http://example.org:80/x HTTP/1.1\r\nHost: example.org\r\n\r\n");
        assert_eq!(r.destination(), Ok((host("example.org"), 80)));
    }

    #[test]
    fn a_host_header_that_disagrees_is_refused() {
        for head in [
            "GET http://allowed.test/ HTTP/1.1\r\nHost: evil.test\r\n\r\n",
            "GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test:8080\r\n\r\n",
        ] {
            assert_eq!(
                request(head).destination(),
                Err(Reason::HostMismatch),
                "{head:?}"
            );
        }
        let twice =
            "GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\nHost: evil.test\r\n\r\n";
        assert_eq!(parse(twice.as_bytes()).unwrap_err(), Reason::Malformed);
    }

    #[test]
    fn an_origin_request_goes_where_its_host_header_says() {
        let r = request("GET /index.html HTTP/1.1\r\nHost: allowed.test\r\n\r\n");
        assert_eq!(r.destination(), Ok((host("allowed.test"), 80)));
        assert_eq!(
            request("GET / HTTP/1.1\r\n\r\n").destination(),
            Err(Reason::Malformed)
        );
    }

    #[test]
    fn the_upstream_head_carries_one_request_and_no_proxy_headers() {
        let r = request(
            "POST http://allowed.test/up HTTP/1.1\r\nHost: allowed.test\r\nProxy-Authorization: Basic eA==\r\n\
             Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\nContent-Length: 3\r\nAccept: */*\r\n\r\nabc",
        );
        assert_eq!(r.content_length, 3);
        assert_eq!(
            String::from_utf8(r.upstream_head()).unwrap(),
            "POST /up HTTP/1.1\r\nHost: allowed.test\r\nContent-Length: 3\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn bodies_without_a_length_are_not_forwarded() {
        let chunked = "POST http://allowed.test/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(parse(chunked.as_bytes()).unwrap_err(), Reason::Unsupported);
        for length in ["-1", "1, 1", "", "0x10", "99999999999999999999999"] {
            let head =
                format!("POST http://allowed.test/ HTTP/1.1\r\nContent-Length: {length}\r\n\r\n");
            assert_eq!(
                parse(head.as_bytes()).unwrap_err(),
                Reason::Malformed,
                "{length:?}"
            );
        }
        let two =
            "POST http://allowed.test/ HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n";
        assert_eq!(parse(two.as_bytes()).unwrap_err(), Reason::Malformed);
    }

    #[test]
    fn targets_the_gateway_does_not_serve_are_refused() {
        for (head, reason) in [
            (
                "GET https://allowed.test/ HTTP/1.1\r\n\r\n",
                Reason::Unsupported,
            ),
            (
                "GET http://user@allowed.test/ HTTP/1.1\r\n\r\n",
                Reason::Malformed,
            ),
            ("GET http:///x HTTP/1.1\r\n\r\n", Reason::Malformed),
            ("OPTIONS * HTTP/1.1\r\n\r\n", Reason::Malformed),
            ("GET / HTTP/1.1\r\nbad header\r\n\r\n", Reason::Malformed),
            ("\x16\x03\x01\x00\x05hello", Reason::Malformed),
        ] {
            assert_eq!(parse(head.as_bytes()).unwrap_err(), reason, "{head:?}");
        }
        let r = request("GET http://10.0.0.5:5432/ HTTP/1.1\r\n\r\n");
        assert_eq!(
            r.destination(),
            Ok((Host::Ip("10.0.0.5".parse().unwrap()), 5432))
        );
        let r = request("GET http://127.1/ HTTP/1.1\r\n\r\n");
        assert_eq!(r.destination(), Err(Reason::NotAHostName));
    }

    #[test]
    fn heads_are_bounded() {
        let partial = format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(MAX_HEAD));
        assert_eq!(parse(partial.as_bytes()).unwrap_err(), Reason::TooLarge);
        assert!(parse(b"GET / HTTP/1.1\r\nHost: a").unwrap().is_none());
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: 1\r\n")).collect();
        let head = format!("GET / HTTP/1.1\r\n{many}\r\n");
        assert_eq!(parse(head.as_bytes()).unwrap_err(), Reason::TooLarge);
    }
}
