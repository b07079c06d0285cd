use std::process::ExitCode;

/// Check that this machine can run sandboxes, and say how to fix what is missing
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> ExitCode {
    super::fail("'doctor' has not landed yet")
}
