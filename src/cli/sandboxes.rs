//! What the engine commands share: a tokio runtime, the connection to
//! podman, a project's plan, and finding a sandbox by name or folder.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gettextrs::gettext;

use engine::{Engine, Error, SandboxSummary};
use host::approval::{Approvals, Approved, Gate, HostSockets, Review};
use sandbox::plan::{self, SandboxPlan};
use sandbox::presets::Presets;
use sandbox::project::Project;

/// Runs an async command to completion. Blocking reads of stdin still in
/// flight are abandoned rather than waited for.
pub(crate) fn block_on(command: impl Future<Output = ExitCode>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return super::fail(err),
    };
    let code = runtime.block_on(command);
    runtime.shutdown_background();
    code
}

pub(crate) async fn connect() -> Result<Engine, String> {
    Engine::connect().await.map_err(|err| err.to_string())
}

pub(crate) fn home() -> Result<PathBuf, String> {
    std::env::var_os("HOME").map(PathBuf::from).ok_or_else(|| {
        gettext("HOME is not set, so Paddock cannot tell which folders hold your keys; set HOME and try again")
    })
}

/// The project in `dir` (default: the current folder) and what its
/// definition asks the engine to build and run.
pub(crate) async fn project_plan(
    dir: Option<&Path>,
    engine: &Engine,
    approve: bool,
) -> Result<(Project, SandboxPlan), String> {
    let home = home()?;
    let dir = match dir {
        Some(dir) => dir.to_owned(),
        None => std::env::current_dir().map_err(|err| err.to_string())?,
    };
    let project = Project::open(&dir, &home).map_err(|err| err.to_string())?;
    let presets = Presets::load(Presets::user_dir().as_deref()).map_err(|err| err.to_string())?;
    // An invalid definition gets its errors, by key, not a review to approve.
    project
        .load_definition(&presets)
        .map_err(|err| err.to_string())?;
    let approved = approved_definition(&project, &presets, &home, approve)?;
    let agent = approved
        .definition
        .resolve_agent(&presets)
        .map_err(|err| err.to_string())?;
    let host = engine
        .host_facts(
            approved.definition.isolation(),
            rustix::process::getuid().as_raw(),
            rustix::process::getgid().as_raw(),
            home,
        )
        .await
        .map_err(|err| err.to_string())?;
    let mut plan =
        plan::plan(&project, &approved.definition, &agent, &host).map_err(|err| err.to_string())?;
    plan.container.binds.extend(approved.binds());
    Ok((project, plan))
}

/// The definition as the user approved it. A definition Paddock did not
/// write, or one changed since, is shown first and used only once the user
/// answers yes (on stdin, so `echo y |` works for scripts that showed it),
/// or once it is run again with `--approve` (`approve`).
fn approved_definition(
    project: &Project,
    presets: &Presets,
    home: &Path,
    approve: bool,
) -> Result<Approved, String> {
    let approvals = Approvals::for_user().map_err(|err| err.to_string())?;
    let sockets = HostSockets::from_env();
    let review = match approvals
        .gate(project, presets, home, &sockets)
        .map_err(|err| err.to_string())?
    {
        Gate::Approved(approved) => return Ok(*approved),
        Gate::NeedsApproval(review) => review,
    };
    if approve {
        // `--approve`: the user has reviewed it; still show what is recorded.
        eprintln!("{}", review.to_text(project));
    } else if !ask_approval(&review, project) {
        return Err(gettext(
            "The sandbox definition was not approved, so nothing was built or run. Review it and answer y, or run the same command again with --approve.",
        ));
    }
    approvals
        .approve(project, &review.snapshot)
        .map_err(|err| err.to_string())?;
    match approvals
        .gate(project, presets, home, &sockets)
        .map_err(|err| err.to_string())?
    {
        Gate::Approved(approved) => Ok(*approved),
        Gate::NeedsApproval(_) => Err(gettext(
            "The sandbox definition changed while you reviewed it; run the command again to review the new one.",
        )),
    }
}

fn ask_approval(review: &Review, project: &Project) -> bool {
    eprintln!("{}", review.to_text(project));
    eprint!("{}", gettext("Approve this sandbox definition? [y/N] "));
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() {
        return false;
    }
    if !super::terminal::stdin_is_terminal() {
        // A piped answer is not echoed: end the prompt's line.
        eprintln!();
    }
    matches!(answer.trim().to_lowercase().as_str(), "y" | "yes")
}

/// A sandbox named on the command line: a project folder, or a name from
/// `paddock ls`. Only Paddock's own containers are found.
pub(crate) async fn find(engine: &Engine, name_or_dir: &str) -> Result<SandboxSummary, String> {
    let as_dir = Path::new(name_or_dir);
    if as_dir.is_dir() {
        let root = std::fs::canonicalize(as_dir).map_err(|err| err.to_string())?;
        return engine
            .sandbox_of(&root)
            .await
            .map_err(|err| err.to_string())?
            .ok_or_else(|| {
                gettext("{dir} has no sandbox; `paddock run {dir}` makes one.")
                    .replace("{dir}", &root.display().to_string())
            });
    }
    engine
        .list()
        .await
        .map_err(|err| err.to_string())?
        .into_iter()
        .find(|sandbox| sandbox.name == name_or_dir)
        .ok_or_else(|| Error::NoSuchSandbox(name_or_dir.to_owned()).to_string())
}
