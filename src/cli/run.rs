use std::process::ExitCode;

/// Build if needed, start the sandbox and attach this terminal to it
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project folder (default: the current folder)
    pub dir: Option<std::path::PathBuf>,
}

pub fn run(_args: Args) -> ExitCode {
    super::fail("'run' has not landed yet")
}
