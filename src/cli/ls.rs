use std::process::ExitCode;

/// List the sandboxes Paddock made
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> ExitCode {
    super::fail("'ls' has not landed yet")
}
