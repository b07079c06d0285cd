use std::path::PathBuf;
use std::process::ExitCode;

use gettextrs::gettext;

use super::interact::interact;
use super::{sandboxes, terminal};
use engine::Error;
use host::launch::{self, KeyReport, LaunchError};
use sandbox::changes::record::Records;
use sandbox::messages::{tr, tr_n};
use sandbox::plan::Isolation;

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
        plan.container = plan.container.with_command(args.command.clone());
    }
    let name = plan.container.name.clone();
    if let Some(existing) = engine
        .list()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|s| s.name == name)
        && existing.state.is_running()
    {
        return Err(LaunchError::AlreadyRunning { name }.to_string());
    }
    // On stderr: stdout is the agent's alone, for scripts that read it.
    super::build::build(&engine, &plan.build, |line| eprintln!("{line}"))
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
    // Where each key is, before anything starts.
    for place in &plan.container.secrets.places {
        eprintln!("paddock: {}", place.line());
    }
    if args.detach {
        let keys = launch::start_detached(&engine, &project, &plan)
            .await
            .map_err(|err| err.to_string())?;
        say_keys(&keys);
        println!(
            "{}",
            gettext("{name} is running; `paddock attach {name}` joins it.")
                .replace("{name}", &name)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (session, keys) =
        launch::start_attached(&engine, &project, &plan, terminal::stdin_is_terminal())
            .await
            .map_err(|err| err.to_string())?;
    say_keys(&keys);
    let ending = interact(&engine, &name, session)
        .await
        .map_err(|err| err.to_string())?;
    say_changes(project.root());
    Ok(ending.exit_code())
}

/// After the run: whether it changed files the host's own tools run.
fn say_changes(root: &std::path::Path) {
    let changes = Records::for_user()
        .and_then(|records| records.last(root))
        .and_then(|record| record.changes());
    let Ok(changes) = changes else { return };
    let flagged = changes
        .files
        .iter()
        .filter(|c| c.host_run.is_some())
        .count();
    if flagged > 0 {
        eprintln!(
            "paddock: {}",
            tr_n(
                "this run changed {count} file that your own tools run outside the sandbox; `paddock changes {dir}` lists it",
                "this run changed {count} files that your own tools run outside the sandbox; `paddock changes {dir}` lists them",
                flagged as u64,
                &[("dir", &root.display())]
            )
        );
    }
}

/// Which API keys the sandbox got. What is missing, or a keyring that
/// cannot be reached, is said but stops nothing: the agent can still log
/// in inside the sandbox.
fn say_keys(keys: &KeyReport) {
    if let Some(problem) = &keys.problem {
        eprintln!(
            "paddock: {}",
            tr(
                "{problem} The sandbox starts without API keys.",
                &[("problem", problem)]
            )
        );
    }
    if !keys.passed.is_empty() {
        eprintln!(
            "paddock: {}",
            tr(
                "passing {names} from your keyring",
                &[("names", &keys.passed.join(", "))]
            )
        );
    }
    for line in &keys.missing {
        eprintln!("paddock: {line}");
    }
}
