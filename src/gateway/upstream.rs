//! Connecting to an allowed host: its pinned address, its IP literal, or what
//! the system resolver says (inside the gateway's container, podman's
//! resolver on the outer network).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::host::Host;
use crate::policy::Policy;
use crate::reason::Reason;

/// How long a looked-up address is used again before it is looked up anew.
const REMEMBER: Duration = Duration::from_secs(10);
/// The most names remembered; past that the memory starts over.
const NAMES: usize = 1024;

/// The system resolver, with a short memory: without it every connection
/// would wait for a lookup (a millisecond or more through podman's
/// resolver) that the direct path does once per process.
#[derive(Default)]
pub struct Resolver {
    known: Mutex<HashMap<String, (Instant, Vec<IpAddr>)>>,
}

impl Resolver {
    /// Connects to `host` on `port`, which the policy has allowed, within
    /// `limit` for the lookup and the connection together.
    pub async fn connect(
        &self,
        policy: &Policy,
        host: &Host,
        port: u16,
        limit: Duration,
    ) -> Result<TcpStream, Reason> {
        timeout(limit, async {
            let addresses = match (policy.pinned(host, port), host) {
                (Some(address), _) => vec![address],
                (None, Host::Ip(ip)) => vec![SocketAddr::new(*ip, port)],
                (None, Host::Name(name)) => self
                    .resolve(name)
                    .await?
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, port))
                    .collect(),
            };
            for address in addresses {
                if let Ok(stream) = TcpStream::connect(address).await {
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
            }
            Err(Reason::Unreachable)
        })
        .await
        .unwrap_or(Err(Reason::Unreachable))
    }

    /// The addresses of `name` that lead out, looked up or remembered.
    async fn resolve(&self, name: &str) -> Result<Vec<IpAddr>, Reason> {
        if let Some((at, addresses)) = self.known().get(name)
            && at.elapsed() < REMEMBER
        {
            return Ok(addresses.clone());
        }
        let found: Vec<IpAddr> = tokio::net::lookup_host((name, 0))
            .await
            .map_err(|_| Reason::Unresolved)?
            .map(|address| address.ip())
            .collect();
        if found.is_empty() {
            return Err(Reason::Unresolved);
        }
        let usable: Vec<IpAddr> = found.into_iter().filter(|&ip| !is_local(ip)).collect();
        if usable.is_empty() {
            return Err(Reason::LocalAddress);
        }
        let mut known = self.known();
        if known.len() >= NAMES {
            known.clear();
        }
        known.insert(name.to_owned(), (Instant::now(), usable.clone()));
        Ok(usable)
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Vec<IpAddr>)>> {
        self.known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Addresses that are never a way out: a name resolving to one would point
/// the gateway at itself, its host or a link-local service (such as a cloud
/// metadata endpoint). Only a `hosts` pin or an exact IP entry reaches them.
pub fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.octets()[0] == 0
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_local(IpAddr::V4(v4)),
            None => {
                v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || v6.is_unicast_link_local()
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_addresses_are_the_ones_that_never_leave() {
        for local in [
            "127.0.0.1",
            "127.8.9.10",
            "0.0.0.0",
            "0.1.2.3",
            "169.254.169.254",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_local(local.parse().unwrap()), "{local}");
        }
        for remote in [
            "93.184.215.14",
            "10.89.0.5",
            "192.168.1.1",
            "2001:db8::1",
            "fd00::1",
            "::ffff:93.184.215.14",
        ] {
            assert!(!is_local(remote.parse().unwrap()), "{remote}");
        }
    }
}
