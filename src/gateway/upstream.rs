//! Connecting to an allowed host: its pinned address, its IP literal, or what
//! the system resolver says (inside the gateway's container, podman's
//! resolver on the outer network).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::host::Host;
use crate::policy::Policy;
use crate::reason::Reason;

/// Connects to `host` on `port`, which the policy has allowed, within
/// `limit` for the lookup and the connection together.
pub async fn connect(
    policy: &Policy,
    host: &Host,
    port: u16,
    limit: Duration,
) -> Result<TcpStream, Reason> {
    timeout(limit, async {
        let addresses = match (policy.pinned(host, port), host) {
            (Some(address), _) => vec![address],
            (None, Host::Ip(ip)) => vec![SocketAddr::new(*ip, port)],
            (None, Host::Name(name)) => resolve(name, port).await?,
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

async fn resolve(name: &str, port: u16) -> Result<Vec<SocketAddr>, Reason> {
    let found: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
        .await
        .map_err(|_| Reason::Unresolved)?
        .collect();
    if found.is_empty() {
        return Err(Reason::Unresolved);
    }
    let usable: Vec<SocketAddr> = found
        .into_iter()
        .filter(|address| !is_local(address.ip()))
        .collect();
    if usable.is_empty() {
        return Err(Reason::LocalAddress);
    }
    Ok(usable)
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
