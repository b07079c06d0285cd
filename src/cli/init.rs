use std::process::ExitCode;

/// Write the sandbox definition into DIR/.agent-sandbox/
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project folder (default: the current folder)
    pub dir: Option<std::path::PathBuf>,
}

pub fn run(_args: Args) -> ExitCode {
    super::fail("'init' has not landed yet")
}
