//! `.agent-sandbox/paddock.toml`: what a project's sandbox is, as the user
//! wrote it. Parsing never guesses: an unknown key, a value of the wrong type
//! or out of range is an error that names the key, the bad value and what is
//! allowed. Errors are [`FieldError`]s so that the window can show each one
//! next to its field, with the same text the CLI prints.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::messages::tr;
use crate::presets::{Preset, Presets};

mod layout;
mod merge;
mod problems;
mod validate;

/// The only format version this Paddock reads and writes.
pub const VERSION: u32 = 1;

pub const CPUS: std::ops::RangeInclusive<u32> = 1..=64;
pub const MEMORY_MIB: std::ops::RangeInclusive<u32> = 512..=262_144;
pub const DEFAULT_CPUS: u32 = 2;
pub const DEFAULT_MEMORY_MIB: u32 = 4096;
/// How many processes (and threads) a container-mode sandbox may have at
/// once: enough for a parallel build, few enough that a fork bomb stops.
pub const PIDS: std::ops::RangeInclusive<u32> = 64..=65_536;
pub const DEFAULT_PIDS: u32 = 4096;

/// The sandbox definition of one project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// Required; `1`.
    pub version: Option<u32>,
    #[serde(default)]
    pub agent: Agent,
    #[serde(default)]
    pub image: Image,
    #[serde(default)]
    pub resources: Resources,
    #[serde(default)]
    pub sandbox: Sandbox,
    /// Named volumes kept across runs (a virtualenv, `node_modules`, `target/`).
    #[serde(default, rename = "cache", skip_serializing_if = "Vec::is_empty")]
    pub caches: Vec<Cache>,
    /// Plain environment variables (never secrets: they are visible in
    /// `podman inspect`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Host files or folders mounted besides the project. Those outside the
    /// project reach the sandbox only through the user's approval of the
    /// definition ([`crate::approval`]), which also refuses host sockets
    /// and the places that are never a project.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<Mount>,
    /// What the sandbox may reach; see [`crate::net`].
    #[serde(default, skip_serializing_if = "NetworkPolicy::is_unset")]
    pub network: NetworkPolicy,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// A preset id (`claude`, `codex`, ...; see `data/agents/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// Replaces the preset's command; alone, it is a custom agent that the
    /// image must provide. An empty list starts the user's shell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub home: AgentHome,
    /// Environment variables the sandbox gets from the user's keyring
    /// (`paddock secret set NAME`) besides the agent's own API key
    /// variables. Names only: values never go into this file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
}

/// Where the agent's settings live. Its login (the preset's `login` files)
/// is shared by all projects either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentHome {
    /// One volume per agent, shared by all projects: one project's agent
    /// can change the hooks and MCP servers that run in another's.
    Shared,
    /// One volume per agent and project, with the login shared.
    #[default]
    Project,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// The image the sandbox is built from (not with `containerfile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// Extra OS packages, installed after the agent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
    /// Derived from `base` unless set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_manager: Option<PackageManager>,
    /// A hand-written Containerfile in `.agent-sandbox/` used instead of the
    /// generated one (an imported `sbx` project keeps its Dockerfile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub containerfile: Option<String>,
    /// The agent user's home in a hand-written Containerfile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_home: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageManager {
    Dnf,
    Apt,
    Apk,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    #[serde(default = "default_cpus", deserialize_with = "count")]
    pub cpus: u32,
    #[serde(default = "default_memory", deserialize_with = "count")]
    pub memory_mib: u32,
    /// The process limit of a container-mode sandbox (a microVM's processes
    /// live in its own kernel); written only when raised or lowered.
    #[serde(
        default = "default_pids",
        deserialize_with = "count",
        skip_serializing_if = "is_default_pids"
    )]
    pub pids: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sandbox {
    #[serde(default)]
    pub runtime: Runtime,
    /// The first spelling of `network.mode` (`full` or `offline`), still
    /// read so that older definitions keep their meaning; Paddock writes
    /// `network.mode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkMode>,
    /// Where the project appears inside the sandbox; see [`Definition::mount_point`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount: Option<String>,
    /// Files the host runs that stay writable inside the sandbox (relative
    /// to the project, e.g. `.git/hooks`); every other one of
    /// [`crate::host_run::protected`] is read-only there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writable: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    /// A krun microVM with its own kernel.
    #[default]
    Krun,
    /// A plain container on the host's kernel: chosen explicitly, shown as weaker.
    Container,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkMode {
    /// No network at all.
    Offline,
    /// Only the hosts of the policy, through Paddock's gateway (the default
    /// of new definitions).
    Allowlist,
    /// Whatever podman's default network reaches (what a definition without
    /// a network setting means, as before there were modes).
    Full,
}

/// `[network]`: the mode and, for `allowlist`, what to add to the agent's
/// own hosts and what to refuse (deny wins).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<NetworkMode>,
    /// Host groups ([`crate::net::GROUPS`]) besides the preset's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// `name`, `*.name`, `host:port` or `IP:port`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    /// The same forms; a name here is refused on every port.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
}

impl NetworkMode {
    pub const ALL: [NetworkMode; 3] = [
        NetworkMode::Allowlist,
        NetworkMode::Offline,
        NetworkMode::Full,
    ];

    /// `offline`, `allowlist` or `full`, as written in the definition.
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkMode::Offline => "offline",
            NetworkMode::Allowlist => "allowlist",
            NetworkMode::Full => "full",
        }
    }

    /// A few words for the window's badge and the CLI's summary.
    pub fn label(self) -> String {
        match self {
            NetworkMode::Offline => gettextrs::gettext("offline"),
            NetworkMode::Allowlist => gettextrs::gettext("allowed hosts only"),
            NetworkMode::Full => gettextrs::gettext("full network"),
        }
    }
}

impl NetworkPolicy {
    fn is_unset(&self) -> bool {
        *self == NetworkPolicy::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cache {
    pub name: String,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mount {
    /// A host path: relative to the project folder, absolute, or `~/...`
    /// in the user's home folder.
    pub source: String,
    /// Where it appears inside the sandbox (an absolute path).
    pub target: String,
    /// Read-only unless set to `false`.
    #[serde(default = "read_only_default")]
    pub read_only: bool,
}

fn read_only_default() -> bool {
    true
}

fn default_cpus() -> u32 {
    DEFAULT_CPUS
}

fn default_memory() -> u32 {
    DEFAULT_MEMORY_MIB
}

fn default_pids() -> u32 {
    DEFAULT_PIDS
}

fn is_default_pids(pids: &u32) -> bool {
    *pids == DEFAULT_PIDS
}

/// Reads a count as a wide integer so that `-1` or `1e9` get the range
/// message rather than a type error.
fn count<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let value = i64::deserialize(deserializer)?;
    u32::try_from(value)
        .map_err(|_| serde::de::Error::custom(tr("{value} is out of range", &[("value", &value)])))
}

impl Default for Resources {
    fn default() -> Self {
        Resources {
            cpus: DEFAULT_CPUS,
            memory_mib: DEFAULT_MEMORY_MIB,
            pids: DEFAULT_PIDS,
        }
    }
}

/// One problem with one key of `paddock.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The dotted key, e.g. `resources.cpus` or `cache[1].path`.
    pub key: String,
    /// What is wrong and what is allowed, translated.
    pub message: String,
    /// Where in the file, when the file has the key.
    pub at: Option<Position>,
}

/// A place in a file, both counted from 1 (the column in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl FieldError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            key: key.into(),
            message: message.into(),
            at: None,
        }
    }
}

/// `line:column: key: message`, as compilers print theirs.
impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(Position { line, column }) = self.at {
            write!(f, "{line}:{column}: ")?;
        }
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Every problem found in a definition, one per line when shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DefinitionErrors(pub Vec<FieldError>);

impl fmt::Display for DefinitionErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl DefinitionErrors {
    /// Every error about a field and its items: `image.packages` also gets
    /// `image.packages[2]`, `env` gets `env.FOO`.
    pub fn for_field<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a FieldError> + 'a {
        self.0.iter().filter(move |e| {
            e.key.strip_prefix(field).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with('[') || rest.starts_with('.')
            })
        })
    }
}

impl PackageManager {
    /// The package manager a base image is known to have, from its name.
    pub fn for_image(image: &str) -> PackageManager {
        let without_digest = image.split('@').next().unwrap_or(image);
        let path = match without_digest.rsplit_once(':') {
            Some((path, tag)) if !tag.contains('/') => path,
            _ => without_digest,
        };
        let has = |names: &[&str]| {
            path.split('/').any(|part| {
                names.iter().any(|name| {
                    part == *name
                        || (name.ends_with('*') && part.starts_with(name.trim_end_matches('*')))
                })
            })
        };
        if has(&[
            "fedora",
            "centos",
            "rhel*",
            "ubi*",
            "almalinux",
            "rockylinux",
            "fedora-minimal",
        ]) {
            PackageManager::Dnf
        } else if has(&["debian", "ubuntu"]) {
            PackageManager::Apt
        } else if has(&["alpine"]) {
            PackageManager::Apk
        } else {
            PackageManager::None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PackageManager::Dnf => "dnf",
            PackageManager::Apt => "apt",
            PackageManager::Apk => "apk",
            PackageManager::None => "none",
        }
    }
}

impl Definition {
    /// A new definition for an agent preset on a base image, with defaults
    /// (the network mode unset, so `full`: front ends that make a new
    /// project's definition set `allowlist`).
    pub fn new(preset: &str, base: &str) -> Definition {
        Definition {
            version: Some(VERSION),
            agent: Agent {
                preset: Some(preset.to_owned()),
                command: None,
                home: AgentHome::Project,
                secrets: Vec::new(),
            },
            image: Image {
                base: Some(base.to_owned()),
                ..Image::default()
            },
            resources: Resources::default(),
            sandbox: Sandbox::default(),
            caches: Vec::new(),
            env: BTreeMap::new(),
            mounts: Vec::new(),
            network: NetworkPolicy::default(),
        }
    }

    /// What a folder without a definition starts with, the same from the
    /// window and from `paddock init`: the default agent on the host's own
    /// distribution (from the text of `/etc/os-release`), the default
    /// resources, the project mounted at its own path.
    pub fn for_new_project(project_folder_name: &str, os_release: Option<&str>) -> Definition {
        let base = crate::host_facts::default_base_image(os_release);
        let mut definition = Definition::new(crate::presets::DEFAULT_PRESET, &base);
        definition.sandbox.mount = Some(definition.mount_point(project_folder_name));
        definition.set_network_mode(NetworkMode::Allowlist);
        definition
    }

    /// `network.mode`, else the older `sandbox.network`, else `full`.
    pub fn network_mode(&self) -> NetworkMode {
        self.network
            .mode
            .or(self.sandbox.network)
            .unwrap_or(NetworkMode::Full)
    }

    /// Sets `network.mode` (and drops the older spelling).
    pub fn set_network_mode(&mut self, mode: NetworkMode) {
        self.network.mode = Some(mode);
        self.sandbox.network = None;
    }

    /// The definition as `paddock.toml` text.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!(
            "{}\n{body}",
            gettextrs::gettext(
                "# Paddock sandbox definition. Commit it; see `paddock init --help`."
            )
        )
    }

    /// The package manager of the base image: the explicit one, else derived
    /// from the image name.
    pub fn package_manager(&self) -> PackageManager {
        self.image.package_manager.unwrap_or_else(|| {
            self.image
                .base
                .as_deref()
                .map_or(PackageManager::None, PackageManager::for_image)
        })
    }

    /// Where the project is mounted: `sandbox.mount`, else `/src/<folder name>`.
    ///
    /// Not a fixed `/app`: agents key their per-project memory, history and
    /// trust by the working folder (Claude Code's `~/.claude/projects/<path>`,
    /// Codex's and Gemini's trusted folders), and with a shared agent home
    /// every project at `/app` would share one history and one trust decision.
    pub fn mount_point(&self, project_folder_name: &str) -> String {
        match &self.sandbox.mount {
            Some(mount) => mount.trim_end_matches('/').to_owned(),
            None => format!("/src/{}", mount_name(project_folder_name)),
        }
    }

    /// The id used in volume names: the preset id, or `custom`.
    pub fn agent_id(&self) -> &str {
        self.agent.preset.as_deref().unwrap_or("custom")
    }

    pub fn isolation(&self) -> crate::plan::Isolation {
        match self.sandbox.runtime {
            Runtime::Krun => crate::plan::Isolation::MicroVm,
            Runtime::Container => crate::plan::Isolation::Container,
        }
    }

    /// The agent this definition runs: its preset with the definition's
    /// command, or a custom agent with nothing to install.
    pub fn resolve_agent(&self, presets: &Presets) -> Result<Preset, DefinitionErrors> {
        let mut agent = match &self.agent.preset {
            Some(id) => presets
                .get(id)
                .cloned()
                .ok_or_else(|| DefinitionErrors(vec![unknown_preset(id, presets)]))?,
            None => Preset::custom(),
        };
        if let Some(command) = &self.agent.command {
            agent.command = command.clone();
        }
        Ok(agent)
    }
}

fn unknown_preset(id: &str, presets: &Presets) -> FieldError {
    FieldError::new(
        "agent.preset",
        tr(
            "\"{value}\" is not a known agent; choose one of {ids}, or set agent.command",
            &[
                ("value", &id.escape_debug()),
                ("ids", &presets.ids().join(", ")),
            ],
        ),
    )
}

/// A folder name as one safe path segment (`My Project` -> `My-Project`).
fn mount_name(folder: &str) -> String {
    let mut name = String::new();
    for c in folder.chars() {
        if c.is_ascii_alphanumeric() || "._+-@".contains(c) {
            name.push(c);
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name.trim_matches(|c| c == '-' || c == '.').to_owned();
    if name.is_empty() {
        "project".to_owned()
    } else {
        name
    }
}

/// The dotted key whose line holds byte `offset`, from the nearest table
/// header above it and the key before `=` on that line.
fn key_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    let header = |line: &str| {
        let line = line.trim();
        line.starts_with('[').then(|| {
            line.trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned()
        })
    };
    if let Some(table) = header(line) {
        return table;
    }
    let table = text[..line_start].lines().rev().find_map(header);
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_owned());
    match (table, key) {
        (Some(table), Some(key)) => format!("{table}.{key}"),
        (None, Some(key)) => key,
        (Some(table), None) => table,
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn presets() -> Presets {
        Presets::builtin()
    }

    #[test]
    fn package_manager_from_image_name() {
        use PackageManager::*;
        for (image, expected) in [
            ("registry.fedoraproject.org/fedora:44", Dnf),
            ("quay.io/centos/centos:stream10", Dnf),
            ("registry.access.redhat.com/ubi9/ubi-minimal", Dnf),
            ("docker.io/library/debian:trixie", Apt),
            ("ubuntu:24.04", Apt),
            ("alpine@sha256:abcd", Apk),
            ("localhost:5000/alpine:3.20", Apk),
            ("localhost/paddock-dev/busybox:latest", None),
            ("node:22", None),
        ] {
            assert_eq!(PackageManager::for_image(image), expected, "{image}");
        }
    }

    #[test]
    fn round_trips_through_toml() {
        let mut definition = Definition::new("claude", "registry.fedoraproject.org/fedora:44");
        definition.image.packages = vec!["git".into(), "make".into()];
        definition.caches.push(Cache {
            name: "venv".into(),
            path: "/venv".into(),
        });
        definition.env.insert("UV_LINK_MODE".into(), "copy".into());
        definition.sandbox.mount = Some("/src/demo".into());
        definition.agent.secrets = vec!["HF_TOKEN".into()];
        let text = definition.to_toml();
        assert_eq!(Definition::parse(&text, &presets()), Ok(definition));
    }

    #[test]
    fn minimal_file_gets_defaults() {
        let definition = Definition::parse(
            "version = 1\n[agent]\npreset = \"shell\"\n[image]\nbase = \"fedora:44\"\n",
            &presets(),
        )
        .unwrap();
        assert_eq!(
            definition.resources,
            Resources {
                cpus: DEFAULT_CPUS,
                memory_mib: DEFAULT_MEMORY_MIB,
                pids: DEFAULT_PIDS,
            }
        );
        assert_eq!(definition.sandbox.runtime, Runtime::Krun);
        assert_eq!(definition.mount_point("My Project!"), "/src/My-Project");
    }

    #[test]
    fn unknown_key_names_the_table() {
        let errors =
            Definition::parse("version = 1\n[resources]\ncpu = 4\n", &presets()).unwrap_err();
        // Then what the rest lacks (an agent, an image).
        assert!(errors.0.len() > 1, "{errors}");
        assert_eq!(errors.0[0].key, "resources.cpu");
        assert!(
            errors.0[0].message.contains("cpus"),
            "{}",
            errors.0[0].message
        );
    }

    #[test]
    fn negative_count_is_out_of_range() {
        let errors =
            Definition::parse("version = 1\n[resources]\ncpus = -1\n", &presets()).unwrap_err();
        assert_eq!(errors.0[0].key, "resources.cpus");
        assert!(
            errors.0[0].message.contains("-1 is out of range"),
            "{}",
            errors.0[0].message
        );
    }

    #[test]
    fn a_secret_is_a_name_and_never_also_plain_env() {
        let errors = Definition::parse(
            "version = 1\n[agent]\npreset = \"shell\"\nsecrets = [\"HF_TOKEN\", \"bad-name\"]\n[image]\nbase = \"fedora:44\"\n[env]\nHF_TOKEN = \"hf_abc\"\n",
            &presets(),
        )
        .unwrap_err();
        let keys: Vec<&str> = errors.0.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["agent.secrets[0]", "agent.secrets[1]"], "{errors}");
        assert!(
            errors.0[0].message.contains("paddock secret set HF_TOKEN"),
            "{errors}"
        );
    }
}
