//! Paddock's egress gateway: the only way out of a sandbox, and the place
//! its network policy is enforced. A krun microVM's kernel has no netfilter,
//! so the policy cannot live in the sandbox; it lives in this program, in a
//! container of its own that the sandbox can reach but not touch.
//!
//! # How Paddock runs it
//!
//! - A podman network created `--internal --disable-dns` for one sandbox
//!   (no route out, and no podman resolver on it: with aardvark-dns there,
//!   podman gives the sandbox aardvark's address instead of `--dns`), which
//!   the sandbox alone joins, and a normal network.
//! - A gateway container on both, running
//!   `paddock-gateway --policy /etc/paddock/policy.json --address IP`,
//!   where IP is the gateway's address on the internal network (give the
//!   container a static one there with `--ip`). Every listener binds to that
//!   address only, and the resolver answers it for every allowed name. The
//!   policy file is mounted read-only from Paddock's data folder, never from
//!   the project, so nothing the sandbox can write reaches it.
//! - The sandbox: `--network` the internal network only, `--dns IP`, and
//!   `HTTP_PROXY`, `HTTPS_PROXY` (and lower-case `http_proxy`, `https_proxy`)
//!   set to `http://IP:3128`. Clients that ignore them still end at the
//!   gateway: allowed names resolve to IP, where ports 443 and 80 route by
//!   SNI and by Host header.
//! - To change the policy: rewrite the file (a rename, so that the gateway
//!   never reads half of it), then send the container SIGHUP (`podman kill
//!   --signal HUP`). Open connections stay open; new ones follow the new
//!   policy. A file that does not parse leaves the old policy in force and
//!   says why on stderr. [`Policy::from_json`] is the same check, for
//!   refusing a bad policy before it is written.
//! - To follow what the sandbox tries: the container's stdout, one JSON
//!   [`Attempt`] per line and nothing else (diagnostics go to stderr; a line
//!   `paddock-gateway: ready` there says the listeners are bound). Reasons
//!   are stable codes ([`Reason::code`]) for the window to translate.
//! - Fail closed: if the gateway stops, the sandbox's network has no way
//!   out at all. A policy that does not load at start is an exit with code
//!   1, a bad command line code 2.
//!
//! # The policy
//!
//! JSON, as [`PolicyFile`]: `allow` and `deny` lists of `name` (ports 80 and
//! 443), `*.name` (any subdomain, not name itself) or an exact `host:port`
//! (any port; an IP address only this way, IPv6 in brackets); deny wins, and
//! a bare or wildcard name in `deny` covers every port. `hosts` pins local
//! names to addresses, looked up before the system resolver. Names compare
//! without case and trailing dot; international names are written (and
//! matched) in their `xn--` form.
//!
//! # What each listener enforces
//!
//! - Proxy (3128): `CONNECT host:port` by the policy; for a name on port
//!   443 the ClientHello that follows must carry the same name as SNI. A
//!   plain `GET http://host/...` is forwarded by its host, and a Host header
//!   that names another host is refused; one request per connection, bodies
//!   by Content-Length only.
//! - Transparent 443 and 80: the same policy, by SNI and by Host header.
//! - DNS (53, UDP and TCP): an A record (the gateway's address) for names
//!   with some allowed port, no records for other types of those names,
//!   NXDOMAIN for the rest, REFUSED for what is not a plain query. It never
//!   asks another resolver, so a name outside the policy leaves no trace
//!   outside.
//! - One listener per exact `host:port` entry whose port is not 80 or 443,
//!   forwarding to that host (when one port has several hosts, only the
//!   proxy can tell them apart; the listener refuses).
//!
//! Upstream, names are looked up with the system resolver (inside the
//! container, podman's resolver on the outer network) after the `hosts`
//! pins, and remembered for 10 s; a name that resolves only to loopback,
//! link-local, multicast or unspecified addresses is refused
//! (`local_address`). Spliced bytes move through splice(2) and never pass
//! through the gateway's memory.
//!
//! What it does not stop: an allowed host can still carry data out; inside
//! TLS the gateway sees only the SNI, so a server behind a shared front (a
//! CDN) can be asked for another site (domain fronting); a wildcard lets the
//! sandbox pick subdomains, which the gateway's own lookups carry to that
//! domain's name servers.

mod dns;
mod host;
mod http;
mod keys;
mod log;
mod policy;
mod reason;
mod server;
mod splice;
mod tls;
mod upstream;

use std::path::Path;

pub use host::Host;
pub use keys::{Keys, KeysFile, RouteFile};
pub use log::{Attempt, Decision, Kind};
pub use policy::{Policy, PolicyError, PolicyFile};
pub use reason::Reason;
pub use server::{Config, Gateway, Limits, Ports};

/// Reads and checks the policy file; the error names the file.
pub fn load_policy(path: &Path) -> Result<Policy, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read the policy {}: {error}", path.display()))?;
    Policy::from_json(&text)
        .map_err(|error| format!("the policy {} is not valid: {error}", path.display()))
}
