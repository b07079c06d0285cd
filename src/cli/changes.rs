use std::path::PathBuf;
use std::process::ExitCode;

use gettextrs::gettext;

use host::launch::Launcher;
use sandbox::changes::record::Records;
use sandbox::changes::{Change, Changes};
use sandbox::messages::tr;
use sandbox::shown::{escape, escape_line};

#[derive(Debug, clap::Args)]
#[command(
    about = gettext("List what changed in the project since its sandbox last started, the files your own tools run first"),
    long_about = gettext("List what changed in the project since its sandbox last started, the files your own tools run (git hooks and configuration, .envrc, Makefile, editor tasks, CI workflows, agent settings) first and flagged.\n\nExits with 1 when one of those changed, so that a script can stop before running them.")
)]
pub struct Args {
    #[arg(help = gettext("The project folder (default: the current folder)"))]
    pub dir: Option<PathBuf>,
    #[arg(long, help = gettext("Show the diff of each changed text file"))]
    pub diff: bool,
}

/// The code for "a file the host runs changed".
const FLAGGED: u8 = 1;

pub fn run(args: Args) -> ExitCode {
    match changes(&args) {
        Ok(code) => code,
        Err(message) => super::fail(message),
    }
}

fn changes(args: &Args) -> Result<ExitCode, String> {
    let launcher = Launcher::for_user().map_err(|err| err.to_string())?;
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().map_err(|err| err.to_string())?,
    };
    let project = launcher.open(&dir).map_err(|err| err.to_string())?;
    let records = Records::for_user().map_err(|err| err.to_string())?;
    let record = records
        .last(project.root())
        .map_err(|err| err.to_string())?;
    let changes = record.changes().map_err(|err| err.to_string())?;
    print(&changes, |change| args.diff.then(|| record.diff(change)));
    Ok(if changes.flagged() {
        ExitCode::from(FLAGGED)
    } else {
        ExitCode::SUCCESS
    })
}

fn print(changes: &Changes, diff: impl Fn(&Change) -> Option<String>) {
    if changes.is_empty() {
        println!("{}", gettext("Nothing changed since the sandbox started."));
        return;
    }
    let width = changes
        .files
        .iter()
        .map(|c| c.kind.label().chars().count())
        .max()
        .unwrap_or(0);
    for change in &changes.files {
        let path = escape_line(&change.path);
        let kind = change.kind.label();
        match change.host_run {
            Some(host_run) => println!(
                "! {kind:width$}  {path}  ({})",
                tr(
                    "{what}: runs outside the sandbox",
                    &[("what", &host_run.label())]
                )
            ),
            None => println!("  {kind:width$}  {path}"),
        }
        if let Some(text) = diff(change) {
            for line in escape(&text).lines() {
                println!("    {line}");
            }
        }
    }
    for head in &changes.heads {
        let short = |commit: &Option<String>| {
            commit.as_deref().map_or_else(
                || gettext("none"),
                |c| escape_line(&c.chars().take(12).collect::<String>()),
            )
        };
        println!(
            "  {}",
            tr(
                "git HEAD of {repo}: {from} -> {to}",
                &[
                    ("repo", &escape_line(&head.repo)),
                    ("from", &short(&head.from)),
                    ("to", &short(&head.to)),
                ]
            )
        );
    }
    if changes.flagged() {
        eprintln!(
            "paddock: {}",
            gettext(
                "files marked ! are run by your own tools outside the sandbox (git, direnv, make, your editor, CI): read them before you run anything in this project"
            )
        );
    }
}
