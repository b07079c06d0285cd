use std::process::ExitCode;

use gettextrs::gettext;

use super::interact::interact;
use super::sandboxes;

#[derive(Debug, clap::Args)]
#[command(about = gettext("Attach this terminal to a running sandbox"))]
pub struct Args {
    #[arg(help = gettext("The sandbox name, as `paddock ls` shows it, or its project folder"))]
    pub name: String,
}

pub fn run(args: Args) -> ExitCode {
    sandboxes::block_on(async move {
        match attach(&args.name).await {
            Ok(code) => code,
            Err(message) => super::fail(message),
        }
    })
}

async fn attach(name_or_dir: &str) -> Result<ExitCode, String> {
    let engine = sandboxes::connect().await?;
    let sandbox = sandboxes::find(&engine, name_or_dir).await?;
    if !sandbox.state.is_running() {
        return Err(gettext(
            "{name} is not running ({state}); `paddock run {project}` starts it again.",
        )
        .replace("{name}", &sandbox.name)
        .replace("{state}", &sandbox.state.to_string())
        .replace("{project}", &sandbox.project.display().to_string()));
    }
    let session = engine
        .attach(&sandbox.name, false)
        .await
        .map_err(|err| err.to_string())?;
    let ending = interact(&engine, &sandbox.name, session)
        .await
        .map_err(|err| err.to_string())?;
    Ok(ending.exit_code())
}
