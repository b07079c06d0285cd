//! Why an attempt was blocked, or why an allowed one did not reach its host:
//! stable codes in the JSON log, which Paddock turns into translated text.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// A `deny` entry names the host (deny wins over allow).
    Denied,
    /// No `allow` entry names the host.
    NotAllowed,
    /// The host is allowed, but not on this port.
    PortNotAllowed,
    /// An IP address that no `allow` entry lists with this port.
    IpLiteral,
    /// The text where a host belongs is no host name or address.
    NotAHostName,
    /// A TLS connection to port 443 without a server name (SNI).
    NoSni,
    /// The TLS server name differs from the host the client asked for.
    SniMismatch,
    /// Port 443 without a TLS ClientHello.
    NotTls,
    /// An HTTP request whose Host header differs from its target.
    HostMismatch,
    /// A request, ClientHello or DNS message the gateway could not read.
    Malformed,
    /// A request the gateway does not forward (a chunked request body, an
    /// `https://` target without CONNECT, a DNS query other than one
    /// question of class IN).
    Unsupported,
    /// A request head or ClientHello larger than the gateway reads.
    TooLarge,
    /// The client did not finish its request or ClientHello in time.
    Timeout,
    /// The limit of concurrent connections was reached.
    TooManyConnections,
    /// Several allowed hosts share this port, so a plain TCP connection
    /// cannot say which one it wants (the proxy's CONNECT can).
    AmbiguousPort,
    /// The allowed name resolves only to addresses that are never a way out
    /// (loopback, link-local, multicast, unspecified): refused so that a
    /// name cannot point the gateway at itself or the host's local services.
    LocalAddress,
    /// Allowed, but the system resolver has no address for the name.
    Unresolved,
    /// Allowed, but the host did not accept the connection in time.
    Unreachable,
    /// A request on a key route whose key header is not the placeholder
    /// exactly once: nothing to put the key in, so nothing is forwarded.
    KeyPlaceholder,
    /// The API host of a key route did not prove its name with a
    /// certificate the trust store vouches for: the key was not sent.
    Untrusted,
}

impl Reason {
    pub const ALL: [Reason; 20] = [
        Reason::Denied,
        Reason::NotAllowed,
        Reason::PortNotAllowed,
        Reason::IpLiteral,
        Reason::NotAHostName,
        Reason::NoSni,
        Reason::SniMismatch,
        Reason::NotTls,
        Reason::HostMismatch,
        Reason::Malformed,
        Reason::Unsupported,
        Reason::TooLarge,
        Reason::Timeout,
        Reason::TooManyConnections,
        Reason::AmbiguousPort,
        Reason::LocalAddress,
        Reason::Unresolved,
        Reason::Unreachable,
        Reason::KeyPlaceholder,
        Reason::Untrusted,
    ];

    /// The code as it appears in the log.
    pub fn code(self) -> &'static str {
        match self {
            Reason::Denied => "denied",
            Reason::NotAllowed => "not_allowed",
            Reason::PortNotAllowed => "port_not_allowed",
            Reason::IpLiteral => "ip_literal",
            Reason::NotAHostName => "not_a_host_name",
            Reason::NoSni => "no_sni",
            Reason::SniMismatch => "sni_mismatch",
            Reason::NotTls => "not_tls",
            Reason::HostMismatch => "host_mismatch",
            Reason::Malformed => "malformed",
            Reason::Unsupported => "unsupported",
            Reason::TooLarge => "too_large",
            Reason::Timeout => "timeout",
            Reason::TooManyConnections => "too_many_connections",
            Reason::AmbiguousPort => "ambiguous_port",
            Reason::LocalAddress => "local_address",
            Reason::Unresolved => "unresolved",
            Reason::Unreachable => "unreachable",
            Reason::KeyPlaceholder => "key_placeholder",
            Reason::Untrusted => "untrusted",
        }
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Reason::ALL
            .into_iter()
            .find(|reason| reason.code() == code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown reason {code:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_and_no_two_are_alike() {
        let mut codes = std::collections::BTreeSet::new();
        for reason in Reason::ALL {
            let json = serde_json::to_string(&reason).unwrap();
            assert_eq!(serde_json::from_str::<Reason>(&json).unwrap(), reason);
            assert!(codes.insert(reason.code()), "{json} twice");
        }
        assert!(serde_json::from_str::<Reason>("\"nope\"").is_err());
    }
}
