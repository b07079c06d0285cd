use std::path::PathBuf;
use std::process::ExitCode;

use gettextrs::gettext;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::sandboxes;
use engine::{BuildEvent, BuildOutcome, Engine, Error};
use sandbox::plan::{BuildPlan, Gated};

#[derive(Debug, clap::Args)]
#[command(about = gettext("Build the sandbox image of a project"))]
pub struct Args {
    #[arg(help = gettext("The project folder (default: the current folder)"))]
    pub dir: Option<PathBuf>,
    #[arg(long, help = gettext("Approve the sandbox definition as it is now (shown as a diff) when it is new or changed since you last approved it"))]
    pub approve: bool,
}

pub fn run(args: Args) -> ExitCode {
    sandboxes::block_on(async move {
        let engine = match sandboxes::connect().await {
            Ok(engine) => engine,
            Err(message) => return super::fail(message),
        };
        let plan = match sandboxes::project_plan(args.dir.as_deref(), &engine, args.approve).await {
            Ok((_, plan)) => plan,
            Err(message) => return super::fail(message),
        };
        // Like `podman build`, the log is this command's output.
        match build(&engine, &plan.build, |line| println!("{line}")).await {
            Ok(BuildOutcome::Built) => {
                println!(
                    "{}",
                    gettext("Built {image}").replace("{image}", &plan.build.image)
                );
                ExitCode::SUCCESS
            }
            Ok(BuildOutcome::AlreadyBuilt) => {
                println!(
                    "{}",
                    gettext("{image} is up to date: the definition has not changed.")
                        .replace("{image}", &plan.build.image)
                );
                ExitCode::SUCCESS
            }
            Err(Error::Cancelled) => {
                eprintln!(
                    "{}",
                    gettext("paddock: build cancelled; no image was tagged.")
                );
                ExitCode::from(130)
            }
            Err(err) => super::fail(err),
        }
    })
}

/// Builds the image unless it exists, giving podman's log to `print` line
/// by line as it comes. Ctrl-C cancels the build (and waits for podman to
/// drop it).
pub(crate) async fn build(
    engine: &Engine,
    plan: &Gated<BuildPlan>,
    print: fn(&str),
) -> Result<BuildOutcome, Error> {
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let printer = tokio::spawn(async move {
        while let Some(event) = receiver.recv().await {
            if let BuildEvent::Log(line) = event {
                print(&line);
            }
        }
    });
    let cancel = CancellationToken::new();
    let on_interrupt = cancel.clone();
    let interrupt = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("{}", gettext("paddock: cancelling the build…"));
            on_interrupt.cancel();
        }
    });
    let outcome = engine.build(plan, &sender, &cancel).await;
    interrupt.abort();
    drop(sender);
    let _ = printer.await;
    outcome
}
