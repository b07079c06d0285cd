//! `paddock inbox [DIR] FILE...`: copies files and folders into a project's
//! inbox, which its sandbox sees read-only at `/run/paddock/inbox`, and
//! prints their paths there (shell-quoted, one per line), as a drop on the
//! window's terminal does.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gettextrs::gettext;

use host::inbox;
use host::launch::Launcher;
use sandbox::inbox::shell_quote;
use sandbox::messages::{tr, tr_n};
use sandbox::project::SANDBOX_DIR;

#[derive(Debug, clap::Args)]
#[command(
    about = gettext("Copy files into a project's inbox, which its sandbox reads at /run/paddock/inbox"),
    long_about = gettext("Copy files and folders into a project's inbox, which its sandbox reads at /run/paddock/inbox (read-only), and print their paths there.\n\nThe first path names the project when more paths follow and it is a project folder (it has .agent-sandbox/); otherwise the project is the current folder's. Symbolic links are not followed; an inbox holds at most 500 MB; a new run starts with an empty inbox.")
)]
pub struct Args {
    #[arg(required = true, value_name = "PATH", help = gettext("[DIR] FILE...: the project folder (optional), then the files and folders to copy in"))]
    pub paths: Vec<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    match copy(args.paths) {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => super::fail(message),
    }
}

fn copy(mut paths: Vec<PathBuf>) -> Result<Vec<String>, String> {
    let dir = if paths.len() > 1 && paths[0].join(SANDBOX_DIR).is_dir() {
        paths.remove(0)
    } else {
        std::env::current_dir().map_err(|err| err.to_string())?
    };
    let launcher = Launcher::for_user().map_err(|err| err.to_string())?;
    let project = launcher.open(&dir).map_err(|err| err.to_string())?;
    let sources = paths
        .iter()
        .map(|path| absolute(path))
        .collect::<Result<Vec<_>, _>>()?;
    let inbox = inbox::for_project(project.root()).map_err(|err| err.to_string())?;
    let copied = inbox::copy_in(&inbox, &sources).map_err(|err| err.to_string())?;
    if copied.skipped > 0 {
        eprintln!(
            "{}",
            tr_n(
                "paddock: left out {count} symbolic link or special file (never followed into the inbox)",
                "paddock: left out {count} symbolic links or special files (never followed into the inbox)",
                copied.skipped as u64,
                &[],
            )
        );
    }
    Ok(copied.paths.iter().map(|path| shell_quote(path)).collect())
}

/// `path` from the current folder, its own last component kept as it is
/// (a link is the link, which the copy refuses, not what it points to).
fn absolute(path: &Path) -> Result<PathBuf, String> {
    std::path::absolute(path).map_err(|error| {
        tr(
            "{path} cannot be found: {error}",
            &[("path", &path.display()), ("error", &error)],
        )
    })
}
