//! API keys: which environment variables a sandbox takes from the user's
//! keyring, and the values on their way there. Only names are ever written
//! down (in presets and `paddock.toml`); values live in the keyring and reach
//! a sandbox as files in [`KEYS_IN_SANDBOX`], which its entrypoint reads.

use std::collections::BTreeSet;
use std::fmt;

use zeroize::Zeroizing;

use crate::definition::Definition;
use crate::messages::tr;
use crate::presets::Preset;

/// Where a sandbox finds its API keys, one file per variable named after it
/// (podman's mount secrets). Not under `/run`, which a guest's init may
/// cover with a fresh tmpfs.
pub const KEYS_IN_SANDBOX: &str = "/.paddock/keys";

/// A secret's value. It is never printed: `Debug` shows only its length, and
/// the memory is wiped when it is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(Zeroizing<Vec<u8>>);

impl SecretValue {
    pub fn new(bytes: impl Into<Vec<u8>>) -> SecretValue {
        SecretValue(Zeroizing::new(bytes.into()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretValue({} bytes)", self.0.len())
    }
}

/// Whether `name` can be a secret's variable: an environment variable name
/// that is not Paddock's own; the error says why not.
pub fn check_name(name: &str) -> Result<(), String> {
    crate::values::env_name(name).map_err(|problem| {
        tr(
            "\"{name}\" cannot be a secret's variable: {problem}",
            &[("name", &name.escape_debug()), ("problem", &problem)],
        )
    })
}

/// The variables a sandbox takes from the keyring when they are stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretVars {
    /// The agent's name, for messages.
    pub agent_name: String,
    /// The agent reads its API key from any one of these (its preset's
    /// `secrets`); without one it can still log in inside the sandbox.
    pub agent: Vec<String>,
    /// Named by the definition (`agent.secrets`) besides the agent's.
    pub extra: Vec<String>,
}

impl SecretVars {
    /// The variables of `agent` (the definition's resolved agent) and the
    /// definition's own.
    pub fn of(agent: &Preset, definition: &Definition) -> SecretVars {
        SecretVars {
            agent_name: agent.name.clone(),
            agent: agent.secrets.clone(),
            extra: definition.agent.secrets.clone(),
        }
    }

    /// Every variable, the agent's first, each once.
    pub fn names(&self) -> Vec<&str> {
        let mut seen = BTreeSet::new();
        self.agent
            .iter()
            .chain(&self.extra)
            .map(String::as_str)
            .filter(|name| seen.insert(*name))
            .collect()
    }

    /// What is missing, given the variables that are stored: one line each,
    /// with the command that stores it. Nothing missing is no reason to stop:
    /// the agent can log in inside the sandbox.
    pub fn missing(&self, stored: &BTreeSet<String>) -> Vec<String> {
        let mut lines = Vec::new();
        if !self.agent.is_empty() && !self.agent.iter().any(|name| stored.contains(name)) {
            lines.push(tr(
                "No API key for {agent} is stored ({names}); it can still log in inside the sandbox. To pass a key instead: paddock secret set {name}",
                &[
                    ("agent", &self.agent_name),
                    ("names", &self.agent.join(", ")),
                    ("name", &self.agent[0]),
                ],
            ));
        }
        for name in &self.extra {
            if !stored.contains(name) && !self.agent.contains(name) {
                lines.push(tr(
                    "The definition asks for the secret {name}, which is not stored; the sandbox starts without it. To store it: paddock secret set {name}",
                    &[("name", name)],
                ));
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> SecretVars {
        SecretVars {
            agent_name: "Copilot".into(),
            agent: vec!["GH_TOKEN".into(), "GITHUB_TOKEN".into()],
            extra: vec!["HF_TOKEN".into(), "GH_TOKEN".into()],
        }
    }

    fn stored(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn names_are_listed_once_agent_first() {
        assert_eq!(vars().names(), ["GH_TOKEN", "GITHUB_TOKEN", "HF_TOKEN"]);
    }

    #[test]
    fn one_of_the_agent_keys_is_enough() {
        assert!(
            vars()
                .missing(&stored(&["GITHUB_TOKEN", "HF_TOKEN"]))
                .is_empty()
        );
        let missing = vars().missing(&stored(&["HF_TOKEN"]));
        assert_eq!(missing.len(), 1);
        assert!(missing[0].contains("Copilot"), "{missing:?}");
        assert!(missing[0].contains("GH_TOKEN, GITHUB_TOKEN"), "{missing:?}");
        assert!(
            missing[0].contains("paddock secret set GH_TOKEN"),
            "{missing:?}"
        );
    }

    #[test]
    fn each_missing_extra_is_named() {
        let missing = vars().missing(&stored(&["GH_TOKEN"]));
        assert_eq!(missing.len(), 1);
        assert!(
            missing[0].contains("paddock secret set HF_TOKEN"),
            "{missing:?}"
        );
    }

    #[test]
    fn values_never_show_in_debug_output() {
        let value = SecretValue::new("sk-very-secret");
        assert_eq!(format!("{value:?}"), "SecretValue(14 bytes)");
    }
}
