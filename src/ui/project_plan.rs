//! The window's side of the one launch path ([`host::launch`]): a project
//! either has an approved plan or a review the user must answer first.

use super::error::Error;
use engine::Engine;
use host::launch::Launcher;
use sandbox::approval::{Gate, Review};
use sandbox::plan::SandboxPlan;
use sandbox::project::Project;

/// Where a project stands at the gate.
pub enum Prepared {
    /// Approved: what the engine builds and runs.
    Ready(Box<SandboxPlan>),
    /// New or changed since the user approved it: to be shown first.
    Review(Box<Review>),
}

/// The plan for the project's approved definition, or its review. With
/// `write_files` the generated files are written too (before a build or a
/// run, not when only looking).
pub async fn prepare(
    project: &Project,
    engine: &Engine,
    write_files: bool,
) -> Result<Prepared, Error> {
    let launcher = Launcher::for_user()?;
    let approved = match launcher.gate(project)? {
        Gate::Approved(approved) => approved,
        Gate::NeedsApproval(review) => return Ok(Prepared::Review(Box::new(review))),
    };
    if write_files {
        launcher.write_generated(project, &approved)?;
    }
    let plan = launcher.plan(engine, project, &approved).await?;
    Ok(Prepared::Ready(Box::new(plan)))
}

/// The review the user must answer before the project is built or run;
/// `None` when its definition is approved and unchanged.
pub fn pending_review(project: &Project) -> Result<Option<Review>, Error> {
    Ok(match Launcher::for_user()?.gate(project)? {
        Gate::Approved(_) => None,
        Gate::NeedsApproval(review) => Some(review),
    })
}

/// Records what the review showed as approved.
pub fn approve(project: &Project, review: &Review) -> Result<(), Error> {
    Launcher::for_user()?.approve(project, review)?;
    Ok(())
}

/// Saves a definition the window's own form (or its defaults) wrote. The
/// window wrote it for the user, so it counts as approved, but only when
/// what it replaces was approved too: an edit on top of a definition the
/// user has not reviewed leaves the whole of it to the review.
pub fn save_definition(
    project: &Project,
    definition: &sandbox::definition::Definition,
) -> Result<(), Error> {
    let launcher = Launcher::for_user()?;
    let approved_before =
        !project.has_definition() || matches!(launcher.gate(project), Ok(Gate::Approved(_)));
    project.save_definition(definition)?;
    if approved_before {
        launcher.approve_written(project)?;
    }
    Ok(())
}
