//! What the engine commands share: a tokio runtime, the connection to
//! podman, a project's plan, and finding a sandbox by name or folder.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gettextrs::gettext;

use engine::{Engine, Error, SandboxSummary};
use host::launch::Launcher;
use sandbox::approval::{Gate, Review};
use sandbox::plan::SandboxPlan;
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
/// approved definition asks the engine to build and run, through the one
/// launch path ([`Launcher`]). A definition Paddock did not write, or one
/// changed since, is shown first and used only once the user answers yes
/// (on stdin, so `echo y |` works for scripts that showed it), or once it
/// is run again with `--approve` (`approve`).
pub(crate) async fn project_plan(
    dir: Option<&Path>,
    engine: &Engine,
    approve: bool,
) -> Result<(Project, SandboxPlan), String> {
    let launcher = Launcher::for_user().map_err(|err| err.to_string())?;
    let dir = match dir {
        Some(dir) => dir.to_owned(),
        None => std::env::current_dir().map_err(|err| err.to_string())?,
    };
    let project = launcher.open(&dir).map_err(|err| err.to_string())?;
    let approved = match launcher.gate(&project).map_err(|err| err.to_string())? {
        Gate::Approved(approved) => *approved,
        Gate::NeedsApproval(review) => {
            if approve {
                // `--approve`: the user has reviewed it; still show what is recorded.
                eprintln!("{}", review.to_text(&project));
            } else if !ask_approval(&review, &project) {
                return Err(gettext(
                    "The sandbox definition was not approved, so nothing was built or run. Review it and answer y, or run the same command again with --approve.",
                ));
            }
            launcher
                .approve(&project, &review)
                .map_err(|err| err.to_string())?
        }
    };
    launcher
        .write_generated(&project, &approved)
        .map_err(|err| err.to_string())?;
    let plan = launcher
        .plan(engine, &project, &approved)
        .await
        .map_err(|err| err.to_string())?;
    Ok((project, plan))
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
