//! `paddock secret set | ls | rm`: API keys in the user's keyring, by the
//! name of the environment variable the sandbox gets them in. Values are read
//! from stdin (without echo on a terminal) and never printed.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use gettextrs::gettext;

use super::{sandboxes, terminal};
use host::launch::Launcher;
use host::secrets::{Keyring, Scope};
use sandbox::messages::tr;
use sandbox::project::Project;
use sandbox::secret::{self, KeyPlace, SecretValue};

#[derive(Debug, clap::Args)]
#[command(about = gettext("Store, list or remove API keys for the agents (kept in your keyring)"))]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    #[command(about = gettext("Store the value of NAME, read from stdin (typed without echo, or piped)"))]
    Set {
        #[arg(help = gettext("The environment variable the sandbox gets it in, e.g. ANTHROPIC_API_KEY"))]
        name: String,
        #[arg(long, value_name = "DIR", help = gettext("Only for the project in DIR (it wins over a key for every project)"))]
        project: Option<PathBuf>,
    },
    #[command(about = gettext("List the stored keys by name (values are never shown), and for the project in DIR whether each stays outside its sandbox"))]
    Ls {
        #[arg(help = gettext("The project folder (default: the current folder, when it holds a sandbox definition)"))]
        dir: Option<PathBuf>,
    },
    #[command(about = gettext("Remove the stored value of NAME"))]
    Rm {
        #[arg(help = gettext("The environment variable whose key to remove"))]
        name: String,
        #[arg(long, value_name = "DIR", help = gettext("The key stored only for the project in DIR"))]
        project: Option<PathBuf>,
    },
}

pub fn run(args: Args) -> ExitCode {
    sandboxes::block_on(async move {
        let result = match args.command {
            Command::Set { name, project } => set(&name, project).await,
            Command::Ls { dir } => list(dir).await,
            Command::Rm { name, project } => remove(&name, project).await,
        };
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => super::fail(message),
        }
    })
}

async fn set(name: &str, project: Option<PathBuf>) -> Result<(), String> {
    secret::check_name(name)?;
    let folder = project_root(project)?;
    // First the keyring: nobody should type a key only to hear it cannot be kept.
    let keyring = Keyring::open().await.map_err(|err| err.to_string())?;
    let value = read_value(name)?;
    keyring
        .store(name, scope(&folder), &value)
        .await
        .map_err(|err| err.to_string())?;
    println!("{}", stored_message(name, &folder));
    Ok(())
}

fn stored_message(name: &str, folder: &Option<PathBuf>) -> String {
    match folder {
        None => tr(
            "Stored {name} in your keyring; sandboxes that take it get it when they start.",
            &[("name", &name)],
        ),
        Some(folder) => tr(
            "Stored {name} in your keyring for {project} only.",
            &[("name", &name), ("project", &folder.display())],
        ),
    }
}

/// Where each key of the project in `dir` is ([`secret::placement`] of its
/// definition), and its folder; None when no `dir` was given and the
/// current folder holds no definition.
fn places_in(dir: Option<PathBuf>) -> Result<Option<(PathBuf, Vec<KeyPlace>)>, String> {
    let given = dir.is_some();
    match project_places(dir) {
        // Without DIR, a folder that is no project is no error.
        Err(_) if !given => Ok(None),
        found => found,
    }
}

fn project_places(dir: Option<PathBuf>) -> Result<Option<(PathBuf, Vec<KeyPlace>)>, String> {
    let launcher = Launcher::for_user().map_err(|err| err.to_string())?;
    let given = dir.is_some();
    let dir = match dir {
        Some(dir) => dir,
        None => std::env::current_dir().map_err(|err| err.to_string())?,
    };
    let project = match launcher.open(&dir) {
        Ok(project) if given || project.has_definition() => project,
        Ok(_) => return Ok(None),
        Err(err) => return Err(err.to_string()),
    };
    let definition = project
        .load_definition(launcher.presets())
        .map_err(|err| err.to_string())?;
    let agent = definition
        .resolve_agent(launcher.presets())
        .map_err(|errors| {
            tr(
                "{file}: {errors}",
                &[
                    ("file", &project.definition_path().display()),
                    ("errors", &errors),
                ],
            )
        })?;
    Ok(Some((
        project.root().to_owned(),
        secret::placement(&definition, &agent),
    )))
}

async fn list(dir: Option<PathBuf>) -> Result<(), String> {
    let places = places_in(dir)?;
    let keyring = Keyring::open().await.map_err(|err| err.to_string())?;
    let keys = keyring.list().await.map_err(|err| err.to_string())?;
    if keys.is_empty() {
        println!(
            "{}",
            tr(
                "No API keys are stored; `paddock secret set NAME` stores one.",
                &[]
            )
        );
    }
    if let Some((root, _)) = &places {
        println!("{}", tr("For {project}:", &[("project", &root.display())]));
    }
    for key in keys {
        let name = match &key.project {
            None => key.name.clone(),
            Some(folder) => tr(
                "{name} (only for {project})",
                &[("name", &key.name), ("project", &folder.display())],
            ),
        };
        let Some((root, places)) = &places else {
            println!("{name}");
            continue;
        };
        if key.project.as_ref().is_some_and(|folder| folder != root) {
            println!("{}", tr("{name}: not for this project", &[("name", &name)]));
            continue;
        }
        match places.iter().find(|place| place.name == key.name) {
            Some(place) => println!(
                "{}",
                tr(
                    "{name}: {where} ({why})",
                    &[
                        ("name", &name),
                        ("where", &place.where_()),
                        ("why", &place.why())
                    ]
                )
            ),
            None => println!(
                "{}",
                tr("{name}: not used by this project", &[("name", &name)])
            ),
        }
    }
    Ok(())
}

async fn remove(name: &str, project: Option<PathBuf>) -> Result<(), String> {
    secret::check_name(name)?;
    let folder = project_root(project)?;
    let keyring = Keyring::open().await.map_err(|err| err.to_string())?;
    if keyring
        .remove(name, scope(&folder))
        .await
        .map_err(|err| err.to_string())?
    {
        println!(
            "{}",
            tr("Removed {name} from your keyring.", &[("name", &name)])
        );
        Ok(())
    } else {
        Err(tr(
            "{name} is not stored (`paddock secret ls` lists what is).",
            &[("name", &name)],
        ))
    }
}

fn scope(folder: &Option<PathBuf>) -> Scope<'_> {
    match folder {
        Some(folder) => Scope::Project(folder),
        None => Scope::Everywhere,
    }
}

/// The project folder as sandboxes know it (links resolved, refused places refused).
fn project_root(dir: Option<PathBuf>) -> Result<Option<PathBuf>, String> {
    let Some(dir) = dir else {
        return Ok(None);
    };
    let home = sandboxes::home()?;
    let project = Project::open(&dir, &home).map_err(|err| err.to_string())?;
    Ok(Some(project.root().to_owned()))
}

/// The value from stdin: one line typed without echo on a terminal, or
/// everything piped in; trailing line breaks are not part of it.
fn read_value(name: &str) -> Result<SecretValue, String> {
    let mut bytes = Vec::new();
    match terminal::NoEcho::enter().map_err(|err| err.to_string())? {
        Some(_quiet) => {
            eprint!(
                "{}",
                tr("Value of {name} (not shown): ", &[("name", &name)])
            );
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|err| err.to_string())?;
            bytes = line.into_bytes();
        }
        None => {
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|err| err.to_string())?;
        }
    }
    while bytes
        .last()
        .is_some_and(|byte| *byte == b'\n' || *byte == b'\r')
    {
        bytes.pop();
    }
    let value = SecretValue::new(std::mem::take(&mut bytes));
    if value.as_bytes().is_empty() {
        return Err(tr(
            "No value for {name} on stdin; type it when asked, or pipe it in: paddock secret set {name} < file",
            &[("name", &name)],
        ));
    }
    Ok(value)
}
