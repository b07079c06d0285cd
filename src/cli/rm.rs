use std::process::ExitCode;

/// Remove a sandbox (its volumes are kept)
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sandbox name, as `paddock ls` shows it
    pub name: String,
}

pub fn run(_args: Args) -> ExitCode {
    super::fail("'rm' has not landed yet")
}
