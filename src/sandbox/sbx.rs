//! Importing a project that the seed article's `sbx` tool set up:
//! `.agent-sandbox/` with `Dockerfile`, `docker-compose.yaml` and
//! `entrypoint.sh`. Its CPUs, memory, volumes, environment and mount point
//! become the definition; its Dockerfile is kept as the hand-written
//! Containerfile; its entrypoint gives way to Paddock's (which checks the
//! isolation) and is kept next to it as `entrypoint.sbx.sh`.

use std::collections::BTreeMap;

use serde_yaml_ng::Value;

use crate::definition::{AgentHome, Cache, Definition, NetworkMode, Resources, Runtime};
use crate::krun;
use crate::messages::tr;
use crate::presets::Presets;
use crate::project::{ENTRYPOINT, Project, SANDBOX_DIR};

pub const SBX_COMPOSE: &str = "docker-compose.yaml";
pub const SBX_DOCKERFILE: &str = "Dockerfile";
/// Where the sbx entrypoint is kept.
pub const SBX_ENTRYPOINT_KEPT: &str = "entrypoint.sbx.sh";

#[derive(Debug, thiserror::Error)]
pub enum SbxError {
    #[error(transparent)]
    Project(#[from] crate::project::ProjectError),
    #[error("{}", tr("{file} is not a compose file Paddock can read: {problem}", &[("file", file), ("problem", problem)]))]
    Compose { file: String, problem: String },
}

/// The result of an import: the definition and what the user should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub definition: Definition,
    pub notes: Vec<String>,
}

/// Whether the project has an `sbx` setup and no Paddock definition yet.
pub fn is_sbx_project(project: &Project) -> bool {
    let dir = project.sandbox_dir();
    !project.has_definition()
        && dir.join(SBX_COMPOSE).is_file()
        && dir.join(SBX_DOCKERFILE).is_file()
}

/// Reads the sbx files of `project` into a definition.
pub fn import(project: &Project, presets: &Presets) -> Result<Imported, SbxError> {
    let compose_text = project.read_sandbox_file(SBX_COMPOSE)?;
    let compose_error = |problem: String| SbxError::Compose {
        file: format!("{SANDBOX_DIR}/{SBX_COMPOSE}"),
        problem,
    };
    let compose: Value =
        serde_yaml_ng::from_str(&compose_text).map_err(|e| compose_error(e.to_string()))?;
    let (service_name, service) = compose
        .get("services")
        .and_then(Value::as_mapping)
        .and_then(|services| services.iter().next())
        .ok_or_else(|| compose_error(gettextrs::gettext("it has no services")))?;
    let service_name = service_name.as_str().unwrap_or_default();
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };

    let dockerfile = service
        .get("build")
        .and_then(|b| b.get("dockerfile"))
        .and_then(text)
        .unwrap_or_else(|| SBX_DOCKERFILE.to_owned());
    let dockerfile_text = project.read_sandbox_file(&dockerfile)?;
    let mut notes = Vec::new();

    // The agent: the first preset the Dockerfile or the service mentions.
    let haystack = format!("{dockerfile_text}\n{service_name}").to_lowercase();
    let preset = presets
        .ids()
        .into_iter()
        .find(|id| *id != "shell" && haystack.contains(id))
        .unwrap_or("shell")
        .to_owned();
    let agent = presets.get(&preset).cloned();

    let mut definition = Definition::new(&preset, "unused");
    definition.image.base = None;
    definition.image.containerfile = Some(dockerfile.clone());

    let annotations = service.get("annotations");
    let annotation = |key: &str| annotations.and_then(|a| a.get(key)).and_then(text);
    let number = |key: &str, default: u32| -> u32 {
        annotation(key)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(default)
    };
    definition.resources = Resources {
        cpus: number(krun::CPUS, definition.resources.cpus),
        memory_mib: number(krun::RAM_MIB, definition.resources.memory_mib),
        ..definition.resources
    };
    if annotation(krun::HANDLER).as_deref() != Some(krun::HANDLER_KRUN) {
        notes.push(gettextrs::gettext("the sbx setup did not ask for krun; Paddock runs it as a microVM (choose container isolation explicitly if you want less)"));
    }
    definition.sandbox.runtime = Runtime::Krun;
    if service.get("network_mode").and_then(text).as_deref() == Some("none") {
        definition.set_network_mode(NetworkMode::Offline);
    }

    let volumes: Vec<String> = service
        .get("volumes")
        .and_then(Value::as_sequence)
        .map(|v| v.iter().filter_map(text).collect())
        .unwrap_or_default();
    let config_dir = agent.as_ref().and_then(|a| a.config_dir.clone());
    for volume in volumes {
        let mut parts = volume.splitn(3, ':');
        let (Some(source), Some(target)) = (parts.next(), parts.next()) else {
            continue;
        };
        let target = target.trim_end_matches('/').to_owned();
        if matches!(source.trim_end_matches('/'), ".." | "../.") {
            definition.sandbox.mount = Some(target);
        } else if source.starts_with('.') || source.starts_with('/') {
            notes.push(tr("the bind mount {volume} is not kept: Paddock mounts only the project and its own volumes", &[("volume", &volume)]));
        } else if let Some(home) = config_dir
            .as_ref()
            .and_then(|dir| target.strip_suffix(&format!("/{dir}")))
        {
            definition.image.user_home = Some(home.to_owned());
            definition.agent.home = AgentHome::Project;
            notes.push(tr(
                "the agent's login volume {source} is replaced by Paddock's agent home (this project's own settings, one login for all projects); log in once more inside the sandbox",
                &[("source", &source)],
            ));
        } else {
            definition.caches.push(Cache {
                name: cache_name(source),
                path: target,
            });
        }
    }
    if definition.sandbox.mount.is_none() {
        definition.sandbox.mount = service.get("working_dir").and_then(text);
    }
    if definition.image.user_home.is_none() && config_dir.is_some() {
        definition.image.user_home = home_from_dockerfile(&dockerfile_text);
    }

    let environment: BTreeMap<String, String> = match service.get("environment") {
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(text)
            .filter_map(|item| {
                item.split_once('=')
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
            })
            .collect(),
        Some(Value::Mapping(map)) => map
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), text(v).unwrap_or_default())))
            .collect(),
        _ => BTreeMap::new(),
    };
    let preset_env = agent.as_ref().map(|a| a.env.clone()).unwrap_or_default();
    for (name, value) in environment {
        if name.starts_with("PADDOCK_")
            || preset_env.contains_key(&name)
            || ["TERM", "COLORTERM"].contains(&name.as_str())
        {
            continue;
        }
        definition.env.insert(name, value);
    }

    if !dockerfile_text.contains(ENTRYPOINT) {
        notes.push(tr(
            "{file} does not copy entrypoint.sh into the image; Paddock needs its entrypoint there to check the isolation, so the sandbox will refuse to start until it does",
            &[("file", &dockerfile)],
        ));
    }
    if project.sandbox_dir().join(ENTRYPOINT).is_file() {
        notes.push(tr(
            "the sbx entrypoint.sh is kept as {kept}; Paddock's entrypoint takes its place, so steps it ran before the agent (such as `uv sync`) no longer run by themselves",
            &[("kept", &SBX_ENTRYPOINT_KEPT)],
        ));
    }
    Ok(Imported { definition, notes })
}

/// Moves the sbx `entrypoint.sh` aside before Paddock writes its own.
pub fn keep_sbx_entrypoint(project: &Project) -> std::io::Result<()> {
    let dir = project.sandbox_dir();
    let old = dir.join(ENTRYPOINT);
    let kept = dir.join(SBX_ENTRYPOINT_KEPT);
    if old.is_file() && !kept.exists() {
        std::fs::rename(old, kept)?;
    }
    Ok(())
}

/// A compose volume name as a cache name (`project-venv-cache` stays,
/// `My_Cache` becomes `my_cache`).
fn cache_name(volume: &str) -> String {
    let mut name: String = volume
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    name = name.trim_matches('-').chars().take(40).collect();
    if name.is_empty() {
        "cache".to_owned()
    } else {
        name
    }
}

/// The home of the user a Dockerfile creates with `useradd ... -m NAME`.
fn home_from_dockerfile(text: &str) -> Option<String> {
    let line = text.lines().find(|l| l.contains("useradd"))?;
    let name = line
        .split_whitespace()
        .rev()
        .find(|w| !w.starts_with('-') && !w.contains('$') && *w != "\\" && *w != "&&")?;
    Some(format!("/home/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project_with(compose: &str, dockerfile: &str) -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("p");
        std::fs::create_dir_all(root.join(SANDBOX_DIR)).expect("folder");
        std::fs::write(root.join(SANDBOX_DIR).join(SBX_COMPOSE), compose).expect("compose");
        std::fs::write(root.join(SANDBOX_DIR).join(SBX_DOCKERFILE), dockerfile)
            .expect("Dockerfile");
        let project = Project::open(&root, &dir.path().join("home")).expect("project");
        (dir, project)
    }

    #[test]
    fn mapping_environment_offline_and_an_unknown_agent() {
        let compose = "services:\n  tools:\n    network_mode: none\n    working_dir: /work\n    environment:\n      A: \"1\"\n      PADDOCK_UID: \"0\"\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n      - My.Cache:/cache\n";
        let (_dir, project) = project_with(compose, "FROM alpine\n");
        assert!(is_sbx_project(&project));
        let imported = import(&project, &Presets::builtin()).expect("imported");
        let d = &imported.definition;
        assert_eq!(d.agent.preset.as_deref(), Some("shell"));
        assert_eq!(d.network_mode(), NetworkMode::Offline);
        assert_eq!(d.sandbox.mount.as_deref(), Some("/work"));
        assert_eq!(d.env.get("A").map(String::as_str), Some("1"));
        assert!(
            !d.env.contains_key("PADDOCK_UID"),
            "Paddock's own variables are not imported"
        );
        assert_eq!(
            d.caches,
            [Cache {
                name: "my-cache".into(),
                path: "/cache".into()
            }]
        );
        assert!(
            imported.notes.iter().any(|n| n.contains("docker.sock")),
            "{:?}",
            imported.notes
        );
        assert!(
            imported.notes.iter().any(|n| n.contains("krun")),
            "{:?}",
            imported.notes
        );
        assert!(
            d.validate(&Presets::builtin()).is_ok(),
            "{:?}",
            d.validate(&Presets::builtin())
        );
    }

    #[test]
    fn a_compose_file_without_services_is_an_error() {
        let (_dir, project) = project_with("volumes: {}\n", "FROM alpine\n");
        let error = import(&project, &Presets::builtin()).expect_err("refused");
        assert!(error.to_string().contains("no services"), "{error}");
        let (_dir, project) = project_with("services: [\n", "FROM alpine\n");
        assert!(import(&project, &Presets::builtin()).is_err());
    }

    #[test]
    fn cache_names_are_identifiers() {
        assert_eq!(
            cache_name("project-name-venv-cache"),
            "project-name-venv-cache"
        );
        assert_eq!(cache_name("My.Cache"), "my-cache");
        assert_eq!(cache_name("..."), "cache");
    }

    #[test]
    fn home_of_the_seed_user() {
        let text = "RUN groupadd -g ${HOST_GID} appuser && \\\n    useradd -u ${HOST_UID} -g ${HOST_GID} -m appuser\n";
        assert_eq!(home_from_dockerfile(text).as_deref(), Some("/home/appuser"));
    }
}
