//! What a project page asks of podman, run on tokio: each job ends in the
//! page's command message that tells how it went.

use tokio_util::sync::CancellationToken;

use super::ProjectPageCommand;
use super::terminals::Attached;
use crate::ui::bridge;
use crate::ui::components::api_keys;
use crate::ui::error::Error;
use crate::ui::project_plan;
use engine::SandboxState;
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
    let built = match project.has_definition() {
        true => match project_plan::plan(&project, &engine, false).await {
            Ok(plan) => engine
                .image_exists(&plan.build.image)
                .await
                .unwrap_or(false),
            Err(_) => false,
        },
        false => false,
    };
    ProjectPageCommand::Checked {
        built,
        running,
        exited,
        verdict,
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
        let plan = project_plan::plan(&project, &engine, true).await?;
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
/// first byte; asks for a build when the image is missing.
pub async fn start(project: Project) -> ProjectPageCommand {
    let result = async {
        let engine = bridge::engine().await?;
        let plan = project_plan::plan(&project, &engine, true).await?;
        let name = plan.container.name.clone();
        let existing = engine.sandbox_of(project.root()).await?;
        if let Some(sandbox) = &existing
            && sandbox.state.is_running()
        {
            let session = engine.attach(&sandbox.name, false).await?;
            return Ok(Some(Attached {
                name: sandbox.name.clone(),
                session,
                expects_report: false,
            }));
        }
        // Before building: an image is no use when the sandbox cannot start.
        engine.refuse_unisolated(&plan.container).await?;
        if !engine.image_exists(&plan.build.image).await? {
            return Ok(None);
        }
        if let Some(sandbox) = existing {
            engine.remove(&sandbox.name, false).await?;
        }
        let secrets = api_keys::stored(&plan.container.secrets, project.root()).await;
        engine.create(&plan.container, true, &secrets).await?;
        // Attached before it starts: the first line is the isolation report.
        let session = engine.attach(&name, true).await?;
        engine.start(&name).await?;
        Ok::<_, Error>(Some(Attached {
            name,
            session,
            expects_report: true,
        }))
    };
    match result.await {
        Ok(Some(attached)) => ProjectPageCommand::Attached(Ok(attached)),
        Ok(None) => ProjectPageCommand::NeedsBuild,
        Err(error) => ProjectPageCommand::Attached(Err(error)),
    }
}

pub async fn stop(name: String) -> ProjectPageCommand {
    let result = async {
        let engine = bridge::engine().await?;
        engine.stop(&name).await
    };
    ProjectPageCommand::Stopped(result.await)
}
