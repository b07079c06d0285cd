//! `paddock init | build | run | attach | ls | stop | rm | doctor | open | secret`:
//! the terminal front end. One module per subcommand.

mod attach;
mod build;
mod doctor;
mod init;
mod interact;
mod ls;
mod open;
mod rm;
mod run;
mod sandboxes;
mod secret;
mod stop;
mod terminal;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "paddock",
    version,
    about = "Run AI coding agents in a microVM per project",
    long_about = "Run AI coding agents in a microVM per project.\n\nWithout a subcommand, Paddock opens its window."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Init(init::Args),
    Build(build::Args),
    Run(run::Args),
    Attach(attach::Args),
    Ls(ls::Args),
    Stop(stop::Args),
    Rm(rm::Args),
    Doctor(doctor::Args),
    Open(open::Args),
    Secret(secret::Args),
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Init(args) => init::run(args),
        Command::Build(args) => build::run(args),
        Command::Run(args) => run::run(args),
        Command::Attach(args) => attach::run(args),
        Command::Ls(args) => ls::run(args),
        Command::Stop(args) => stop::run(args),
        Command::Rm(args) => rm::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Open(args) => open::run(args),
        Command::Secret(args) => secret::run(args),
    }
}

/// Prints an error the way every subcommand does and returns the failure code.
pub(crate) fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("paddock: {message}");
    ExitCode::FAILURE
}
