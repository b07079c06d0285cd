//! `paddock net log [DIR] [--follow] | allow HOST [DIR] | deny HOST [DIR]`:
//! what an `allowlist` sandbox tried to reach, and the user's decisions,
//! in force at once.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gettextrs::gettext;
use host::egress::{self, Decision};
use host::launch::Launcher;
use sandbox::messages::tr;

use super::sandboxes;

#[derive(Debug, clap::Args)]
#[command(about = gettext("See and decide what a sandbox may reach on the network"))]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    #[command(about = gettext("Show the connection attempts the sandbox's gateway saw, allowed and blocked"))]
    Log {
        #[arg(help = gettext("The project folder (default: the current folder)"))]
        dir: Option<PathBuf>,
        #[arg(long, short, help = gettext("Keep showing new attempts as they come"))]
        follow: bool,
    },
    #[command(about = gettext("Let the sandbox reach a host (written into the definition, in force at once)"))]
    Allow {
        #[arg(help = gettext("example.org, *.example.org, or host:port for other TCP"))]
        host: String,
        #[arg(help = gettext("The project folder (default: the current folder)"))]
        dir: Option<PathBuf>,
    },
    #[command(about = gettext("Never let the sandbox reach a host (deny wins over allow)"))]
    Deny {
        #[arg(help = gettext("example.org, *.example.org, or host:port"))]
        host: String,
        #[arg(help = gettext("The project folder (default: the current folder)"))]
        dir: Option<PathBuf>,
    },
}

pub fn run(args: Args) -> ExitCode {
    sandboxes::block_on(async move {
        let result = match args.command {
            Command::Log { dir, follow } => log(dir.as_deref(), follow).await,
            Command::Allow { host, dir } => decide(&host, dir.as_deref(), Decision::Allow).await,
            Command::Deny { host, dir } => decide(&host, dir.as_deref(), Decision::Deny).await,
        };
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => super::fail(message),
        }
    })
}

fn folder(dir: Option<&Path>) -> Result<PathBuf, String> {
    match dir {
        Some(dir) => Ok(dir.to_owned()),
        None => std::env::current_dir().map_err(|err| err.to_string()),
    }
}

async fn log(dir: Option<&Path>, follow: bool) -> Result<(), String> {
    let launcher = Launcher::for_user().map_err(|err| err.to_string())?;
    let project = launcher
        .open(&folder(dir)?)
        .map_err(|err| err.to_string())?;
    let engine = sandboxes::connect().await?;
    let name = project.names().container();
    let mut log = engine
        .gateway_log(&name, follow)
        .await
        .map_err(|err| err.to_string())?;
    while let Some(attempt) = log.next().await.map_err(|err| err.to_string())? {
        println!("{}", attempt.line());
    }
    Ok(())
}

async fn decide(host: &str, dir: Option<&Path>, decision: Decision) -> Result<(), String> {
    let launcher = Launcher::for_user().map_err(|err| err.to_string())?;
    let project = launcher
        .open(&folder(dir)?)
        .map_err(|err| err.to_string())?;
    let engine = sandboxes::connect().await?;
    let decided = egress::decide(&launcher, &engine, &project, host, decision)
        .await
        .map_err(|err| err.to_string())?;
    let host = sandbox::shown::escape(host.trim());
    let done = match decision {
        Decision::Allow => tr("Allowed {host}.", &[("host", &host)]),
        Decision::Deny => tr("Denied {host}.", &[("host", &host)]),
    };
    let when = if decided.reloaded {
        gettext("The running sandbox follows it now.")
    } else {
        gettext("It applies from the sandbox's next start.")
    };
    println!("{done} {when}");
    Ok(())
}
