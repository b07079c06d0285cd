//! Agent presets: how each agent is installed, where it keeps its login,
//! what it needs in its environment and how it starts in unattended mode.
//! They are data (`data/agents/<id>.toml`, embedded in the binary); a file of
//! the same name in `~/.config/paddock/agents/` replaces a built-in preset,
//! and a new name adds one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::definition::{FieldError, PackageManager};
use crate::messages::tr;
use crate::values;

const BUILTIN: &[(&str, &str)] = &[
    ("claude", include_str!("../../data/agents/claude.toml")),
    ("codex", include_str!("../../data/agents/codex.toml")),
    ("gemini", include_str!("../../data/agents/gemini.toml")),
    ("opencode", include_str!("../../data/agents/opencode.toml")),
    ("copilot", include_str!("../../data/agents/copilot.toml")),
    ("aider", include_str!("../../data/agents/aider.toml")),
    ("shell", include_str!("../../data/agents/shell.toml")),
];

/// The preset a new project gets.
pub const DEFAULT_PRESET: &str = "claude";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// The file name without `.toml`; also part of volume names.
    #[serde(skip)]
    pub id: String,
    /// Shown in the window and in `paddock init --help`.
    pub name: String,
    /// The unattended-mode command; empty starts the user's shell.
    #[serde(default)]
    pub command: Vec<String>,
    /// The folder under the user's home holding the agent's login and
    /// settings; the agent home volume is mounted there.
    #[serde(default)]
    pub config_dir: Option<String>,
    /// The files in `config_dir` that hold the agent's login: shared by all
    /// projects through the login volume, while the rest of its settings
    /// (hooks, MCP servers) stay the project's own.
    #[serde(default)]
    pub login: Vec<String>,
    /// Environment the agent needs. A value starting with `~/` is relative to
    /// the agent user's home.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Folders under the home to put first on `PATH` (where the install put
    /// the agent), besides `~/.local/bin`.
    #[serde(default)]
    pub path: Vec<String>,
    /// Variables the agent takes an API key from, any one of which is
    /// enough; their values come from the user's keyring, never from here.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// For each of `secrets`, whether and how the client can be pointed at
    /// the gateway, so that the key stays outside the sandbox
    /// ([`crate::secret::placement`]); a key not listed stays inside.
    #[serde(default)]
    pub keys: BTreeMap<String, KeyRedirect>,
    #[serde(default)]
    pub install: Install,
    #[serde(default)]
    pub network: PresetNetwork,
}

/// How an agent's client can be sent to another API base URL for one key,
/// from the agent's own documentation (`docs`). Without `base_url` the
/// client cannot be redirected (`note` says why) and the key stays inside.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRedirect {
    /// The variable that points the client at another base URL.
    #[serde(default)]
    pub base_url: Option<String>,
    /// A JSON pointer, e.g. `/provider/anthropic/options/baseURL`, when
    /// `base_url` names a variable of JSON settings (OpenCode's
    /// `OPENCODE_CONFIG_CONTENT`) rather than the URL itself: the URL goes
    /// there, merged with the other keys' into one object.
    #[serde(default)]
    pub json: Option<String>,
    /// What the base URL ends in after the host, e.g. `/v1`.
    #[serde(default)]
    pub path: String,
    /// The real API host, the only one the key is ever sent to (over TLS).
    #[serde(default)]
    pub host: Option<String>,
    /// The request header the key travels in, e.g. `x-api-key`.
    #[serde(default)]
    pub header: Option<String>,
    /// The header's value is `Bearer <key>`.
    #[serde(default)]
    pub bearer: bool,
    /// Why there is no redirect.
    #[serde(default)]
    pub note: Option<String>,
    /// The documentation page this comes from.
    pub docs: String,
}

/// The hosts an agent needs in an `allowlist` sandbox ([`crate::net`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresetNetwork {
    /// Its API and login hosts.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Host groups it uses ([`crate::net::GROUPS`]).
    #[serde(default)]
    pub groups: Vec<String>,
    /// What its install commands download from, for the build policy.
    #[serde(default)]
    pub install: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Install {
    /// OS packages the install and the agent need, per package manager.
    #[serde(default)]
    pub packages: Packages,
    /// Whether `commands` run as root or as the agent user.
    #[serde(default)]
    pub run_as: RunAs,
    /// Shell commands, one line each, run in order.
    #[serde(default)]
    pub commands: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Packages {
    #[serde(default)]
    pub dnf: Vec<String>,
    #[serde(default)]
    pub apt: Vec<String>,
    #[serde(default)]
    pub apk: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunAs {
    #[default]
    Root,
    User,
}

impl Packages {
    pub fn for_manager(&self, manager: PackageManager) -> &[String] {
        match manager {
            PackageManager::Dnf => &self.dnf,
            PackageManager::Apt => &self.apt,
            PackageManager::Apk => &self.apk,
            PackageManager::None => &[],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.dnf.is_empty() && self.apt.is_empty() && self.apk.is_empty()
    }
}

impl Preset {
    /// A command the image already provides: nothing to install, no home volume.
    pub fn custom() -> Preset {
        Preset {
            id: "custom".to_owned(),
            name: gettextrs::gettext("Custom command"),
            command: Vec::new(),
            config_dir: None,
            login: Vec::new(),
            env: BTreeMap::new(),
            path: Vec::new(),
            secrets: Vec::new(),
            keys: BTreeMap::new(),
            install: Install::default(),
            network: PresetNetwork::default(),
        }
    }

    /// Parses and checks one preset file.
    pub fn parse(id: &str, text: &str) -> Result<Preset, Vec<FieldError>> {
        let mut preset: Preset =
            toml::from_str(text).map_err(|e| vec![FieldError::new(id, e.message().trim())])?;
        preset.id = id.to_owned();
        preset.check()?;
        Ok(preset)
    }

    fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut check = |key: String, result: values::Check| {
            if let Err(message) = result {
                errors.push(FieldError::new(key, message));
            }
        };
        check("id".into(), values::identifier(&self.id));
        check("name".into(), values::one_line(&self.name));
        for (i, arg) in self.command.iter().enumerate() {
            check(format!("command[{i}]"), values::one_line(arg));
        }
        if let Some(dir) = &self.config_dir {
            check("config_dir".into(), home_relative(dir));
        }
        for (i, dir) in self.path.iter().enumerate() {
            check(format!("path[{i}]"), home_relative(dir));
        }
        for (i, file) in self.login.iter().enumerate() {
            check(
                format!("login[{i}]"),
                login_file(file, self.config_dir.is_some()),
            );
        }
        for (i, name) in self.secrets.iter().enumerate() {
            check(format!("secrets[{i}]"), values::env_name(name));
        }
        for (name, redirect) in &self.keys {
            check(
                format!("keys.{name}"),
                key_redirect(name, redirect, &self.secrets),
            );
        }
        for (name, value) in &self.env {
            check(format!("env.{name}"), values::env_name(name));
            check(format!("env.{name}"), values::one_line(value));
        }
        for (manager, list) in [
            ("dnf", &self.install.packages.dnf),
            ("apt", &self.install.packages.apt),
            ("apk", &self.install.packages.apk),
        ] {
            for (i, package) in list.iter().enumerate() {
                check(
                    format!("install.packages.{manager}[{i}]"),
                    values::package(package),
                );
            }
        }
        for (i, command) in self.install.commands.iter().enumerate() {
            check(format!("install.commands[{i}]"), values::one_line(command));
        }
        for (key, list) in [
            ("network.hosts", &self.network.hosts),
            ("network.install", &self.network.install),
        ] {
            for (i, host) in list.iter().enumerate() {
                check(format!("{key}[{i}]"), crate::net::check_entry(host));
            }
        }
        for (i, name) in self.network.groups.iter().enumerate() {
            check(
                format!("network.groups[{i}]"),
                crate::net::check_group(name),
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The preset's environment with `~/` made absolute under `home`.
    pub fn env_in(&self, home: &str) -> BTreeMap<String, String> {
        self.env
            .iter()
            .map(|(name, value)| {
                let value = match value.strip_prefix("~/") {
                    Some(rest) => format!("{home}/{rest}"),
                    None => value.clone(),
                };
                (name.clone(), value)
            })
            .collect()
    }
}

/// A key's redirect: for one of the preset's keys, with an https
/// documentation link, and either a base URL variable with the API host
/// and header, or none of those.
fn key_redirect(name: &str, redirect: &KeyRedirect, secrets: &[String]) -> values::Check {
    if !secrets.iter().any(|secret| secret == name) {
        return Err(tr("names no variable of `secrets`", &[]));
    }
    if !redirect.docs.starts_with("https://") {
        return Err(tr("docs must be the https:// link it was read from", &[]));
    }
    values::one_line(&redirect.docs)?;
    let Some(variable) = &redirect.base_url else {
        if redirect.host.is_some()
            || redirect.header.is_some()
            || redirect.bearer
            || redirect.json.is_some()
        {
            return Err(tr("host, header, bearer and json go with base_url", &[]));
        }
        return Ok(());
    };
    values::env_name(variable)?;
    let host = redirect.host.as_deref().unwrap_or_default();
    if host.is_empty() || host.starts_with("*.") || host.contains(':') {
        return Err(tr(
            "base_url needs host, one API host name without port",
            &[],
        ));
    }
    crate::net::check_entry(host)?;
    let header = redirect.header.as_deref().unwrap_or_default();
    let token = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    if header.is_empty() || !header.chars().all(token) || header == "host" {
        return Err(tr(
            "base_url needs header, the lower-case name of the header the key travels in",
            &[],
        ));
    }
    let path_char = |c: char| c.is_ascii_alphanumeric() || "/-._".contains(c);
    if !(redirect.path.is_empty()
        || redirect.path.starts_with('/') && redirect.path.chars().all(path_char))
    {
        return Err(tr("path must be empty or start with /, e.g. /v1", &[]));
    }
    if let Some(pointer) = &redirect.json {
        let name_char = |c: char| c.is_ascii_alphanumeric() || "-._".contains(c);
        let names: Vec<&str> = pointer.split('/').skip(1).collect();
        if !pointer.starts_with('/')
            || names
                .iter()
                .any(|name| name.is_empty() || !name.chars().all(name_char))
        {
            return Err(tr(
                "json must be a pointer of plain names, e.g. /provider/anthropic/options/baseURL",
                &[],
            ));
        }
    }
    Ok(())
}

/// A folder below the home, written without the leading `~/`.
fn home_relative(dir: &str) -> values::Check {
    if dir.starts_with('/') || dir.starts_with('~') {
        return Err(tr(
            "must be relative to the home folder, without a leading / or ~",
            &[],
        ));
    }
    values::sandbox_path(&format!("/home/{dir}"))
}

/// A file of the agent's settings folder, by name: the entrypoint links it
/// into the login volume (checked: nothing in it means anything to a shell).
fn login_file(name: &str, has_config_dir: bool) -> values::Check {
    if !has_config_dir {
        return Err(tr("needs config_dir, the folder the file is in", &[]));
    }
    if name.contains('/') {
        return Err(tr("must be a file name, without /", &[]));
    }
    home_relative(name)
}

/// The agent presets available to this user.
#[derive(Debug, Clone)]
pub struct Presets {
    presets: BTreeMap<String, Preset>,
}

/// A user preset that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", tr("agent preset {file}: {problem}", &[("file", &file.display()), ("problem", &problems.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]))]
pub struct PresetError {
    pub file: PathBuf,
    pub problems: Vec<FieldError>,
}

impl Presets {
    /// The presets shipped in the binary.
    pub fn builtin() -> Presets {
        let presets = BUILTIN
            .iter()
            .filter_map(|(id, text)| {
                Preset::parse(id, text)
                    .ok()
                    .map(|preset| (id.to_string(), preset))
            })
            .collect();
        Presets { presets }
    }

    /// The built-in presets, replaced or extended by `<dir>/<id>.toml`.
    /// A broken user file is an error, never silently skipped.
    pub fn load(user_dir: Option<&Path>) -> Result<Presets, PresetError> {
        let mut presets = Presets::builtin();
        let Some(dir) = user_dir else {
            return Ok(presets);
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(presets);
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        for file in files {
            let id = file
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            let text = std::fs::read_to_string(&file).map_err(|e| PresetError {
                file: file.clone(),
                problems: vec![FieldError::new(id.clone(), e.to_string())],
            })?;
            let preset = Preset::parse(&id, &text).map_err(|problems| PresetError {
                file: file.clone(),
                problems,
            })?;
            presets.presets.insert(id, preset);
        }
        Ok(presets)
    }

    /// `~/.config/paddock/agents` (or under `$XDG_CONFIG_HOME`).
    pub fn user_dir() -> Option<PathBuf> {
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
        Some(config.join("paddock").join("agents"))
    }

    pub fn get(&self, id: &str) -> Option<&Preset> {
        self.presets.get(id)
    }

    pub fn ids(&self) -> Vec<&str> {
        self.presets.keys().map(String::as_str).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Preset> {
        self.presets.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_preset_parses() {
        for (id, text) in BUILTIN {
            let preset = Preset::parse(id, text).unwrap_or_else(|e| panic!("{id}: {e:?}"));
            assert!(!preset.name.is_empty());
            // Every built-in key says where it goes, with its source.
            for name in &preset.secrets {
                let redirect = preset.keys.get(name);
                assert!(redirect.is_some(), "{id}: {name} has no [keys.{name}]");
                let redirect = redirect.unwrap_or_else(|| unreachable!());
                assert!(
                    redirect.base_url.is_some() || redirect.note.is_some(),
                    "{id}: {name} neither redirects nor says why not"
                );
            }
        }
        assert_eq!(
            Presets::builtin().ids(),
            [
                "aider", "claude", "codex", "copilot", "gemini", "opencode", "shell"
            ]
        );
    }

    #[test]
    fn user_file_replaces_and_adds() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("claude.toml"),
            "name = \"My Claude\"\ncommand = [\"claude\"]\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            "name = \"Mine\"\ncommand = [\"mine\", \"--yes\"]\n",
        )
        .unwrap();
        let presets = Presets::load(Some(dir.path())).unwrap();
        assert_eq!(presets.get("claude").unwrap().name, "My Claude");
        assert_eq!(presets.get("mine").unwrap().command, ["mine", "--yes"]);
    }

    #[test]
    fn a_redirect_is_checked() {
        let base = "name = \"Mine\"\nsecrets = [\"MY_KEY\"]\n[keys.MY_KEY]\n";
        for (body, hint) in [
            ("docs = \"http://x.test\"\n", "https://"),
            (
                "docs = \"https://x.test\"\nbase_url = \"MY_URL\"\n",
                "needs host",
            ),
            (
                "docs = \"https://x.test\"\nbase_url = \"MY_URL\"\nhost = \"*.x.test\"\nheader = \"x-key\"\n",
                "needs host",
            ),
            (
                "docs = \"https://x.test\"\nbase_url = \"MY_URL\"\nhost = \"api.x.test\"\nheader = \"X Key\\r\\n\"\n",
                "needs header",
            ),
            (
                "docs = \"https://x.test\"\nhost = \"api.x.test\"\n",
                "go with base_url",
            ),
            (
                "docs = \"https://x.test\"\njson = \"/a/b\"\n",
                "go with base_url",
            ),
            (
                "docs = \"https://x.test\"\nbase_url = \"MY_CONFIG\"\nhost = \"api.x.test\"\nheader = \"x-key\"\njson = \"provider/x\"\n",
                "pointer of plain names",
            ),
            (
                "docs = \"https://x.test\"\nbase_url = \"MY_CONFIG\"\nhost = \"api.x.test\"\nheader = \"x-key\"\njson = \"/provider//x\"\n",
                "pointer of plain names",
            ),
            (
                "docs = \"https://x.test\"\nbase_url = \"MY_CONFIG\"\nhost = \"api.x.test\"\nheader = \"x-key\"\njson = \"/provider/~1x\"\n",
                "pointer of plain names",
            ),
        ] {
            let errors = Preset::parse("mine", &format!("{base}{body}")).unwrap_err();
            let text = format!("{errors:?}");
            assert!(text.contains(hint), "{body}: {text}");
        }
        let errors = Preset::parse(
            "mine",
            "name = \"Mine\"\n[keys.OTHER]\ndocs = \"https://x.test\"\n",
        )
        .unwrap_err();
        assert!(format!("{errors:?}").contains("secrets"), "{errors:?}");
    }

    #[test]
    fn broken_user_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bad.toml"),
            "name = \"Bad\"\n[install]\ncommands = [\"a\\nb\"]\n",
        )
        .unwrap();
        let error = Presets::load(Some(dir.path())).unwrap_err();
        assert!(error.to_string().contains("install.commands[0]"), "{error}");
    }
}
