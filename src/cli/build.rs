use std::process::ExitCode;

/// Build the sandbox image of a project
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project folder (default: the current folder)
    pub dir: Option<std::path::PathBuf>,
}

pub fn run(_args: Args) -> ExitCode {
    super::fail("'build' has not landed yet")
}
