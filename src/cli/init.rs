//! `paddock init`: writes a project's `.agent-sandbox/` (the definition and
//! the files generated from it), or imports a seed-article `sbx` setup.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use gettextrs::gettext;

use crate::settings::Settings;
use host::launch::Launcher;
use sandbox::approval::Gate;
use sandbox::definition::{Definition, NetworkMode, Runtime};
use sandbox::messages::tr;
use sandbox::presets::Presets;
use sandbox::project::{DEFINITION_FILE, Project, SANDBOX_DIR};
use sandbox::sbx;

#[derive(Debug, clap::Args)]
#[command(
    about = gettext("Write the sandbox definition into DIR/.agent-sandbox/"),
    after_help = gettext("Agents: aider, claude, codex, copilot, gemini, opencode, shell (and any in ~/.config/paddock/agents/).\nIn a folder set up by the seed article's `sbx init`, imports its Dockerfile, CPUs, memory and volumes.")
)]
pub struct Args {
    #[arg(help = gettext("The project folder (default: the current folder)"))]
    pub dir: Option<PathBuf>,
    #[arg(long, value_name = "ID", help = gettext("The agent preset"))]
    pub agent: Option<String>,
    #[arg(long, value_name = "N", help = gettext("Virtual CPUs of the microVM"))]
    pub cpus: Option<u32>,
    #[arg(long, value_name = "MIB", help = gettext("Memory of the microVM in MiB"))]
    pub memory: Option<u32>,
    #[arg(long, value_name = "IMAGE", help = gettext("The image to build from (default: the host's Fedora release)"))]
    pub base: Option<String>,
    #[arg(long, help = gettext("No network inside the sandbox (the same as --network offline)"))]
    pub offline: bool,
    #[arg(long, value_name = "MODE", value_parser = ["allowlist", "offline", "full"], help = gettext("What the sandbox may reach: allowlist (the agent's hosts and those you allow; the default for new definitions), offline, or full"))]
    pub network: Option<String>,
    #[arg(long, help = gettext("A plain container instead of a microVM: weaker, the agent shares the host's kernel"))]
    pub container: bool,
    #[arg(long, help = gettext("Replace an existing, different definition"))]
    pub force: bool,
}

pub fn run(args: Args) -> ExitCode {
    match init(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => super::fail(message),
    }
}

fn init(args: &Args) -> Result<(), String> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .ok_or_else(|| gettext("HOME is not set, so Paddock cannot tell which folders hold your keys; set HOME and try again"))?;
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().map_err(|e| e.to_string())?,
    };
    let project = Project::open(&dir, &home).map_err(|e| e.to_string())?;
    let presets = Presets::load(Presets::user_dir().as_deref()).map_err(|e| e.to_string())?;

    let mut notes = Vec::new();
    let existing = if project.has_definition() {
        match project.load_definition(&presets) {
            Ok(definition) => Some(definition),
            Err(error) if args.force => {
                notes.push(tr(
                    "replacing the invalid definition ({error})",
                    &[("error", &error)],
                ));
                None
            }
            Err(error) => {
                return Err(format!(
                    "{error}\n{}",
                    gettext("Fix it, or run `paddock init --force` to replace it.")
                ));
            }
        }
    } else {
        None
    };

    let launcher = Launcher::for_user().map_err(|e| e.to_string())?;
    // What init writes from its own defaults and the user's options is the
    // user's; an existing definition stays as approved as it was, and an
    // imported sbx Dockerfile is shown for review before its first build.
    let mut approve = match &existing {
        Some(_) => matches!(
            launcher.gate(&project).map_err(|e| e.to_string())?,
            Gate::Approved(_)
        ),
        None => true,
    };
    let start = match &existing {
        Some(definition) => definition.clone(),
        None if sbx::is_sbx_project(&project) => {
            let imported = sbx::import(&project, &presets).map_err(|e| e.to_string())?;
            println!(
                "{}",
                tr(
                    "Importing the sbx setup in {dir}",
                    &[("dir", &project.sandbox_dir().display())]
                )
            );
            notes.extend(imported.notes);
            approve = imported.definition.image.containerfile.is_none();
            imported.definition
        }
        // The window's Preferences set these defaults for both front ends.
        None => Settings::open().new_project(&project),
    };
    let definition = apply(start, args);
    definition
        .validate(&presets)
        .map_err(|errors| errors.to_string())?;

    if let Some(existing) = &existing {
        let changes = changes(existing, &definition);
        if !changes.is_empty() && !args.force {
            return Err(tr(
                "{file} already holds a different definition:\n{changes}\nRun again with --force to replace it.",
                &[
                    ("file", &project.definition_path().display()),
                    ("changes", &changes.join("\n")),
                ],
            ));
        }
    }
    if definition.image.containerfile.is_some() && existing.is_none() {
        sbx::keep_sbx_entrypoint(&project).map_err(|e| e.to_string())?;
    }

    let agent = definition
        .resolve_agent(&presets)
        .map_err(|e| e.to_string())?;
    project
        .save_definition(&definition)
        .map_err(|e| e.to_string())?;
    let written = project
        .write_generated(&definition, &agent)
        .map_err(|e| e.to_string())?;
    if approve {
        launcher
            .approve_written(&project)
            .map_err(|e| e.to_string())?;
    } else {
        notes.push(gettext(
            "you have not approved this definition yet; `paddock build` shows it for review first",
        ));
    }

    for note in &notes {
        println!("{}", tr("Note: {note}", &[("note", note)]));
    }
    let files: Vec<&str> = std::iter::once(DEFINITION_FILE)
        .chain(written.iter().copied())
        .collect();
    println!(
        "{}",
        tr(
            "Wrote {files} in {dir}",
            &[
                ("files", &files.join(", ")),
                ("dir", &project.root().join(SANDBOX_DIR).display())
            ]
        )
    );
    println!("{}", summary(&definition, &agent.name));
    if definition.sandbox.runtime == Runtime::Container {
        println!(
            "{}",
            gettext(
                "Warning: container only. The agent shares the host's kernel; a microVM (the default) isolates it better."
            )
        );
    }
    println!(
        "{}",
        gettext("Next: `paddock run` starts the agent (it builds the image first).")
    );
    Ok(())
}

/// The definition with the command-line options applied.
fn apply(mut definition: Definition, args: &Args) -> Definition {
    if let Some(agent) = &args.agent
        && definition.agent.preset.as_deref() != Some(agent.as_str())
    {
        definition.agent.preset = Some(agent.clone());
        definition.agent.command = None;
    }
    if let Some(cpus) = args.cpus {
        definition.resources.cpus = cpus;
    }
    if let Some(memory) = args.memory {
        definition.resources.memory_mib = memory;
    }
    if let Some(base) = &args.base {
        definition.image.base = Some(base.clone());
    }
    let mode = if args.offline {
        Some("offline")
    } else {
        args.network.as_deref()
    };
    if let Some(mode) = NetworkMode::ALL
        .into_iter()
        .find(|m| Some(m.as_str()) == mode)
    {
        definition.set_network_mode(mode);
    }
    if args.container {
        definition.sandbox.runtime = Runtime::Container;
    }
    definition
}

fn summary(definition: &Definition, agent_name: &str) -> String {
    let isolation = match definition.sandbox.runtime {
        Runtime::Krun => gettext("microVM (krun)"),
        Runtime::Container => gettext("container only"),
    };
    let network = definition.network_mode().label();
    tr(
        "{agent}: {cpus} CPUs, {memory} MiB, {isolation}, {network}",
        &[
            ("agent", &agent_name),
            ("cpus", &definition.resources.cpus),
            ("memory", &definition.resources.memory_mib),
            ("isolation", &isolation),
            ("network", &network),
        ],
    )
}

/// `key: old -> new` for every key that differs.
fn changes(old: &Definition, new: &Definition) -> Vec<String> {
    let (old, new) = (flatten(old), flatten(new));
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let none = gettext("(none)");
    keys.into_iter()
        .filter(|key| old.get(*key) != new.get(*key))
        .map(|key| {
            format!(
                "  {key}: {} -> {}",
                old.get(key).unwrap_or(&none),
                new.get(key).unwrap_or(&none)
            )
        })
        .collect()
}

fn flatten(definition: &Definition) -> BTreeMap<String, String> {
    fn walk(prefix: &str, value: &toml::Value, out: &mut BTreeMap<String, String>) {
        match value {
            toml::Value::Table(table) => {
                for (key, value) in table {
                    let key = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&key, value, out);
                }
            }
            other => {
                out.insert(prefix.to_owned(), other.to_string());
            }
        }
    }
    let mut out = BTreeMap::new();
    if let Ok(value) = toml::Value::try_from(definition) {
        walk("", &value, &mut out);
    }
    out
}
