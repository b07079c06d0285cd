use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gettextrs::gettext;

use super::interact::interact;
use super::{sandboxes, terminal};
use engine::{Engine, Error};
use host::secrets;
use sandbox::messages::tr;
use sandbox::plan::{Isolation, SandboxPlan};
use sandbox::secret::{SecretValue, SecretVars};

#[derive(Debug, clap::Args)]
#[command(about = gettext("Build if needed, start the sandbox and attach this terminal to it"))]
pub struct Args {
    #[arg(help = gettext("The project folder (default: the current folder)"))]
    pub dir: Option<PathBuf>,
    #[arg(long, help = gettext("Approve the sandbox definition as it is now (shown as a diff) when it is new or changed since you last approved it"))]
    pub approve: bool,
    #[arg(long, short, help = gettext("Leave the sandbox running in the background (`paddock attach` joins it)"))]
    pub detach: bool,
    #[arg(last = true, value_name = "CMD", help = gettext("A command to run instead of the agent"))]
    pub command: Vec<String>,
}

pub fn run(args: Args) -> ExitCode {
    sandboxes::block_on(async move {
        match run_sandbox(args).await {
            Ok(code) => code,
            Err(message) => super::fail(message),
        }
    })
}

async fn run_sandbox(args: Args) -> Result<ExitCode, String> {
    let engine = sandboxes::connect().await?;
    let (project, mut plan) =
        sandboxes::project_plan(args.dir.as_deref(), &engine, args.approve).await?;
    // Before building: an image is no use when the sandbox cannot start.
    engine
        .refuse_unisolated(&plan.container)
        .await
        .map_err(|err| err.to_string())?;
    if !args.command.is_empty() {
        plan.container.command = Some(args.command.clone());
    }
    let name = plan.container.name.clone();
    if let Some(existing) = engine
        .list()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|s| s.name == name)
    {
        if existing.state.is_running() {
            return Err(gettext("{name} is already running: `paddock attach {name}` joins it, `paddock stop {name}` ends it.").replace("{name}", &name));
        }
        // A stopped sandbox is made afresh from the current definition; its
        // named volumes (agent login, caches) stay.
        engine
            .remove(&name, false)
            .await
            .map_err(|e| e.to_string())?;
    }
    super::build::build(&engine, &plan.build)
        .await
        .map_err(|err| match err {
            Error::Cancelled => gettext("build cancelled; nothing was started."),
            other => other.to_string(),
        })?;
    if plan.container.isolation == Isolation::Container {
        eprintln!(
            "{}",
            gettext(
                "paddock: this sandbox is a plain container (its definition chose isolation \"container\"): the agent shares the host's kernel."
            )
        );
    }
    let secrets = stored_secrets(&plan.container.secrets, project.root()).await;
    let terminal = args.detach || terminal::stdin_is_terminal();
    engine
        .create(&plan.container, terminal, &secrets)
        .await
        .map_err(|err| err.to_string())?;
    if args.detach {
        engine.start(&name).await.map_err(|err| err.to_string())?;
        println!(
            "{}",
            gettext("{name} is running; `paddock attach {name}` joins it.")
                .replace("{name}", &name)
        );
        return Ok(ExitCode::SUCCESS);
    }
    attach_and_start(&engine, &plan).await
}

/// The values of the sandbox's secret variables that are stored. What is
/// missing, or a keyring that cannot be reached, is said but stops nothing:
/// the agent can still log in inside the sandbox.
async fn stored_secrets(vars: &SecretVars, project: &Path) -> BTreeMap<String, SecretValue> {
    let values = secrets::values_for(vars, project)
        .await
        .unwrap_or_else(|err| {
            eprintln!(
                "paddock: {}",
                tr(
                    "{problem} The sandbox starts without API keys.",
                    &[("problem", &err)]
                )
            );
            BTreeMap::new()
        });
    if !values.is_empty() {
        let passed: Vec<&str> = values.keys().map(String::as_str).collect();
        eprintln!(
            "paddock: {}",
            tr(
                "passing {names} from your keyring",
                &[("names", &passed.join(", "))]
            )
        );
    }
    let stored = values.keys().cloned().collect();
    for line in vars.missing(&stored) {
        eprintln!("paddock: {line}");
    }
    values
}

async fn attach_and_start(engine: &Engine, plan: &SandboxPlan) -> Result<ExitCode, String> {
    let name = &plan.container.name;
    let session = engine
        .attach(name, true)
        .await
        .map_err(|err| err.to_string())?;
    let ending = interact(engine, name, session, true)
        .await
        .map_err(|err| err.to_string())?;
    Ok(ending.exit_code())
}
