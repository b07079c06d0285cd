//! Key routes: API keys that stay outside the sandbox. The sandbox holds a
//! placeholder in the key's variable and a base URL pointing at one plain
//! HTTP listener of the gateway's per key. There the gateway checks the
//! request, puts the real key where the placeholder was and sends it over
//! TLS to the route's API host, verifying the host's certificate against
//! the CA bundle it was given. The host is fixed in the routes file, never
//! taken from the request, so a key only ever goes to its own API.
//!
//! The routes file (`--keys FILE`), JSON as [`KeysFile`], names for each
//! route the file holding the key (a podman mount secret of the gateway's
//! container): it is read once, at start, and never written anywhere, the
//! log included.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::host::Host;
use crate::http::Request;
use crate::reason::Reason;

/// The port a key route's API host is reached on.
pub const API_PORT: u16 = 443;

/// The routes file as written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysFile {
    /// The CA certificates (PEM) that vouch for the API hosts.
    pub ca_bundle: PathBuf,
    pub routes: Vec<RouteFile>,
}

/// One key route as written.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteFile {
    /// The gateway's listener for it, on its internal address.
    pub port: u16,
    /// The API host, the only one the key goes to.
    pub host: String,
    /// The header the key travels in.
    pub header: String,
    /// The header's value is `Bearer <key>`.
    #[serde(default)]
    pub bearer: bool,
    /// What the sandbox holds instead of the key.
    pub placeholder: String,
    /// The file holding the key.
    pub key_file: PathBuf,
}

/// A checked route with its key.
pub struct Route {
    pub port: u16,
    pub host: Host,
    header: String,
    /// The header's value the sandbox sends: the placeholder, maybe after
    /// `Bearer `.
    expected: Vec<u8>,
    /// The header's value sent upstream.
    keyed: Vec<u8>,
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Route({}:{} -> {})", self.header, self.port, self.host)
    }
}

impl Drop for Route {
    fn drop(&mut self) {
        self.keyed.fill(0);
    }
}

/// Every key route and the TLS settings they connect with.
#[derive(Clone, Default)]
pub struct Keys {
    pub routes: Vec<Arc<Route>>,
    tls: Option<TlsConnector>,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.routes).finish()
    }
}

fn header_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A header value that cannot end its header line or start another.
fn one_value(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && bytes
            .iter()
            .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b))
}

impl Keys {
    /// Reads and checks the routes file, the CA bundle and each key.
    pub fn load(path: &Path) -> Result<Keys, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read the key routes {}: {error}", path.display()))?;
        let file: KeysFile = serde_json::from_str(&text)
            .map_err(|error| format!("the key routes {} are not valid: {error}", path.display()))?;
        Keys::new(&file)
    }

    pub fn new(file: &KeysFile) -> Result<Keys, String> {
        if file.routes.is_empty() {
            return Ok(Keys::default());
        }
        let mut roots = rustls::RootCertStore::empty();
        let certificates = CertificateDer::pem_file_iter(&file.ca_bundle).map_err(|error| {
            format!(
                "cannot read the CA bundle {}: {error}",
                file.ca_bundle.display()
            )
        })?;
        for certificate in certificates.flatten() {
            // A bundle holds certificates this TLS stack cannot use as
            // roots (old or odd ones): leave those out, keep the rest.
            let _ = roots.add(certificate);
        }
        if roots.is_empty() {
            return Err(format!(
                "the CA bundle {} holds no usable certificate",
                file.ca_bundle.display()
            ));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| format!("TLS: {error}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut routes = Vec::new();
        for route in &file.routes {
            routes.push(Arc::new(route_of(route)?));
        }
        Ok(Keys {
            routes,
            tls: Some(TlsConnector::from(Arc::new(config))),
        })
    }

    pub fn ports(&self) -> Vec<u16> {
        self.routes.iter().map(|route| route.port).collect()
    }

    /// A TLS connection to the route's host over `tcp`, its certificate
    /// verified for that name.
    pub async fn tls(&self, route: &Route, tcp: TcpStream) -> Result<TlsStream<TcpStream>, Reason> {
        let connector = self.tls.as_ref().ok_or(Reason::Untrusted)?;
        let name =
            ServerName::try_from(route.host.to_string()).map_err(|_| Reason::NotAHostName)?;
        connector
            .connect(name, tcp)
            .await
            .map_err(|_| Reason::Untrusted)
    }
}

fn route_of(route: &RouteFile) -> Result<Route, String> {
    let bad = |why: &str| format!("key route on port {}: {why}", route.port);
    let Ok(host @ Host::Name(_)) = Host::parse(&route.host) else {
        return Err(bad("the host must be a host name"));
    };
    if !header_token(&route.header) || route.header.eq_ignore_ascii_case("host") {
        return Err(bad("the header must be a header name other than Host"));
    }
    if !one_value(route.placeholder.as_bytes()) {
        return Err(bad("the placeholder must be printable ASCII on one line"));
    }
    let mut key = std::fs::read(&route.key_file)
        .map_err(|error| bad(&format!("cannot read its key: {error}")))?;
    let prefix: &[u8] = if route.bearer { b"Bearer " } else { b"" };
    let mut keyed = prefix.to_vec();
    keyed.extend_from_slice(&key);
    key.fill(0);
    if !one_value(&keyed) {
        keyed.fill(0);
        return Err(bad(
            "its key is empty or holds a line break or control character; store it again",
        ));
    }
    let mut expected = prefix.to_vec();
    expected.extend_from_slice(route.placeholder.as_bytes());
    Ok(Route {
        port: route.port,
        host,
        header: route.header.to_ascii_lowercase(),
        expected,
        keyed,
    })
}

impl Route {
    /// The head to send the API host for `request`, which reached this
    /// route's listener at `own` (the gateway's `address:port`): only an
    /// origin-form request whose Host is the gateway or the API host, with
    /// the placeholder exactly once in the key header, gets the key.
    pub fn head(&self, request: &Request, own: &str) -> Result<Vec<u8>, Reason> {
        let host = request.host_header().ok_or(Reason::Malformed)?;
        let api = self.host.to_string();
        let names_api = host.eq_ignore_ascii_case(&api)
            || host.eq_ignore_ascii_case(&format!("{api}:{API_PORT}"));
        if !(host == own || names_api) {
            return Err(Reason::HostMismatch);
        }
        let mut values = request.values(&self.header);
        match (values.next(), values.next()) {
            (Some(value), None) if value == self.expected.as_slice() => {}
            _ => return Err(Reason::KeyPlaceholder),
        }
        request
            .keyed_head(&api, &self.header, &self.keyed)
            .ok_or(Reason::HostMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(bearer: bool) -> Route {
        let prefix = if bearer { "Bearer " } else { "" };
        Route {
            port: 8401,
            host: Host::parse("api.example.test").unwrap(),
            header: "x-api-key".into(),
            expected: format!("{prefix}paddock-placeholder-K").into_bytes(),
            keyed: format!("{prefix}sk-real").into_bytes(),
        }
    }

    fn head(route: &Route, text: &str) -> Result<String, Reason> {
        let request = crate::http::parse(text.as_bytes()).unwrap().unwrap();
        route
            .head(&request, "10.89.0.254:8401")
            .map(|head| String::from_utf8(head).unwrap())
    }

    #[test]
    fn the_placeholder_becomes_the_key_for_the_api_host() {
        let sent = head(
            &route(false),
            "POST /v1/messages HTTP/1.1\r\nHost: 10.89.0.254:8401\r\nx-api-key: paddock-placeholder-K\r\nContent-Length: 2\r\n\r\n{}",
        )
        .unwrap();
        assert_eq!(
            sent,
            "POST /v1/messages HTTP/1.1\r\nHost: api.example.test\r\nx-api-key: sk-real\r\nContent-Length: 2\r\nConnection: close\r\n\r\n"
        );
        let sent = head(
            &route(false),
            "GET / HTTP/1.1\r\nHost: API.example.test:443\r\nX-Api-Key: paddock-placeholder-K\r\n\r\n",
        )
        .unwrap();
        assert!(sent.contains("X-Api-Key: sk-real\r\n"), "{sent}");
    }

    #[test]
    fn other_hosts_and_forms_never_get_the_key() {
        let key = "x-api-key: paddock-placeholder-K\r\n";
        for (text, reason) in [
            (
                format!("GET / HTTP/1.1\r\nHost: evil.test\r\n{key}\r\n"),
                Reason::HostMismatch,
            ),
            (
                format!("GET / HTTP/1.1\r\nHost: api.example.test.evil.test\r\n{key}\r\n"),
                Reason::HostMismatch,
            ),
            (
                format!("GET / HTTP/1.1\r\nHost: api.example.test:8443\r\n{key}\r\n"),
                Reason::HostMismatch,
            ),
            (format!("GET / HTTP/1.1\r\n{key}\r\n"), Reason::Malformed),
            (
                format!("GET http://evil.test/ HTTP/1.1\r\nHost: 10.89.0.254:8401\r\n{key}\r\n"),
                Reason::HostMismatch,
            ),
            (
                format!(
                    "GET http://api.example.test/ HTTP/1.1\r\nHost: api.example.test\r\n{key}\r\n"
                ),
                Reason::HostMismatch,
            ),
            (
                format!("GET / HTTP/1.1\r\nHost: 10.89.0.254:8401\r\n{key}{key}\r\n"),
                Reason::KeyPlaceholder,
            ),
            (
                "GET / HTTP/1.1\r\nHost: 10.89.0.254:8401\r\nx-api-key: sk-guess\r\n\r\n".into(),
                Reason::KeyPlaceholder,
            ),
            (
                "GET / HTTP/1.1\r\nHost: 10.89.0.254:8401\r\n\r\n".into(),
                Reason::KeyPlaceholder,
            ),
        ] {
            assert_eq!(head(&route(false), &text), Err(reason), "{text:?}");
        }
        // The placeholder glued to more, or a bearer route without Bearer.
        assert_eq!(
            head(
                &route(true),
                "GET / HTTP/1.1\r\nHost: 10.89.0.254:8401\r\nx-api-key: paddock-placeholder-K\r\n\r\n"
            ),
            Err(Reason::KeyPlaceholder)
        );
        assert!(
            head(
                &route(true),
                "GET / HTTP/1.1\r\nHost: 10.89.0.254:8401\r\nx-api-key: Bearer paddock-placeholder-K\r\n\r\n"
            )
            .unwrap()
            .contains("x-api-key: Bearer sk-real\r\n")
        );
    }

    #[test]
    fn a_split_header_line_is_a_second_header_and_refused() {
        // A line break inside the value starts another header line, which
        // makes the key header appear twice.
        let text = "GET / HTTP/1.1\r\nHost: 10.89.0.254:8401\r\nX-Note: a\r\nx-api-key: paddock-placeholder-K\r\nx-api-key: paddock-placeholder-K\r\n\r\n";
        assert_eq!(head(&route(false), text), Err(Reason::KeyPlaceholder));
        let bare_cr = "GET / HTTP/1.1\r\nHost: 10.89.0.254:8401\r\nx-api-key: paddock-placeholder-K\rHost: evil.test\r\n\r\n";
        assert!(crate::http::parse(bare_cr.as_bytes()).is_err());
    }

    #[test]
    fn a_key_that_could_break_the_head_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("none.pem");
        std::fs::write(&bundle, "").unwrap();
        let key = dir.path().join("key");
        std::fs::write(&key, "sk-real\r\nHost: evil.test").unwrap();
        let file = RouteFile {
            port: 8401,
            host: "api.example.test".into(),
            header: "x-api-key".into(),
            bearer: false,
            placeholder: "p".into(),
            key_file: key,
        };
        let error = route_of(&file).unwrap_err();
        assert!(error.contains("line break"), "{error}");
        assert!(!error.contains("sk-real"), "{error}");
        let error = Keys::new(&KeysFile {
            ca_bundle: bundle,
            routes: vec![file],
        })
        .unwrap_err();
        assert!(error.contains("no usable certificate"), "{error}");
        assert!(format!("{:?}", route(false)).find("sk-real").is_none());
    }
}
