use std::process::ExitCode;

/// Attach this terminal to a running sandbox
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sandbox name, as `paddock ls` shows it
    pub name: String,
}

pub fn run(_args: Args) -> ExitCode {
    super::fail("'attach' has not landed yet")
}
