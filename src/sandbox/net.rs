//! The egress policy as data: which hosts a sandbox in `allowlist` mode may
//! reach (its agent's API and login hosts, the groups it asks for, the
//! definition's own `allow`, minus `deny`), which hosts its image's `RUN`
//! steps may reach (the distribution's mirrors and the agent installer's
//! hosts), and the gateway's log lines read back. Paddock's gateway
//! (`paddock-gateway`, a crate of its own) enforces it; this layer only
//! says what it is, in the gateway's policy format.

use serde::{Deserialize, Serialize};

use crate::definition::{Definition, PackageManager};
use crate::messages::tr;
use crate::presets::Preset;

/// Optional host groups a preset or a definition can turn on by name.
pub const GROUPS: &[(&str, &[&str])] = &[
    ("npm", &["registry.npmjs.org"]),
    ("pypi", &["pypi.org", "files.pythonhosted.org"]),
    (
        "crates",
        &["crates.io", "index.crates.io", "static.crates.io"],
    ),
    (
        "github",
        &[
            "github.com",
            "api.github.com",
            "codeload.github.com",
            "objects.githubusercontent.com",
            "raw.githubusercontent.com",
        ],
    ),
];

/// The hosts of a group, if it is one.
pub fn group(name: &str) -> Option<&'static [&'static str]> {
    GROUPS
        .iter()
        .find(|(id, _)| *id == name)
        .map(|(_, hosts)| *hosts)
}

/// Checks a group name.
pub fn check_group(name: &str) -> Result<(), String> {
    match group(name) {
        Some(_) => Ok(()),
        None => Err(tr(
            "\"{name}\" is not a host group; choose one of {groups}",
            &[
                ("name", &crate::shown::escape(name)),
                (
                    "groups",
                    &GROUPS
                        .iter()
                        .map(|(id, _)| *id)
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            ],
        )),
    }
}

/// The package mirrors a base image's package manager downloads from.
fn mirrors(manager: PackageManager) -> &'static [&'static str] {
    match manager {
        PackageManager::Dnf => &[
            "mirrors.fedoraproject.org",
            "*.fedoraproject.org",
            "mirror.stream.centos.org",
            "cdn.redhat.com",
        ],
        PackageManager::Apt => &[
            "deb.debian.org",
            "security.debian.org",
            "archive.ubuntu.com",
            "security.ubuntu.com",
        ],
        PackageManager::Apk => &["dl-cdn.alpinelinux.org"],
        PackageManager::None => &[],
    }
}

/// A policy in the gateway's file format (`paddock_gateway::PolicyFile`):
/// `allow` and `deny` entries; deny wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

impl Policy {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    fn add(&mut self, hosts: impl IntoIterator<Item = impl Into<String>>) {
        for host in hosts {
            let host = host.into();
            if !self.allow.contains(&host) {
                self.allow.push(host);
            }
        }
    }
}

/// What the running sandbox may reach in `allowlist` mode: the agent's
/// hosts, the preset's and the definition's groups, the definition's
/// `allow`; the definition's `deny` over all of it.
pub fn run_policy(definition: &Definition, agent: &Preset) -> Policy {
    let mut policy = Policy::default();
    policy.add(agent.network.hosts.iter().cloned());
    for name in agent
        .network
        .groups
        .iter()
        .chain(&definition.network.groups)
    {
        policy.add(group(name).unwrap_or_default().iter().copied());
    }
    policy.add(definition.network.allow.iter().cloned());
    policy.deny = definition.network.deny.clone();
    policy
}

/// What the image's `RUN` steps may reach: the distribution's mirrors, the
/// installer's hosts and the groups of the installer, besides the run policy
/// (the user's `allow` holds for builds too; `deny` wins there as well).
pub fn build_policy(definition: &Definition, agent: &Preset) -> Policy {
    let mut policy = Policy::default();
    policy.add(mirrors(definition.package_manager()).iter().copied());
    policy.add(agent.network.install.iter().cloned());
    let run = run_policy(definition, agent);
    policy.add(run.allow);
    policy.deny = run.deny;
    policy
}

/// Checks one `allow` or `deny` entry: `name`, `*.name`, `name:port`, or
/// `IP:port` (IPv6 in brackets); the gateway reads the same forms.
pub fn check_entry(entry: &str) -> Result<(), String> {
    let hint = || {
        tr(
            "\"{entry}\" is not a host; write example.org, *.example.org, example.org:5432 or 192.0.2.1:443",
            &[("entry", &crate::shown::escape(entry))],
        )
    };
    if entry.is_empty() || entry.len() > 260 {
        return Err(hint());
    }
    let (host, port) = match entry.rsplit_once(':') {
        Some((host, _)) if !host.ends_with(']') && host.contains(':') => (entry, None),
        Some((host, port)) => (host, Some(port)),
        None => (entry, None),
    };
    if let Some(port) = port
        && !port.parse::<u16>().is_ok_and(|p| p > 0)
    {
        return Err(tr(
            "\"{entry}\": {port} is not a port number (1 to 65535)",
            &[
                ("entry", &crate::shown::escape(entry)),
                ("port", &crate::shown::escape(port)),
            ],
        ));
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return match (inner.parse::<std::net::Ipv6Addr>(), port) {
            (Ok(_), Some(_)) => Ok(()),
            _ => Err(hint()),
        };
    }
    if host.parse::<std::net::IpAddr>().is_ok() {
        return match port {
            Some(_) => Ok(()),
            None => Err(tr(
                "\"{entry}\": an IP address is allowed only with its port, e.g. {entry}:443",
                &[("entry", &crate::shown::escape(entry))],
            )),
        };
    }
    let name = host.strip_prefix("*.").unwrap_or(host);
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if name.trim_end_matches('.').split('.').all(label_ok) {
        Ok(())
    } else {
        Err(hint())
    }
}

/// Whether the gateway let an attempt through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allowed,
    Blocked,
}

/// One line of the gateway's attempt log (`paddock_gateway::Attempt`), as
/// far as Paddock shows it. Every text in it came from the sandbox: escape
/// before showing.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Attempt {
    pub time: String,
    /// `proxy`, `transparent`, `dns` or `tcp`.
    pub kind: String,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub decision: Decision,
    #[serde(default)]
    pub reason: Option<String>,
}

impl Attempt {
    /// A log line, or None for anything that is not one.
    pub fn parse(line: &str) -> Option<Attempt> {
        serde_json::from_str(line.trim()).ok()
    }

    /// One line for a terminal, control characters escaped.
    pub fn line(&self) -> String {
        let escape = crate::shown::escape;
        let host = self
            .host
            .as_deref()
            .map_or_else(|| gettextrs::gettext("(no host)"), escape);
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        let decision = match self.decision {
            Decision::Allowed => gettextrs::gettext("allowed"),
            Decision::Blocked => gettextrs::gettext("BLOCKED"),
        };
        let reason = self
            .reason
            .as_deref()
            .map(|r| format!(" ({})", escape(r)))
            .unwrap_or_default();
        format!(
            "{} {} {host}{port} {decision}{reason}",
            escape(&self.time),
            escape(&self.kind)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_the_gateway_reads() {
        for good in [
            "example.org",
            "*.githubusercontent.com",
            "db.internal:5432",
            "192.0.2.1:443",
            "[2001:db8::1]:443",
            "example.org.",
        ] {
            assert_eq!(check_entry(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "192.0.2.1",
            "exa mple.org",
            "example.org:0",
            "example.org:99999",
            "http://example.org",
            "a\u{1b}[2Jb.org",
            "-x.org",
            "*.",
        ] {
            assert!(check_entry(bad).is_err(), "{bad:?}");
        }
        let message = check_entry("a\u{1b}b").unwrap_err();
        assert!(!message.contains('\u{1b}'), "{message}");
    }

    #[test]
    fn every_presets_fresh_definition_has_hosts_to_reach() {
        use crate::definition::NetworkMode;
        let presets = crate::presets::Presets::builtin();
        for agent in presets.iter() {
            let mut definition = Definition::new(&agent.id, "registry.fedoraproject.org/fedora:44");
            definition.set_network_mode(NetworkMode::Allowlist);
            definition.validate(&presets).unwrap();
            let run = run_policy(&definition, agent);
            assert!(!run.allow.is_empty(), "{}", agent.id);
            for host in &run.allow {
                assert_eq!(check_entry(host), Ok(()), "{}: {host}", agent.id);
            }
            let build = build_policy(&definition, agent);
            assert!(build.allow.iter().any(|h| h == "mirrors.fedoraproject.org"));
            assert!(
                run.allow.iter().all(|h| build.allow.contains(h)),
                "{}",
                agent.id
            );
        }
    }

    #[test]
    fn deny_is_kept_and_lists_need_allowlist_mode() {
        use crate::definition::NetworkMode;
        let presets = crate::presets::Presets::builtin();
        let mut definition = Definition::new("claude", "fedora:44");
        definition.network.allow = vec!["example.org".into()];
        definition.network.deny = vec!["claude.ai".into()];
        let errors = definition.validate(&presets).unwrap_err();
        assert_eq!(errors.0[0].key, "network.mode", "{errors}");
        definition.set_network_mode(NetworkMode::Allowlist);
        definition.network.groups = vec!["nope".into()];
        let errors = definition.validate(&presets).unwrap_err();
        assert_eq!(errors.0[0].key, "network.groups[0]", "{errors}");
        definition.network.groups.clear();
        let agent = presets.get("claude").unwrap();
        let policy = run_policy(&definition, agent);
        assert!(policy.allow.contains(&"example.org".to_owned()));
        assert_eq!(policy.deny, ["claude.ai"]);
        // The older spelling keeps its meaning, and both at once are refused.
        let old = Definition::parse(
            "version = 1\n[agent]\npreset = \"shell\"\n[image]\nbase = \"fedora:44\"\n[sandbox]\nnetwork = \"offline\"\n",
            &presets,
        )
        .unwrap();
        assert_eq!(old.network_mode(), NetworkMode::Offline);
        let mut both = old.clone();
        both.network.mode = Some(NetworkMode::Full);
        assert_eq!(
            both.validate(&presets).unwrap_err().0[0].key,
            "sandbox.network"
        );
        let unset = Definition::new("shell", "fedora:44");
        assert_eq!(unset.network_mode(), NetworkMode::Full);
    }

    #[test]
    fn a_log_line_is_shown_escaped() {
        let line = r#"{"time":"2026-12-01T10:00:00.250Z","client":"10.89.0.3:41000","kind":"proxy","host":"evil\u001b[2J.org","port":443,"decision":"blocked","reason":"not_allowed"}"#;
        let attempt = Attempt::parse(line).unwrap();
        assert_eq!(attempt.decision, Decision::Blocked);
        let shown = attempt.line();
        assert!(!shown.contains('\u{1b}'), "{shown}");
        assert!(shown.contains("evil"), "{shown}");
        assert!(Attempt::parse("paddock-gateway: ready").is_none());
    }
}
