//! Host names and IP literals as the sandbox writes them (CONNECT, SNI, Host
//! header, DNS question) and as the policy lists them, in one normal form.

use std::fmt;
use std::net::IpAddr;

use crate::reason::Reason;

/// A destination host: a name in normal form or an IP address.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Host {
    /// Lower case, no trailing dot, ASCII only (IDNA names stay in their
    /// `xn--` form: the gateway never converts them, so a Unicode look-alike
    /// cannot match a listed punycode name).
    Name(String),
    Ip(IpAddr),
}

impl Host {
    /// Reads a host without a port: a name (case and one trailing dot
    /// ignored), an IPv4 literal, or an IPv6 literal with or without
    /// brackets.
    pub fn parse(text: &str) -> Result<Host, Reason> {
        let unbracketed = text
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'));
        if let Some(inner) = unbracketed {
            return inner
                .parse::<std::net::Ipv6Addr>()
                .map(|ip| Host::Ip(IpAddr::V6(ip)))
                .map_err(|_| Reason::NotAHostName);
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Host::Ip(ip));
        }
        normal_name(text).map(Host::Name)
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            Host::Name(name) => Some(name),
            Host::Ip(_) => None,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(name) => f.write_str(name),
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            Host::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// Splits `host:port`, `[v6]:port` or a bare host. A bare IPv6 address (more
/// than one colon, no brackets) has no port.
pub fn split_port(text: &str) -> Result<(&str, Option<u16>), Reason> {
    if text.starts_with('[') {
        let end = text.find(']').ok_or(Reason::NotAHostName)?;
        let (host, rest) = text.split_at(end + 1);
        return match rest {
            "" => Ok((host, None)),
            _ => Ok((
                host,
                Some(port(rest.strip_prefix(':').ok_or(Reason::NotAHostName)?)?),
            )),
        };
    }
    match text.rsplit_once(':') {
        Some((host, digits)) if !host.contains(':') => Ok((host, Some(port(digits)?))),
        _ => Ok((text, None)),
    }
}

fn port(digits: &str) -> Result<u16, Reason> {
    if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Reason::NotAHostName);
    }
    match digits.parse::<u16>() {
        Ok(0) | Err(_) => Err(Reason::NotAHostName),
        Ok(port) => Ok(port),
    }
}

/// A DNS host name in normal form. The last label must start with a letter:
/// that keeps out every numeric spelling that a system resolver would take
/// as an address (`127.1`, `0x7f.1`, `2130706433`), since no top-level
/// domain starts with a digit.
fn normal_name(text: &str) -> Result<String, Reason> {
    let name = text.strip_suffix('.').unwrap_or(text);
    if name.is_empty() || name.len() > 253 {
        return Err(Reason::NotAHostName);
    }
    let valid_label = |label: &str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !name.split('.').all(valid_label) {
        return Err(Reason::NotAHostName);
    }
    let last = name.rsplit('.').next().unwrap_or_default();
    if !last.as_bytes()[0].is_ascii_alphabetic() {
        return Err(Reason::NotAHostName);
    }
    Ok(name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Host {
        Host::Name(text.into())
    }

    #[test]
    fn names_are_lower_case_without_the_trailing_dot() {
        assert_eq!(Host::parse("Example.ORG."), Ok(name("example.org")));
        assert_eq!(
            Host::parse("xn--bcher-kva.example"),
            Ok(name("xn--bcher-kva.example"))
        );
        assert_eq!(
            Host::parse("_acme.example.org"),
            Ok(name("_acme.example.org"))
        );
    }

    #[test]
    fn what_is_not_a_name_is_refused() {
        for text in [
            "",
            ".",
            "example..org",
            "exa mple.org",
            "bücher.example",
            "example.org..",
            "a/b",
            "127.1",
            "0x7f.1",
            "2130706433",
            "host.123",
            format!("{}.org", "a".repeat(64)).as_str(),
            format!("{}org", "a.".repeat(127)).as_str(),
        ] {
            assert_eq!(Host::parse(text), Err(Reason::NotAHostName), "{text:?}");
        }
    }

    #[test]
    fn ip_literals_are_addresses() {
        assert_eq!(
            Host::parse("10.0.0.5"),
            Ok(Host::Ip("10.0.0.5".parse().unwrap()))
        );
        assert_eq!(Host::parse("[::1]"), Ok(Host::Ip("::1".parse().unwrap())));
        assert_eq!(Host::parse("::1"), Ok(Host::Ip("::1".parse().unwrap())));
        assert_eq!(Host::parse("[10.0.0.5]"), Err(Reason::NotAHostName));
        assert_eq!(Host::Ip("::1".parse().unwrap()).to_string(), "[::1]");
    }

    #[test]
    fn ports_are_split_off() {
        assert_eq!(
            split_port("example.org:443"),
            Ok(("example.org", Some(443)))
        );
        assert_eq!(split_port("example.org"), Ok(("example.org", None)));
        assert_eq!(split_port("[::1]:8080"), Ok(("[::1]", Some(8080))));
        assert_eq!(split_port("[::1]"), Ok(("[::1]", None)));
        assert_eq!(split_port("::1"), Ok(("::1", None)));
        for bad in [
            "example.org:",
            "example.org:0",
            "example.org:65536",
            "example.org:+1",
            "[::1]x",
            "[::1",
        ] {
            assert_eq!(split_port(bad), Err(Reason::NotAHostName), "{bad:?}");
        }
    }
}
