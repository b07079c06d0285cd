use std::process::ExitCode;

use gettextrs::gettext;

use super::sandboxes;

#[derive(Debug, clap::Args)]
#[command(about = gettext("Stop a running sandbox"))]
pub struct Args {
    #[arg(help = gettext("The sandbox name, as `paddock ls` shows it, or its project folder"))]
    pub name: String,
}

pub fn run(args: Args) -> ExitCode {
    sandboxes::block_on(async move {
        let result = async {
            let engine = sandboxes::connect().await?;
            let sandbox = sandboxes::find(&engine, &args.name).await?;
            if !sandbox.state.is_running() {
                println!(
                    "{}",
                    gettext("{name} is not running.").replace("{name}", &sandbox.name)
                );
                return Ok(());
            }
            engine
                .stop(&sandbox.name)
                .await
                .map_err(|err| err.to_string())?;
            println!(
                "{}",
                gettext("Stopped {name}.").replace("{name}", &sandbox.name)
            );
            Ok::<(), String>(())
        }
        .await;
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => super::fail(message),
        }
    })
}
