use std::process::ExitCode;

/// Stop a running sandbox
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sandbox name, as `paddock ls` shows it
    pub name: String,
}

pub fn run(_args: Args) -> ExitCode {
    super::fail("'stop' has not landed yet")
}
