use std::process::ExitCode;

/// Open a project folder in the Paddock window (starting it if needed)
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project folder
    pub dir: std::path::PathBuf,
}

pub fn run(_args: Args) -> ExitCode {
    super::fail("'open' has not landed yet")
}
