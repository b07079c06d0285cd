//! From a project folder to what the engine builds and runs: the saved
//! definition, the generated files (kept in `.agent-sandbox/` for
//! podman-compose users) and the host facts the plan needs.

use super::error::Error;
use engine::Engine;
use sandbox::plan::SandboxPlan;
use sandbox::presets::Presets;
use sandbox::project::{self, Project};

/// The plan for the project's saved definition. `write_files` also writes
/// the generated files (when building or running, not when only looking).
pub async fn plan(
    project: &Project,
    engine: &Engine,
    write_files: bool,
) -> Result<SandboxPlan, Error> {
    let presets = Presets::load(Presets::user_dir().as_deref())?;
    let definition = project.load_definition(&presets)?;
    let agent = definition.resolve_agent(&presets)?;
    let (uid, gid) = ids();
    let host = engine
        .host_facts(definition.isolation(), uid, gid, gtk::glib::home_dir())
        .await?;
    if write_files {
        project.write_generated(&definition, &agent)?;
    }
    Ok(project::plan(project, &definition, &agent, &host)?)
}

/// The real uid and gid of this process, from `/proc/self/status`.
fn ids() -> (u32, u32) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|id| id.parse().ok())
            .unwrap_or(0)
    };
    (field("Uid:"), field("Gid:"))
}
