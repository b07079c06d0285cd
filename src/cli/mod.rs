//! `paddock init | build | run | attach | ls | stop | rm | changes | doctor | open | secret | inbox | net`:
//! the terminal front end. One module per subcommand.

mod attach;
mod build;
mod changes;
mod doctor;
mod inbox;
mod init;
mod interact;
mod ls;
mod net;
mod open;
mod rm;
mod run;
mod sandboxes;
mod secret;
mod stop;
mod terminal;

use std::process::ExitCode;

use clap::{Arg, CommandFactory, FromArgMatches, Subcommand};
use gettextrs::gettext;

#[derive(Debug, clap::Parser)]
#[command(
    name = "paddock",
    version,
    about = gettext("Run AI coding agents in a microVM per project"),
    long_about = gettext("Run AI coding agents in a microVM per project.\n\nWithout a subcommand, Paddock opens its window.")
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Init(init::Args),
    Build(build::Args),
    Run(run::Args),
    Attach(attach::Args),
    Ls(ls::Args),
    Stop(stop::Args),
    Rm(rm::Args),
    Changes(changes::Args),
    Doctor(doctor::Args),
    Open(open::Args),
    Secret(secret::Args),
    Inbox(inbox::Args),
    Net(net::Args),
}

/// The command line's definition in the user's language. The derive
/// attributes translate Paddock's own texts when this is called (after
/// `i18n::init`); what clap adds itself (headings, `--help`, `--version`, the
/// `help` subcommand) is translated here, once clap has built it. `name` is
/// the program's name, as usage lines and manual pages show it.
pub fn command(name: &str) -> clap::Command {
    let mut command = Cli::command().name(name.to_owned()).bin_name(name);
    command.build();
    translate_clap_texts(command)
}

fn translate_clap_texts(command: clap::Command) -> clap::Command {
    let arguments = gettext("Arguments");
    let options = gettext("Options");
    let usage = command.get_styles().get_usage();
    // clap's default template with the "Usage:" heading translated; the
    // argument and option headings come from each argument's help_heading.
    let template = format!(
        "{{before-help}}{{about-with-newline}}\n{usage}{}{usage:#} {{usage}}\n\n{{all-args}}{{after-help}}",
        gettext("Usage:")
    );
    let mut command = command
        .help_template(template)
        .subcommand_help_heading(gettext("Commands"))
        .mut_args(|arg| {
            let heading = if arg.is_positional() {
                arguments.clone()
            } else {
                options.clone()
            };
            translate_builtin_flag(arg).help_heading(heading)
        });
    if command.find_subcommand("help").is_some() {
        command = command.mut_subcommand("help", |help| {
            help.about(gettext(
                "Print this message or the help of the given subcommand(s)",
            ))
            .mut_args(|arg| arg.help(gettext("Print help for the subcommand(s)")))
        });
    }
    command.mut_subcommands(translate_clap_texts)
}

/// `--help` and `--version`, which clap words like this in English.
fn translate_builtin_flag(arg: Arg) -> Arg {
    match arg.get_id().as_str() {
        "help" if arg.get_long_help().is_some() => arg
            .help(gettext("Print help (see more with '--help')"))
            .long_help(gettext("Print help (see a summary with '-h')")),
        "help" => arg.help(gettext("Print help")),
        "version" => arg.help(gettext("Print version")),
        _ => arg,
    }
}

pub fn run() -> ExitCode {
    // As clap names the program when it builds the command itself.
    let name = std::env::args_os()
        .next()
        .and_then(|arg0| {
            let file_name = std::path::Path::new(&arg0).file_name()?;
            file_name.to_str().map(str::to_owned)
        })
        .unwrap_or_else(|| "paddock".to_owned());
    let cli = match Cli::from_arg_matches(&command(&name).get_matches()) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    match cli.command {
        Command::Init(args) => init::run(args),
        Command::Build(args) => build::run(args),
        Command::Run(args) => run::run(args),
        Command::Attach(args) => attach::run(args),
        Command::Ls(args) => ls::run(args),
        Command::Stop(args) => stop::run(args),
        Command::Rm(args) => rm::run(args),
        Command::Changes(args) => changes::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Open(args) => open::run(args),
        Command::Secret(args) => secret::run(args),
        Command::Inbox(args) => inbox::run(args),
        Command::Net(args) => net::run(args),
    }
}

/// Prints an error the way every subcommand does and returns the failure code.
pub(crate) fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("paddock: {message}");
    ExitCode::FAILURE
}
