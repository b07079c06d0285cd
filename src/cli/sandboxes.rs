//! What the engine commands share: a tokio runtime, the connection to
//! podman, a project's plan, and finding a sandbox by name or folder.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gettextrs::gettext;

use crate::engine::{Engine, Error, SandboxSummary};
use crate::sandbox::host_facts::HostFacts;
use crate::sandbox::plan::SandboxPlan;
use crate::sandbox::presets::Presets;
use crate::sandbox::project::{self, Project};

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

fn home() -> Result<PathBuf, String> {
    std::env::var_os("HOME").map(PathBuf::from).ok_or_else(|| {
        gettext("HOME is not set, so Paddock cannot tell which folders hold your keys; set HOME and try again")
    })
}

/// The project in `dir` (default: the current folder) and what its
/// definition asks the engine to build and run.
pub(crate) async fn project_plan(
    dir: Option<&Path>,
    engine: &Engine,
) -> Result<(Project, SandboxPlan), String> {
    let home = home()?;
    let dir = match dir {
        Some(dir) => dir.to_owned(),
        None => std::env::current_dir().map_err(|err| err.to_string())?,
    };
    let project = Project::open(&dir, &home).map_err(|err| err.to_string())?;
    let presets = Presets::load(Presets::user_dir().as_deref()).map_err(|err| err.to_string())?;
    let definition = project
        .load_definition(&presets)
        .map_err(|err| err.to_string())?;
    let agent = definition
        .resolve_agent(&presets)
        .map_err(|err| err.to_string())?;
    let host = HostFacts {
        uid: rustix::process::getuid().as_raw(),
        gid: rustix::process::getgid().as_raw(),
        kernel: engine.info().await.map_err(|err| err.to_string())?.kernel,
        home,
    };
    let plan =
        project::plan(&project, &definition, &agent, &host).map_err(|err| err.to_string())?;
    Ok((project, plan))
}

/// A sandbox named on the command line: a project folder, or a name from
/// `paddock ls`. Only Paddock's own containers are found.
pub(crate) async fn find(engine: &Engine, name_or_dir: &str) -> Result<SandboxSummary, String> {
    let sandboxes = engine.list().await.map_err(|err| err.to_string())?;
    let as_dir = Path::new(name_or_dir);
    if as_dir.is_dir() {
        let root = std::fs::canonicalize(as_dir).map_err(|err| err.to_string())?;
        return sandboxes
            .into_iter()
            .find(|sandbox| sandbox.project == root)
            .ok_or_else(|| {
                gettext("{dir} has no sandbox; `paddock run {dir}` makes one.")
                    .replace("{dir}", &root.display().to_string())
            });
    }
    sandboxes
        .into_iter()
        .find(|sandbox| sandbox.name == name_or_dir)
        .ok_or_else(|| Error::NoSuchSandbox(name_or_dir.to_owned()).to_string())
}
