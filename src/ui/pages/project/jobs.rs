//! What a project page asks of podman, run on tokio: each job ends in the
//! page's command message that tells how it went.

use tokio_util::sync::CancellationToken;

use super::ProjectPageCommand;
use super::terminals::Attached;
use crate::ui::bridge;
use crate::ui::components::review_dialog::AfterReview;
use crate::ui::error::Error;
use crate::ui::project_plan::{self, Prepared};
use engine::SandboxState;
use host::launch::{self, LaunchError};
use sandbox::project::Project;

/// Whether the image for the saved definition exists, and whether the
/// sandbox runs (or how it ended).
pub async fn check(project: Project) -> ProjectPageCommand {
    let Ok(engine) = bridge::engine().await else {
        return ProjectPageCommand::Unknown;
    };
    let Ok(sandbox) = engine.sandbox_of(project.root()).await else {
        return ProjectPageCommand::Unknown;
    };
    let running = sandbox.as_ref().is_some_and(|s| s.state.is_running());
    let exited = match sandbox.as_ref().map(|s| &s.state) {
        Some(SandboxState::Exited { code }) => Some(i64::from(*code)),
        _ => None,
    };
    let verdict = match &sandbox {
        Some(sandbox) => engine.last_verdict(&sandbox.name).await.ok().flatten(),
        None => None,
    };
    let (built, review) = match project.has_definition() {
        true => match project_plan::prepare(&project, &engine, false).await {
            Ok(Prepared::Ready(plan)) => (
                engine
                    .image_exists(&plan.build.image)
                    .await
                    .unwrap_or(false),
                None,
            ),
            Ok(Prepared::Review(review)) => (false, Some(review.status)),
            Err(_) => (false, None),
        },
        false => (false, None),
    };
    ProjectPageCommand::Checked {
        built,
        running,
        exited,
        verdict,
        review,
    }
}

/// Builds the image, streaming its log to the page as it arrives.
pub async fn build(
    project: Project,
    out: relm4::Sender<ProjectPageCommand>,
    cancel: CancellationToken,
) {
    let result = async {
        let engine = bridge::engine().await?;
        // The page asked the gate just now; a change since then is for the
        // next press of Build to review.
        let Prepared::Ready(plan) = project_plan::prepare(&project, &engine, true).await? else {
            return Err(Error::Launch(LaunchError::ChangedDuringReview));
        };
        let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
        let forward = {
            let out = out.clone();
            async move {
                while let Some(first) = received.recv().await {
                    out.emit(ProjectPageCommand::BuildEvents(bridge::batch(
                        first,
                        &mut received,
                        512,
                    )));
                }
            }
        };
        let work = async move {
            let result = engine.build(&plan.build, &events, &cancel).await;
            drop(events);
            result
        };
        let (result, ()) = tokio::join!(work, forward);
        Ok::<_, Error>(result?)
    };
    out.emit(ProjectPageCommand::BuildDone(result.await));
}

/// Attaches to the running sandbox, or starts a new run attached from its
/// first byte; asks for a build when the image is missing, and for a
/// review when the definition changed since the page asked.
pub async fn start(project: Project) -> ProjectPageCommand {
    let result = async {
        let engine = bridge::engine().await?;
        let existing = engine.sandbox_of(project.root()).await?;
        if let Some(sandbox) = &existing
            && sandbox.state.is_running()
        {
            let session = engine.attach(&sandbox.name, false).await?;
            return Ok(ProjectPageCommand::Attached(Ok(Attached {
                name: sandbox.name.clone(),
                session,
            })));
        }
        let plan = match project_plan::prepare(&project, &engine, true).await? {
            Prepared::Ready(plan) => plan,
            Prepared::Review(review) => {
                return Ok(ProjectPageCommand::NeedsReview(review, AfterReview::Run));
            }
        };
        // Before building: an image is no use when the sandbox cannot start.
        engine.refuse_unisolated(&plan.container).await?;
        if !engine.image_exists(&plan.build.image).await? {
            return Ok(ProjectPageCommand::NeedsBuild);
        }
        let (session, keys) = launch::start_attached(&engine, &project, &plan, true).await?;
        if let Some(problem) = keys.problem {
            tracing::warn!("no API keys for the sandbox: {problem}");
        }
        Ok::<_, Error>(ProjectPageCommand::Attached(Ok(Attached {
            name: plan.container.name.clone(),
            session,
        })))
    };
    result
        .await
        .unwrap_or_else(|error| ProjectPageCommand::Attached(Err(error)))
}

pub async fn stop(name: String) -> ProjectPageCommand {
    let result = async {
        let engine = bridge::engine().await?;
        engine.stop(&name).await
    };
    ProjectPageCommand::Stopped(result.await)
}
