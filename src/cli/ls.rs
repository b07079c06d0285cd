use std::process::ExitCode;

use gettextrs::gettext;

use super::sandboxes;

#[derive(Debug, clap::Args)]
#[command(about = gettext("List the sandboxes Paddock made"))]
pub struct Args {}

pub fn run(_args: Args) -> ExitCode {
    sandboxes::block_on(async move {
        let engine = match sandboxes::connect().await {
            Ok(engine) => engine,
            Err(message) => return super::fail(message),
        };
        let sandboxes = match engine.list().await {
            Ok(sandboxes) => sandboxes,
            Err(err) => return super::fail(err),
        };
        if sandboxes.is_empty() {
            println!(
                "{}",
                gettext("No sandboxes yet: `paddock run DIR` makes one.")
            );
            return ExitCode::SUCCESS;
        }
        let mut rows = vec![[
            gettext("NAME"),
            gettext("PROJECT"),
            gettext("STATE"),
            gettext("ISOLATION"),
        ]];
        for sandbox in sandboxes {
            let isolation = match engine.last_verdict(&sandbox.name).await {
                Ok(Some(verdict)) => verdict.to_string(),
                Ok(None) | Err(_) => gettext("unknown"),
            };
            rows.push([
                sandbox.name,
                sandbox.project.display().to_string(),
                sandbox.state.to_string(),
                isolation,
            ]);
        }
        let widths: Vec<usize> = (0..3)
            .map(|column| {
                rows.iter()
                    .map(|row| row[column].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in rows {
            println!(
                "{:w0$}  {:w1$}  {:w2$}  {}",
                row[0],
                row[1],
                row[2],
                row[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            );
        }
        ExitCode::SUCCESS
    })
}
