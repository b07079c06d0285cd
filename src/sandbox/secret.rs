//! API keys: which environment variables a sandbox takes from the user's
//! keyring, and the values on their way there. Only names are ever written
//! down (in presets and `paddock.toml`); values live in the keyring and reach
//! a sandbox as files in [`KEYS_IN_SANDBOX`], which its entrypoint reads,
//! unless the key stays outside ([`placement`]): then only the gateway gets
//! it and the sandbox holds a placeholder.

use std::collections::BTreeSet;
use std::fmt;

use zeroize::Zeroizing;

use crate::definition::{Definition, NetworkMode};
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

/// A key that stays outside the sandbox: the sandbox gets
/// [`KeyRoute::placeholder`] in `variable` and, in `base_url`, the address
/// of a listener of the gateway's own, which puts the real key into
/// `header` and forwards over TLS to `host`, and nowhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRoute {
    pub variable: String,
    pub base_url: String,
    /// Where in `base_url`'s JSON settings the URL goes, when it holds
    /// settings rather than the URL ([`crate::presets::KeyRedirect::json`]).
    pub json: Option<String>,
    /// What the base URL ends in after the gateway's address, e.g. `/v1`.
    pub path: String,
    pub host: String,
    pub header: String,
    /// The header's value is `Bearer <key>`.
    pub bearer: bool,
}

impl KeyRoute {
    /// What the sandbox holds instead of the key.
    pub fn placeholder(&self) -> String {
        format!("paddock-placeholder-{}", self.variable)
    }
}

/// Why a key is inside the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inside {
    /// The agent's client cannot be pointed at the gateway.
    NoRedirect,
    /// The sandbox has no gateway: its network mode is not `allowlist`.
    NoGateway,
    /// The definition sets the base URL variable itself.
    OwnBaseUrl,
    /// Named by the definition, not the agent: nothing says where it goes.
    NotTheAgents,
}

/// Where one key of a sandbox is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Outside(KeyRoute),
    Inside(Inside),
}

/// One key and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPlace {
    pub name: String,
    pub place: Place,
}

impl KeyPlace {
    pub fn is_outside(&self) -> bool {
        matches!(self.place, Place::Outside(_))
    }

    /// A short phrase for a row or a column: where the key is.
    pub fn where_(&self) -> String {
        if self.is_outside() {
            gettextrs::gettext("stays outside the sandbox")
        } else {
            gettextrs::gettext("is inside the sandbox")
        }
    }

    /// Why, in a few words.
    pub fn why(&self) -> String {
        match &self.place {
            Place::Outside(route) => tr(
                "the gateway adds it to requests for {host} only",
                &[("host", &route.host)],
            ),
            Place::Inside(Inside::NoRedirect) => {
                gettextrs::gettext("the agent cannot be pointed at the gateway")
            }
            Place::Inside(Inside::NoGateway) => gettextrs::gettext(
                "only an \"Allowed Hosts Only\" sandbox has a gateway to keep it",
            ),
            Place::Inside(Inside::OwnBaseUrl) => {
                gettextrs::gettext("the definition sets the agent's base URL itself")
            }
            Place::Inside(Inside::NotTheAgents) => {
                gettextrs::gettext("a variable of the definition's own")
            }
        }
    }

    /// One line for `paddock run`.
    pub fn line(&self) -> String {
        tr(
            "{name} {where} ({why})",
            &[
                ("name", &self.name),
                ("where", &self.where_()),
                ("why", &self.why()),
            ],
        )
    }
}

/// Where each key of a sandbox of `definition` with `agent` (its resolved
/// preset) is, the agent's first, each once: outside when the agent's
/// preset redirects it, the sandbox has a gateway (`allowlist` mode) and
/// the definition does not set the base URL itself; else inside. The one
/// answer the CLI, the window, the review and the engine use.
pub fn placement(definition: &Definition, agent: &Preset) -> Vec<KeyPlace> {
    let gated = definition.network_mode() == NetworkMode::Allowlist;
    let mut seen = BTreeSet::new();
    let mut base_urls = BTreeSet::new();
    let mut places = Vec::new();
    for name in agent.secrets.iter().chain(&definition.agent.secrets) {
        if !seen.insert(name.as_str()) {
            continue;
        }
        let redirect = agent
            .keys
            .get(name)
            .filter(|_| agent.secrets.contains(name));
        let place = match redirect {
            None if !agent.secrets.contains(name) => Place::Inside(Inside::NotTheAgents),
            None => Place::Inside(Inside::NoRedirect),
            Some(redirect) => match (&redirect.base_url, &redirect.host, &redirect.header) {
                (Some(base_url), Some(host), Some(header)) => {
                    if !gated {
                        Place::Inside(Inside::NoGateway)
                    } else if definition.env.contains_key(base_url)
                        || !claim_base_url(&mut base_urls, base_url, redirect.json.as_deref())
                    {
                        Place::Inside(Inside::OwnBaseUrl)
                    } else {
                        Place::Outside(KeyRoute {
                            variable: name.clone(),
                            base_url: base_url.clone(),
                            json: redirect.json.clone(),
                            path: redirect.path.clone(),
                            host: host.clone(),
                            header: header.clone(),
                            bearer: redirect.bearer,
                        })
                    }
                }
                _ => Place::Inside(Inside::NoRedirect),
            },
        };
        places.push(KeyPlace {
            name: name.clone(),
            place,
        });
    }
    places
}

/// Whether a key's base URL can go in `variable` (at `pointer` in its JSON
/// settings, if any) without taking the place of an earlier key's: one URL
/// per variable, or one per pointer in a variable of settings.
fn claim_base_url(
    claimed: &mut BTreeSet<(String, Option<String>)>,
    variable: &str,
    pointer: Option<&str>,
) -> bool {
    let clash = claimed.iter().any(|(taken, taken_pointer)| {
        taken == variable
            && (pointer.is_none() || taken_pointer.is_none() || taken_pointer.as_deref() == pointer)
    });
    !clash && claimed.insert((variable.to_owned(), pointer.map(str::to_owned)))
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
    /// Where each of them is ([`placement`]).
    pub places: Vec<KeyPlace>,
}

impl SecretVars {
    /// The variables of `agent` (the definition's resolved agent) and the
    /// definition's own.
    pub fn of(agent: &Preset, definition: &Definition) -> SecretVars {
        SecretVars {
            agent_name: agent.name.clone(),
            agent: agent.secrets.clone(),
            extra: definition.agent.secrets.clone(),
            places: placement(definition, agent),
        }
    }

    /// The keys that stay outside, with their routes.
    pub fn routes(&self) -> Vec<&KeyRoute> {
        self.places
            .iter()
            .filter_map(|place| match &place.place {
                Place::Outside(route) => Some(route),
                Place::Inside(_) => None,
            })
            .collect()
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
            places: Vec::new(),
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

    fn places(agent: &str, mode: NetworkMode) -> Vec<(String, Place)> {
        let presets = crate::presets::Presets::builtin();
        let mut definition = Definition::new(agent, "fedora:44");
        definition.set_network_mode(mode);
        definition.agent.secrets = vec!["HF_TOKEN".into()];
        let preset = presets.get(agent).unwrap();
        placement(&definition, preset)
            .into_iter()
            .map(|place| (place.name, place.place))
            .collect()
    }

    #[test]
    fn a_redirectable_key_stays_outside_a_gated_sandbox_only() {
        let gated = places("claude", NetworkMode::Allowlist);
        let Place::Outside(route) = &gated[0].1 else {
            panic!("{gated:?}");
        };
        assert_eq!(gated[0].0, "ANTHROPIC_API_KEY");
        assert_eq!(route.base_url, "ANTHROPIC_BASE_URL");
        assert_eq!(route.host, "api.anthropic.com");
        assert_eq!(route.header, "x-api-key");
        assert_eq!(route.placeholder(), "paddock-placeholder-ANTHROPIC_API_KEY");
        assert_eq!(
            gated[1],
            (
                "CLAUDE_CODE_OAUTH_TOKEN".into(),
                Place::Inside(Inside::NoRedirect)
            )
        );
        assert_eq!(
            gated[2],
            ("HF_TOKEN".into(), Place::Inside(Inside::NotTheAgents))
        );
        let full = places("claude", NetworkMode::Full);
        assert_eq!(full[0].1, Place::Inside(Inside::NoGateway));
        // Copilot cannot be redirected at all.
        assert!(
            places("copilot", NetworkMode::Allowlist)
                .iter()
                .all(|(_, place)| matches!(place, Place::Inside(_)))
        );
        let codex = places("codex", NetworkMode::Allowlist);
        assert!(
            matches!(&codex[0].1, Place::Outside(route) if route.bearer && route.path == "/v1")
        );
    }

    #[test]
    fn opencode_keys_stay_outside_through_its_json_settings() {
        let opencode = places("opencode", NetworkMode::Allowlist);
        let routes: Vec<&KeyRoute> = opencode
            .iter()
            .filter_map(|(_, place)| match place {
                Place::Outside(route) => Some(route),
                Place::Inside(_) => None,
            })
            .collect();
        assert_eq!(routes.len(), 4, "{opencode:?}");
        for route in &routes {
            assert_eq!(route.base_url, "OPENCODE_CONFIG_CONTENT");
        }
        let pointers: BTreeSet<_> = routes.iter().map(|route| route.json.clone()).collect();
        assert_eq!(pointers.len(), 4, "one pointer each: {pointers:?}");
        assert_eq!(
            routes[0].json.as_deref(),
            Some("/provider/anthropic/options/baseURL")
        );
    }

    #[test]
    fn two_keys_never_share_one_base_url() {
        let mut claimed = BTreeSet::new();
        assert!(claim_base_url(&mut claimed, "CONFIG", Some("/a/baseURL")));
        assert!(claim_base_url(&mut claimed, "CONFIG", Some("/b/baseURL")));
        assert!(!claim_base_url(&mut claimed, "CONFIG", Some("/a/baseURL")));
        // A variable of settings is not also a plain URL, nor the reverse.
        assert!(!claim_base_url(&mut claimed, "CONFIG", None));
        assert!(claim_base_url(&mut claimed, "URL", None));
        assert!(!claim_base_url(&mut claimed, "URL", None));
        assert!(!claim_base_url(&mut claimed, "URL", Some("/a")));
    }

    #[test]
    fn a_definition_that_sets_the_base_url_keeps_the_key_inside() {
        let presets = crate::presets::Presets::builtin();
        let mut definition = Definition::new("claude", "fedora:44");
        definition.set_network_mode(NetworkMode::Allowlist);
        definition.env.insert(
            "ANTHROPIC_BASE_URL".into(),
            "https://llm.example.org".into(),
        );
        let places = placement(&definition, presets.get("claude").unwrap());
        assert_eq!(places[0].place, Place::Inside(Inside::OwnBaseUrl));
        assert!(
            places[0].line().contains("is inside the sandbox"),
            "{}",
            places[0].line()
        );
        // OpenCode's settings variable set by hand: its keys stay inside.
        let mut definition = Definition::new("opencode", "fedora:44");
        definition.set_network_mode(NetworkMode::Allowlist);
        definition
            .env
            .insert("OPENCODE_CONFIG_CONTENT".into(), "{}".into());
        let places = placement(&definition, presets.get("opencode").unwrap());
        assert!(
            places
                .iter()
                .all(|place| place.place == Place::Inside(Inside::OwnBaseUrl)),
            "{places:?}"
        );
    }

    #[test]
    fn values_never_show_in_debug_output() {
        let value = SecretValue::new("sk-very-secret");
        assert_eq!(format!("{value:?}"), "SecretValue(14 bytes)");
    }
}
