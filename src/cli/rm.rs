use std::process::ExitCode;

use gettextrs::gettext;

use super::sandboxes;

#[derive(Debug, clap::Args)]
#[command(about = gettext("Remove a sandbox (its named volumes are kept unless --volumes)"))]
pub struct Args {
    #[arg(help = gettext("The sandbox name, as `paddock ls` shows it, or its project folder"))]
    pub name: String,
    #[arg(long, help = gettext("Also remove its named volumes (agent login, caches) unless another sandbox uses them"))]
    pub volumes: bool,
}

pub fn run(args: Args) -> ExitCode {
    sandboxes::block_on(async move {
        let result = async {
            let engine = sandboxes::connect().await?;
            let sandbox = sandboxes::find(&engine, &args.name).await?;
            let kept = host::egress::remove(&engine, &sandbox.name, args.volumes)
                .await
                .map_err(|err| err.to_string())?;
            // The inbox's files were the removed sandbox's.
            host::inbox::for_project(&sandbox.project)
                .and_then(|inbox| host::inbox::remove(&inbox))
                .map_err(|err| err.to_string())?;
            println!(
                "{}",
                gettext("Removed {name}.").replace("{name}", &sandbox.name)
            );
            for volume in kept {
                println!(
                    "{}",
                    gettext("Kept the volume {volume}: another sandbox still uses it.")
                        .replace("{volume}", &volume)
                );
            }
            Ok::<(), String>(())
        }
        .await;
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => super::fail(message),
        }
    })
}
