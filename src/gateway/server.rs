//! The listeners on the internal network and what each does with a
//! connection: decide, log, connect, splice.

use std::collections::BTreeMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream, UdpSocket};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio::time::timeout;

use crate::dns;
use crate::host::Host;
use crate::http::{self, Request, Target};
use crate::keys::{API_PORT, Keys, Route};
use crate::log::{Attempt, Kind};
use crate::policy::{Policy, WEB_PORTS};
use crate::reason::Reason;
use crate::splice::splice;
use crate::tls;
use crate::upstream;

/// The ports the gateway listens on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ports {
    /// The HTTP proxy (HTTP_PROXY / HTTPS_PROXY).
    pub proxy: u16,
    /// Transparent HTTPS, routed by SNI.
    pub https: u16,
    /// Transparent HTTP, routed by the Host header.
    pub http: u16,
    /// The resolver, UDP and TCP.
    pub dns: u16,
}

impl Default for Ports {
    fn default() -> Ports {
        Ports {
            proxy: 3128,
            https: 443,
            http: 80,
            dns: 53,
        }
    }
}

/// Bounds on what the sandbox can make the gateway hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once (proxy, transparent, TCP and DNS over TCP).
    pub connections: usize,
    /// Time to send a request head, a ClientHello or a DNS message.
    pub handshake: Duration,
    /// Time to look up and connect to the host.
    pub connect: Duration,
    /// A connection that moved no byte either way for this long is closed.
    pub idle: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connections: 256,
            handshake: Duration::from_secs(10),
            connect: Duration::from_secs(10),
            idle: Duration::from_secs(300),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The gateway's own address on the sandbox's internal network: every
    /// listener binds to it (never to the outer network), and the resolver
    /// gives it as the address of every allowed name.
    pub address: Ipv4Addr,
    pub ports: Ports,
    pub limits: Limits,
}

struct Shared {
    config: Config,
    policy: RwLock<Arc<Policy>>,
    slots: Arc<Semaphore>,
    resolver: upstream::Resolver,
    keys: Keys,
}

impl Shared {
    fn policy(&self) -> Arc<Policy> {
        self.policy
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// What a TCP listener is for.
#[derive(Clone, Debug)]
enum Role {
    Proxy,
    Https,
    Http,
    Dns,
    /// An exact `host:port` entry's port.
    Tcp(u16),
    /// A key route's listener.
    Key(Arc<Route>),
}

impl Role {
    fn kind(&self) -> Kind {
        match self {
            Role::Proxy => Kind::Proxy,
            Role::Https | Role::Http => Kind::Transparent,
            Role::Dns => Kind::Dns,
            Role::Tcp(_) => Kind::Tcp,
            Role::Key(_) => Kind::Key,
        }
    }
}

/// A running gateway. Dropping it stops every listener.
pub struct Gateway {
    shared: Arc<Shared>,
    listeners: Vec<JoinHandle<()>>,
    tcp: Mutex<BTreeMap<u16, JoinHandle<()>>>,
}

impl Gateway {
    /// Binds every listener (a key route's too) and starts serving; fails
    /// when one of the fixed listeners cannot be bound. Returns the gateway
    /// and a warning for each TCP port of the policy that could not be
    /// listened on.
    pub async fn start(
        config: Config,
        policy: Policy,
        keys: Keys,
    ) -> io::Result<(Gateway, Vec<String>)> {
        let shared = Arc::new(Shared {
            config,
            policy: RwLock::new(Arc::new(policy)),
            slots: Arc::new(Semaphore::new(config.limits.connections)),
            resolver: upstream::Resolver::default(),
            keys: keys.clone(),
        });
        let ports = config.ports;
        let mut listeners = Vec::new();
        for (port, role) in [
            (ports.proxy, Role::Proxy),
            (ports.https, Role::Https),
            (ports.http, Role::Http),
            (ports.dns, Role::Dns),
        ] {
            let listener = listen(config.address, port)
                .map_err(|error| named(error, config.address, port, &role))?;
            listeners.push(tokio::spawn(accept(listener, shared.clone(), role)));
        }
        for route in &keys.routes {
            let role = Role::Key(route.clone());
            let listener = listen(config.address, route.port)
                .map_err(|error| named(error, config.address, route.port, &role))?;
            listeners.push(tokio::spawn(accept(listener, shared.clone(), role)));
        }
        let udp = UdpSocket::bind((config.address, ports.dns))
            .await
            .map_err(|error| named(error, config.address, ports.dns, &Role::Dns))?;
        listeners.push(tokio::spawn(dns_udp(udp, shared.clone())));
        let gateway = Gateway {
            shared,
            listeners,
            tcp: Mutex::new(BTreeMap::new()),
        };
        let warnings = gateway.sync_tcp_listeners();
        Ok((gateway, warnings))
    }

    /// Replaces the policy. Connections already open stay open; every new
    /// one is decided by the new policy. Returns a warning for each new TCP
    /// port that could not be listened on.
    pub fn reload(&self, policy: Policy) -> Vec<String> {
        *self
            .shared
            .policy
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(policy);
        self.sync_tcp_listeners()
    }

    /// Listens on each port the policy's exact entries name (besides 80 and
    /// 443, which the transparent listeners serve) and stops listening on
    /// those it no longer names.
    fn sync_tcp_listeners(&self) -> Vec<String> {
        let config = self.shared.config;
        let mut own = vec![
            config.ports.proxy,
            config.ports.https,
            config.ports.http,
            config.ports.dns,
        ];
        own.extend(self.shared.keys.ports());
        let wanted = self.shared.policy().tcp_ports();
        let mut tcp = self
            .tcp
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        tcp.retain(|port, task| {
            let keep = wanted.contains_key(port);
            if !keep {
                task.abort();
            }
            keep
        });
        let mut warnings = Vec::new();
        for &port in wanted.keys() {
            if tcp.contains_key(&port) || WEB_PORTS.contains(&port) {
                continue;
            }
            if own.contains(&port) {
                warnings.push(format!(
                    "port {port} is the gateway's own; reach its host:{port} entries through the proxy (CONNECT)"
                ));
                continue;
            }
            match listen(config.address, port) {
                Ok(listener) => {
                    tcp.insert(
                        port,
                        tokio::spawn(accept(listener, self.shared.clone(), Role::Tcp(port))),
                    );
                }
                Err(error) => {
                    warnings.push(named(error, config.address, port, &Role::Tcp(port)).to_string())
                }
            }
        }
        warnings
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        for task in &self.listeners {
            task.abort();
        }
        for task in self
            .tcp
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .values()
        {
            task.abort();
        }
    }
}

fn listen(address: Ipv4Addr, port: u16) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from((address, port)))?;
    socket.listen(1024)
}

fn named(error: io::Error, address: Ipv4Addr, port: u16, role: &Role) -> io::Error {
    io::Error::new(
        error.kind(),
        format!("cannot listen on {address}:{port} ({role:?}): {error}"),
    )
}

async fn accept(listener: TcpListener, shared: Arc<Shared>, role: Role) {
    loop {
        // Out of file descriptors and the like: wait instead of spinning.
        let Ok((stream, client)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let Ok(slot) = shared.slots.clone().try_acquire_owned() else {
            Attempt::new(client, role.kind(), None, None)
                .blocked(Reason::TooManyConnections)
                .write();
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let role = role.clone();
        tokio::spawn(async move {
            match role {
                Role::Proxy => proxy(&shared, stream, client).await,
                Role::Https => transparent_https(&shared, stream, client).await,
                Role::Http => transparent_http(&shared, stream, client).await,
                Role::Dns => dns_tcp(&shared, stream, client).await,
                Role::Tcp(port) => tcp(&shared, stream, client, port).await,
                Role::Key(route) => key_route(&shared, stream, client, &route).await,
            }
            drop(slot);
        });
    }
}

/// Reads from `stream` onto `bytes` until `parse` has what it needs, within
/// `limit`; the end of the stream before that is malformed input.
async fn read_until<T>(
    stream: &mut TcpStream,
    bytes: &mut Vec<u8>,
    limit: Duration,
    parse: impl Fn(&[u8]) -> Result<Option<T>, Reason>,
) -> Result<T, Reason> {
    timeout(limit, async {
        let mut chunk = [0; 4096];
        loop {
            if let Some(done) = parse(bytes)? {
                return Ok(done);
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return Err(Reason::Malformed),
                Ok(count) => bytes.extend_from_slice(&chunk[..count]),
            }
        }
    })
    .await
    .unwrap_or(Err(Reason::Timeout))
}

/// Logs a refused HTTP request and tells the client why.
async fn refuse_http(mut client: TcpStream, attempt: Attempt, reason: Reason) {
    attempt.blocked(reason).write();
    let _ = client.write_all(&http::refusal(reason)).await;
    let _ = client.shutdown().await;
}

async fn proxy(shared: &Shared, mut client: TcpStream, peer: SocketAddr) {
    let mut bytes = Vec::new();
    let request = match read_until(
        &mut client,
        &mut bytes,
        shared.config.limits.handshake,
        http::parse,
    )
    .await
    {
        Ok(request) => request,
        Err(reason) => {
            return refuse_http(client, Attempt::new(peer, Kind::Proxy, None, None), reason).await;
        }
    };
    if let Target::Tunnel { host, port } = &request.target {
        let early = bytes.split_off(request.head_length);
        return tunnel(shared, client, peer, host, *port, early).await;
    }
    forward(shared, client, peer, Kind::Proxy, request, bytes, None).await;
}

/// `CONNECT host:port`: for a name on port 443, the ClientHello must name the
/// same host; then the tunnel carries whatever the two ends say.
async fn tunnel(
    shared: &Shared,
    mut client: TcpStream,
    peer: SocketAddr,
    host: &str,
    port: u16,
    early: Vec<u8>,
) {
    let mut attempt = Attempt::new(peer, Kind::Proxy, Some(host.to_owned()), Some(port));
    let host = match Host::parse(host) {
        Ok(host) => host,
        Err(reason) => return refuse_http(client, attempt, reason).await,
    };
    attempt.host = Some(host.to_string());
    let policy = shared.policy();
    if let Err(reason) = policy.check(&host, port) {
        return refuse_http(client, attempt, reason).await;
    }
    let limits = shared.config.limits;
    if port == 443 && matches!(host, Host::Name(_)) {
        // The client sends its ClientHello only once the tunnel is open.
        if client.write_all(http::TUNNEL_ESTABLISHED).await.is_err() {
            return;
        }
        let mut hello = early;
        let sni = read_until(&mut client, &mut hello, limits.handshake, tls::server_name).await;
        let checked = sni.and_then(|name| {
            let name = name.ok_or(Reason::NoSni)?;
            match Host::parse(&name) {
                Ok(named) if named == host => Ok(()),
                _ => Err(Reason::SniMismatch),
            }
        });
        if let Err(reason) = checked {
            return attempt.blocked(reason).write();
        }
        let upstream = match shared
            .resolver
            .connect(&policy, &host, port, limits.connect)
            .await
        {
            Ok(upstream) => upstream,
            Err(reason) => return blocked_or_failed(attempt, reason).write(),
        };
        attempt.write();
        return send_and_splice(client, upstream, &hello, None, limits.idle).await;
    }
    let upstream = match shared
        .resolver
        .connect(&policy, &host, port, limits.connect)
        .await
    {
        Ok(upstream) => upstream,
        Err(reason) => return refuse_after_check(client, attempt, reason).await,
    };
    if client.write_all(http::TUNNEL_ESTABLISHED).await.is_err() {
        return;
    }
    attempt.write();
    send_and_splice(client, upstream, &early, None, limits.idle).await;
}

/// A host the name resolved to that the gateway refuses is a block; a host
/// that did not answer is an allowed attempt that failed.
fn blocked_or_failed(attempt: Attempt, reason: Reason) -> Attempt {
    match reason {
        Reason::LocalAddress => attempt.blocked(reason),
        _ => attempt.failed(reason),
    }
}

async fn refuse_after_check(mut client: TcpStream, attempt: Attempt, reason: Reason) {
    blocked_or_failed(attempt, reason).write();
    let _ = client.write_all(&http::refusal(reason)).await;
    let _ = client.shutdown().await;
}

async fn send_and_splice(
    client: TcpStream,
    mut upstream: TcpStream,
    first: &[u8],
    upload_limit: Option<u64>,
    idle: Duration,
) {
    if upstream.write_all(first).await.is_ok() {
        splice(client, upstream, upload_limit, idle).await;
    }
}

/// A plain HTTP request: to the host it names (and, on the transparent
/// listener, to port 80 only), forwarded with its body and nothing after it.
async fn forward(
    shared: &Shared,
    client: TcpStream,
    peer: SocketAddr,
    kind: Kind,
    request: Request,
    bytes: Vec<u8>,
    only_port: Option<u16>,
) {
    let (host, port) = match request.destination() {
        Ok(destination) => destination,
        Err(reason) => {
            return refuse_http(client, Attempt::new(peer, kind, None, None), reason).await;
        }
    };
    let attempt = Attempt::new(peer, kind, Some(host.to_string()), Some(port));
    if only_port.is_some_and(|only| only != port) {
        return refuse_http(client, attempt, Reason::HostMismatch).await;
    }
    let policy = shared.policy();
    if let Err(reason) = policy.check(&host, port) {
        return refuse_http(client, attempt, reason).await;
    }
    let limits = shared.config.limits;
    let upstream = match shared
        .resolver
        .connect(&policy, &host, port, limits.connect)
        .await
    {
        Ok(upstream) => upstream,
        Err(reason) => return refuse_after_check(client, attempt, reason).await,
    };
    attempt.write();
    let body = &bytes[request.head_length..];
    let sent = body
        .len()
        .min(usize::try_from(request.content_length).unwrap_or(usize::MAX));
    let mut first = request.upstream_head();
    first.extend_from_slice(&body[..sent]);
    send_and_splice(
        client,
        upstream,
        &first,
        Some(request.content_length - sent as u64),
        limits.idle,
    )
    .await;
}

async fn transparent_https(shared: &Shared, mut client: TcpStream, peer: SocketAddr) {
    let limits = shared.config.limits;
    let blocked = |host: Option<String>, reason| {
        Attempt::new(peer, Kind::Transparent, host, Some(443)).blocked(reason)
    };
    let mut hello = Vec::new();
    let host = match read_until(&mut client, &mut hello, limits.handshake, tls::server_name).await {
        Ok(Some(name)) => match Host::parse(&name) {
            Ok(host @ Host::Name(_)) => host,
            _ => return blocked(Some(name), Reason::NotAHostName).write(),
        },
        Ok(None) => return blocked(None, Reason::NoSni).write(),
        Err(reason) => return blocked(None, reason).write(),
    };
    let attempt = Attempt::new(peer, Kind::Transparent, Some(host.to_string()), Some(443));
    let policy = shared.policy();
    if let Err(reason) = policy.check(&host, 443) {
        return attempt.blocked(reason).write();
    }
    let upstream = match shared
        .resolver
        .connect(&policy, &host, 443, limits.connect)
        .await
    {
        Ok(upstream) => upstream,
        Err(reason) => return blocked_or_failed(attempt, reason).write(),
    };
    attempt.write();
    send_and_splice(client, upstream, &hello, None, limits.idle).await;
}

async fn transparent_http(shared: &Shared, mut client: TcpStream, peer: SocketAddr) {
    let mut bytes = Vec::new();
    let request = match read_until(
        &mut client,
        &mut bytes,
        shared.config.limits.handshake,
        http::parse,
    )
    .await
    {
        Ok(request) => request,
        Err(reason) => {
            return refuse_http(
                client,
                Attempt::new(peer, Kind::Transparent, None, Some(80)),
                reason,
            )
            .await;
        }
    };
    forward(
        shared,
        client,
        peer,
        Kind::Transparent,
        request,
        bytes,
        Some(80),
    )
    .await;
}

/// A listener for exact `host:port` entries: forwards to the one host the
/// policy allows on this port.
async fn tcp(shared: &Shared, client: TcpStream, peer: SocketAddr, port: u16) {
    let policy = shared.policy();
    let hosts = policy.tcp_ports().remove(&port).unwrap_or_default();
    let host = match hosts.as_slice() {
        [host] => host.clone(),
        [] => {
            return Attempt::new(peer, Kind::Tcp, None, Some(port))
                .blocked(Reason::PortNotAllowed)
                .write();
        }
        _ => {
            return Attempt::new(peer, Kind::Tcp, None, Some(port))
                .blocked(Reason::AmbiguousPort)
                .write();
        }
    };
    let attempt = Attempt::new(peer, Kind::Tcp, Some(host.to_string()), Some(port));
    let limits = shared.config.limits;
    let upstream = match shared
        .resolver
        .connect(&policy, &host, port, limits.connect)
        .await
    {
        Ok(upstream) => upstream,
        Err(reason) => return blocked_or_failed(attempt, reason).write(),
    };
    attempt.write();
    splice(client, upstream, None, limits.idle).await;
}

/// A key route: one checked request, its placeholder replaced by the key,
/// over TLS to the route's host (port 443) and nowhere else; the answer
/// back as it comes. The policy's `deny` still holds for that host.
async fn key_route(shared: &Shared, mut client: TcpStream, peer: SocketAddr, route: &Route) {
    let attempt = Attempt::new(
        peer,
        Kind::Key,
        Some(route.host.to_string()),
        Some(API_PORT),
    );
    let limits = shared.config.limits;
    let mut bytes = Vec::new();
    let request = match read_until(&mut client, &mut bytes, limits.handshake, http::parse).await {
        Ok(request) => request,
        Err(reason) => return refuse_http(client, attempt, reason).await,
    };
    let own = format!("{}:{}", shared.config.address, route.port);
    let mut head = match route.head(&request, &own) {
        Ok(head) => head,
        Err(reason) => return refuse_http(client, attempt, reason).await,
    };
    let policy = shared.policy();
    if let Err(reason) = policy.check(&route.host, API_PORT) {
        head.fill(0);
        return refuse_http(client, attempt, reason).await;
    }
    let tcp = match shared
        .resolver
        .connect(&policy, &route.host, API_PORT, limits.connect)
        .await
    {
        Ok(tcp) => tcp,
        Err(reason) => {
            head.fill(0);
            return refuse_after_check(client, attempt, reason).await;
        }
    };
    let mut upstream = match shared.keys.tls(route, tcp).await {
        Ok(upstream) => upstream,
        Err(reason) => {
            head.fill(0);
            return refuse_http(client, attempt, reason).await;
        }
    };
    let body = &bytes[request.head_length..];
    let sent = body
        .len()
        .min(usize::try_from(request.content_length).unwrap_or(usize::MAX));
    head.extend_from_slice(&body[..sent]);
    let written = upstream.write_all(&head).await;
    head.fill(0);
    if written.is_err() {
        return attempt.failed(Reason::Unreachable).write();
    }
    attempt.write();
    let rest = request.content_length - sent as u64;
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_api, mut to_api) = tokio::io::split(upstream);
    let upload = async {
        let mut body = (&mut from_client).take(rest);
        let _ = tokio::io::copy(&mut body, &mut to_api).await;
    };
    let download = async {
        let _ = tokio::io::copy(&mut from_api, &mut to_client).await;
        let _ = to_client.shutdown().await;
    };
    // The answer ends the exchange; the idle limit ends a stalled one.
    let _ = timeout(limits.idle, async {
        tokio::join!(upload, download);
    })
    .await;
}

/// Answers one DNS message from the policy alone, logging the question.
fn resolve(shared: &Shared, message: &[u8], peer: SocketAddr) -> Option<Vec<u8>> {
    let query = dns::parse(message);
    let dns::Query::Question { question, .. } = &query else {
        if matches!(query, dns::Query::Refuse { .. }) {
            Attempt::new(peer, Kind::Dns, None, None)
                .blocked(Reason::Unsupported)
                .write();
        }
        return dns::answer(&query, dns::REFUSED, None);
    };
    let name = question.name();
    let Some(Ok(host @ Host::Name(_))) = name.as_deref().map(Host::parse) else {
        Attempt::new(peer, Kind::Dns, name, None)
            .blocked(Reason::NotAHostName)
            .write();
        return dns::answer(&query, dns::NXDOMAIN, None);
    };
    let attempt = Attempt::new(peer, Kind::Dns, Some(host.to_string()), None);
    match shared.policy().resolves(&host) {
        Ok(()) => {
            attempt.write();
            let address = (question.kind == dns::TYPE_A).then_some(shared.config.address);
            dns::answer(&query, dns::NOERROR, address)
        }
        Err(reason) => {
            attempt.blocked(reason).write();
            dns::answer(&query, dns::NXDOMAIN, None)
        }
    }
}

async fn dns_udp(socket: UdpSocket, shared: Arc<Shared>) {
    let mut buffer = vec![0; dns::MAX_MESSAGE + 1];
    loop {
        let Ok((count, peer)) = socket.recv_from(&mut buffer).await else {
            continue;
        };
        if let Some(reply) = resolve(&shared, &buffer[..count], peer) {
            let _ = socket.send_to(&reply, peer).await;
        }
    }
}

/// DNS over TCP: length-prefixed messages, a bounded number per connection.
async fn dns_tcp(shared: &Shared, mut client: TcpStream, peer: SocketAddr) {
    const QUERIES: usize = 16;
    let limit = shared.config.limits.handshake;
    for _ in 0..QUERIES {
        let mut length = [0; 2];
        if !matches!(
            timeout(limit, client.read_exact(&mut length)).await,
            Ok(Ok(_))
        ) {
            return;
        }
        let length = usize::from(u16::from_be_bytes(length));
        if length > dns::MAX_MESSAGE {
            return Attempt::new(peer, Kind::Dns, None, None)
                .blocked(Reason::TooLarge)
                .write();
        }
        let mut message = vec![0; length];
        if !matches!(
            timeout(limit, client.read_exact(&mut message)).await,
            Ok(Ok(_))
        ) {
            return;
        }
        let Some(reply) = resolve(shared, &message, peer) else {
            return;
        };
        let mut framed = (reply.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&reply);
        if client.write_all(&framed).await.is_err() {
            return;
        }
    }
}
