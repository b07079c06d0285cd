//! The policy: which hosts and ports the sandbox may reach, read from JSON.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};

use crate::host::{Host, split_port};
use crate::reason::Reason;

/// The ports a bare host (no `:port`) allows: HTTP and HTTPS.
pub const WEB_PORTS: [u16; 2] = [80, 443];

/// The policy file as written, e.g.
/// `{"allow": ["example.org", "*.example.org", "db.internal:5432"], "deny": ["ads.example.org"]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// `name` (ports 80 and 443), `*.name` (any subdomain of name, not name
    /// itself; ports 80 and 443), or an exact `host:port` (a name or an IP
    /// address, IPv6 in brackets). An IP address is only ever allowed with
    /// its port.
    #[serde(default)]
    pub allow: Vec<String>,
    /// The same forms; a bare name or `*.name` denies every port. Deny wins.
    #[serde(default)]
    pub deny: Vec<String>,
    /// Addresses for local names the user wants to pin, looked up before the
    /// system resolver: `"name": "IP"` (every port) or `"name:port":
    /// "IP:port"` (one port, maybe to another port). Pinning does not allow
    /// anything: the name must still be allowed.
    #[serde(default)]
    pub hosts: BTreeMap<String, String>,
}

/// What is wrong with a policy file, naming the entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError(String);

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PolicyError {}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Pattern {
    Exact(Host),
    /// Names that end in `.` + this name.
    Subdomains(String),
}

impl Pattern {
    fn matches(&self, host: &Host) -> bool {
        match (self, host) {
            (Pattern::Exact(listed), host) => listed == host,
            (Pattern::Subdomains(parent), Host::Name(name)) => name
                .strip_suffix(parent.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
            (Pattern::Subdomains(_), Host::Ip(_)) => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    pattern: Pattern,
    /// None: the web ports in `allow`, every port in `deny`.
    port: Option<u16>,
}

impl Entry {
    fn parse(text: &str) -> Result<Entry, PolicyError> {
        let bad = |why: &str| PolicyError(format!("{text:?}: {why}"));
        let (host, port) = split_port(text)
            .map_err(|_| bad("the port must be a number from 1 to 65535, written as host:port"))?;
        let pattern = match host.strip_prefix("*.") {
            Some(parent) => match Host::parse(parent) {
                Ok(Host::Name(name)) if port.is_none() => Pattern::Subdomains(name),
                Ok(Host::Name(_)) => {
                    return Err(bad("a port goes with one exact host; list the hosts one by one"));
                }
                _ => return Err(bad("a wildcard is written *.name, e.g. *.example.org")),
            },
            None => Pattern::Exact(Host::parse(host).map_err(|_| {
                if host.contains('*') {
                    bad("a wildcard is written *.name, e.g. *.example.org, and stands for the subdomains of name only")
                } else if !host.is_ascii() {
                    bad("write an international name in its ASCII form (xn--...)")
                } else {
                    bad("not a host name or IP address")
                }
            })?),
        };
        Ok(Entry { pattern, port })
    }

    fn allows(&self, host: &Host, port: u16) -> bool {
        self.pattern.matches(host) && self.port.map_or(WEB_PORTS.contains(&port), |p| p == port)
    }

    fn denies(&self, host: &Host, port: u16) -> bool {
        self.pattern.matches(host) && self.port.is_none_or(|p| p == port)
    }

    fn allowed_ports(&self) -> Vec<u16> {
        self.port.map_or(WEB_PORTS.to_vec(), |port| vec![port])
    }
}

/// A checked policy: decides every connection and DNS question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    allow: Vec<Entry>,
    deny: Vec<Entry>,
    pins: BTreeMap<(String, Option<u16>), SocketAddr>,
}

impl Policy {
    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        let file: PolicyFile = serde_json::from_str(text).map_err(|error| {
            PolicyError(format!(
                "not a policy ({error}); expected {{\"allow\": [...], \"deny\": [...], \"hosts\": {{...}}}}"
            ))
        })?;
        Policy::new(&file)
    }

    pub fn new(file: &PolicyFile) -> Result<Policy, PolicyError> {
        let mut allow = Vec::new();
        for text in &file.allow {
            let entry = Entry::parse(text)?;
            if let (Pattern::Exact(ip @ Host::Ip(_)), None) = (&entry.pattern, entry.port) {
                return Err(PolicyError(format!(
                    "{text:?}: an IP address is allowed only with its port, e.g. {ip}:443"
                )));
            }
            allow.push(entry);
        }
        let deny = file
            .deny
            .iter()
            .map(|text| Entry::parse(text))
            .collect::<Result<Vec<_>, _>>()?;
        let pins = file
            .hosts
            .iter()
            .map(|(name, address)| pin(name, address))
            .collect::<Result<_, _>>()?;
        Ok(Policy { allow, deny, pins })
    }

    /// Whether the sandbox may connect to `host` on `port`; the reason if not.
    pub fn check(&self, host: &Host, port: u16) -> Result<(), Reason> {
        if self.deny.iter().any(|entry| entry.denies(host, port)) {
            return Err(Reason::Denied);
        }
        if self.allow.iter().any(|entry| entry.allows(host, port)) {
            return Ok(());
        }
        if matches!(host, Host::Ip(_)) {
            return Err(Reason::IpLiteral);
        }
        if self.allow.iter().any(|entry| entry.pattern.matches(host)) {
            return Err(Reason::PortNotAllowed);
        }
        Err(Reason::NotAllowed)
    }

    /// Whether the gateway's resolver answers for `host`: when some port of
    /// it is allowed.
    pub fn resolves(&self, host: &Host) -> Result<(), Reason> {
        let ports: BTreeSet<u16> = self
            .allow
            .iter()
            .filter(|entry| entry.pattern.matches(host))
            .flat_map(Entry::allowed_ports)
            .collect();
        let mut refusal = None;
        for port in ports {
            match self.check(host, port) {
                Ok(()) => return Ok(()),
                Err(reason) => {
                    refusal.get_or_insert(reason);
                }
            }
        }
        // No allow entry names the host: say whether a deny entry does.
        Err(refusal
            .or_else(|| self.check(host, WEB_PORTS[0]).err())
            .unwrap_or(Reason::NotAllowed))
    }

    /// The ports other than 80 and 443 that exact `host:port` entries allow,
    /// each with its hosts: the gateway listens on each of these ports and
    /// forwards to the host when there is only one.
    pub fn tcp_ports(&self) -> BTreeMap<u16, Vec<Host>> {
        let mut ports: BTreeMap<u16, Vec<Host>> = BTreeMap::new();
        for entry in &self.allow {
            if let (Pattern::Exact(host), Some(port)) = (&entry.pattern, entry.port)
                && !WEB_PORTS.contains(&port)
                && self.check(host, port).is_ok()
            {
                let hosts = ports.entry(port).or_default();
                if !hosts.contains(host) {
                    hosts.push(host.clone());
                }
            }
        }
        ports
    }

    /// The address a `hosts` entry pins `host` and `port` to, if any.
    pub fn pinned(&self, host: &Host, port: u16) -> Option<SocketAddr> {
        let name = host.name()?.to_owned();
        self.pins
            .get(&(name.clone(), Some(port)))
            .copied()
            .or_else(|| {
                self.pins
                    .get(&(name, None))
                    .map(|address| SocketAddr::new(address.ip(), port))
            })
    }
}

/// One `hosts` entry; an address for every port is kept with port 0.
fn pin(name: &str, address: &str) -> Result<((String, Option<u16>), SocketAddr), PolicyError> {
    let bad = |why: &str| PolicyError(format!("hosts: {name:?}: {address:?}: {why}"));
    let (host, port) = split_port(name).map_err(|_| bad("write the name as name or name:port"))?;
    let Ok(Host::Name(host)) = Host::parse(host) else {
        return Err(bad(
            "the key must be a host name (an IP address needs no pinning)",
        ));
    };
    let address = match (
        address.parse::<SocketAddr>(),
        address.parse::<IpAddr>(),
        port,
    ) {
        (Ok(socket), _, Some(_)) => socket,
        (_, Ok(ip), _) => SocketAddr::new(ip, port.unwrap_or(0)),
        (Ok(_), _, None) => {
            return Err(bad(
                "an address with a port goes with a name with a port (name:port)",
            ));
        }
        _ => {
            return Err(bad(
                "the value must be an IP address, or IP:port for name:port",
            ));
        }
    };
    Ok(((host, port), address))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(json: &str) -> Policy {
        Policy::from_json(json).unwrap()
    }

    fn host(text: &str) -> Host {
        Host::parse(text).unwrap()
    }

    fn check(policy: &Policy, target: &str) -> Result<(), Reason> {
        let (name, port) = split_port(target).unwrap();
        policy.check(&host(name), port.unwrap())
    }

    #[test]
    fn a_bare_name_allows_the_web_ports_of_that_name_only() {
        let p = policy(r#"{"allow": ["example.org"]}"#);
        assert_eq!(check(&p, "example.org:443"), Ok(()));
        assert_eq!(check(&p, "example.org:80"), Ok(()));
        assert_eq!(check(&p, "example.org:22"), Err(Reason::PortNotAllowed));
        assert_eq!(check(&p, "www.example.org:443"), Err(Reason::NotAllowed));
        assert_eq!(check(&p, "badexample.org:443"), Err(Reason::NotAllowed));
        assert_eq!(
            check(&p, "example.org.evil.test:443"),
            Err(Reason::NotAllowed)
        );
    }

    #[test]
    fn a_wildcard_allows_subdomains_at_any_depth_but_not_the_apex() {
        let p = policy(r#"{"allow": ["*.example.org"]}"#);
        assert_eq!(check(&p, "a.example.org:443"), Ok(()));
        assert_eq!(check(&p, "a.b.example.org:80"), Ok(()));
        assert_eq!(check(&p, "example.org:443"), Err(Reason::NotAllowed));
        assert_eq!(check(&p, "aexample.org:443"), Err(Reason::NotAllowed));
        assert_eq!(check(&p, "a.example.org:8443"), Err(Reason::PortNotAllowed));
    }

    #[test]
    fn deny_wins_over_allow() {
        let p = policy(
            r#"{"allow": ["*.example.org", "example.org", "db.example.org:5432", "mail.example.org:25"],
                "deny": ["ads.example.org", "*.tracking.example.org", "mail.example.org:25"]}"#,
        );
        assert_eq!(check(&p, "ads.example.org:443"), Err(Reason::Denied));
        assert_eq!(check(&p, "x.tracking.example.org:443"), Err(Reason::Denied));
        assert_eq!(check(&p, "tracking.example.org:443"), Ok(()));
        assert_eq!(check(&p, "mail.example.org:25"), Err(Reason::Denied));
        assert_eq!(check(&p, "mail.example.org:443"), Ok(()));
        assert_eq!(check(&p, "db.example.org:5432"), Ok(()));
        let everything_denied = policy(r#"{"allow": ["example.org"], "deny": ["example.org"]}"#);
        assert_eq!(
            check(&everything_denied, "example.org:443"),
            Err(Reason::Denied)
        );
    }

    #[test]
    fn exact_entries_allow_their_port_only() {
        let p = policy(r#"{"allow": ["db.internal:5432", "[2001:db8::1]:443", "10.0.0.5:5432"]}"#);
        assert_eq!(check(&p, "db.internal:5432"), Ok(()));
        assert_eq!(check(&p, "db.internal:443"), Err(Reason::PortNotAllowed));
        assert_eq!(check(&p, "10.0.0.5:5432"), Ok(()));
        assert_eq!(check(&p, "[2001:db8::1]:443"), Ok(()));
    }

    #[test]
    fn ip_literals_pass_only_when_listed_with_their_port() {
        let p = policy(r#"{"allow": ["example.org", "10.0.0.5:5432"]}"#);
        assert_eq!(check(&p, "10.0.0.5:5432"), Ok(()));
        assert_eq!(check(&p, "10.0.0.5:443"), Err(Reason::IpLiteral));
        assert_eq!(check(&p, "93.184.215.14:443"), Err(Reason::IpLiteral));
        assert_eq!(check(&p, "[::1]:443"), Err(Reason::IpLiteral));
        let error = Policy::from_json(r#"{"allow": ["10.0.0.5"]}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("10.0.0.5:443"), "{error}");
    }

    #[test]
    fn names_match_whatever_their_case_and_trailing_dot() {
        let p = policy(r#"{"allow": ["Example.ORG.", "*.Docs.Example.Net"]}"#);
        assert_eq!(check(&p, "EXAMPLE.org.:443"), Ok(()));
        assert_eq!(check(&p, "API.docs.example.net.:443"), Ok(()));
    }

    #[test]
    fn punycode_is_matched_as_written_and_unicode_is_refused() {
        let p = policy(r#"{"allow": ["xn--bcher-kva.example"]}"#);
        assert_eq!(check(&p, "xn--bcher-kva.example:443"), Ok(()));
        assert_eq!(p.check(&host("xn--bcher-kva.example"), 443), Ok(()));
        assert_eq!(Host::parse("bücher.example"), Err(Reason::NotAHostName));
        let error = Policy::from_json(r#"{"allow": ["bücher.example"]}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("xn--"), "{error}");
    }

    #[test]
    fn bad_entries_are_refused_with_what_to_write() {
        for (json, hint) in [
            (r#"{"allow": ["*"]}"#, "*.name"),
            (r#"{"allow": ["*example.org"]}"#, "*.name"),
            (r#"{"allow": ["a.*.example.org"]}"#, "*.name"),
            (r#"{"allow": ["*.example.org:8443"]}"#, "one by one"),
            (r#"{"allow": ["example.org:http"]}"#, "1 to 65535"),
            (r#"{"allow": ["example.org:0"]}"#, "1 to 65535"),
            (r#"{"deny": ["exa mple.org"]}"#, "not a host name"),
            (r#"{"alow": ["example.org"]}"#, "expected"), // codespell:ignore alow
            (r#"{"allow": "example.org"}"#, "expected"),
            (r#"{"hosts": {"a.test": "nowhere"}}"#, "IP address"),
            (r#"{"hosts": {"10.0.0.1": "10.0.0.2"}}"#, "host name"),
            (r#"{"hosts": {"a.test": "10.0.0.2:80"}}"#, "name:port"),
        ] {
            let error = Policy::from_json(json).unwrap_err().to_string();
            assert!(error.contains(hint), "{json}: {error}");
        }
    }

    #[test]
    fn the_resolver_answers_for_names_with_some_allowed_port() {
        let p = policy(
            r#"{"allow": ["example.org", "*.example.net", "db.internal:5432", "mail.test:25"],
                "deny": ["bad.example.net", "mail.test:25"]}"#,
        );
        assert_eq!(p.resolves(&host("example.org")), Ok(()));
        assert_eq!(p.resolves(&host("a.example.net")), Ok(()));
        assert_eq!(p.resolves(&host("db.internal")), Ok(()));
        assert_eq!(p.resolves(&host("bad.example.net")), Err(Reason::Denied));
        assert_eq!(p.resolves(&host("mail.test")), Err(Reason::Denied));
        assert_eq!(p.resolves(&host("example.net")), Err(Reason::NotAllowed));
        assert_eq!(p.resolves(&host("elsewhere.test")), Err(Reason::NotAllowed));
    }

    #[test]
    fn tcp_ports_list_the_exact_entries_besides_the_web_ports() {
        let p = policy(
            r#"{"allow": ["db.internal:5432", "replica.internal:5432", "git.test:22", "api.test:443",
                          "10.0.0.5:6379", "gone.test:9000"],
                "deny": ["gone.test"]}"#,
        );
        let ports = p.tcp_ports();
        assert_eq!(ports.keys().copied().collect::<Vec<_>>(), [22, 5432, 6379]);
        assert_eq!(
            ports[&5432],
            [host("db.internal"), host("replica.internal")]
        );
        assert_eq!(ports[&6379], [host("10.0.0.5")]);
    }

    #[test]
    fn pins_apply_to_their_name_and_port() {
        let p = policy(
            r#"{"hosts": {"Local.Test": "127.0.0.1", "local.test:443": "127.0.0.1:8443", "v6.test": "::1"}}"#,
        );
        assert_eq!(
            p.pinned(&host("local.test"), 80),
            Some("127.0.0.1:80".parse().unwrap())
        );
        assert_eq!(
            p.pinned(&host("local.test"), 443),
            Some("127.0.0.1:8443".parse().unwrap())
        );
        assert_eq!(
            p.pinned(&host("v6.test"), 80),
            Some("[::1]:80".parse().unwrap())
        );
        assert_eq!(p.pinned(&host("other.test"), 80), None);
        assert_eq!(p.pinned(&host("127.0.0.1"), 80), None);
        // Pinning allows nothing by itself.
        assert_eq!(p.check(&host("local.test"), 443), Err(Reason::NotAllowed));
    }
}
