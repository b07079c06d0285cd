//! Writes Paddock's manual pages, generated from the command line's
//! definition: paddock(1) and one page per subcommand (paddock-init(1), ...).
//! `meson` runs it at build time with the file names it will install; it
//! refuses when those differ from what the CLI defines, so that a new
//! subcommand cannot go without its page.
//!
//! `cargo run --example man_page -- OUTDIR PROGRAM PAGE...`

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

/// The pages carry the date of this version's release, as the metainfo (which
/// a test keeps in step with Cargo.toml) states it.
const METAINFO: &str = include_str!("../data/io.github.paddockapp.Paddock.metainfo.xml.in.in");

fn release_date() -> Option<&'static str> {
    let release = &METAINFO[METAINFO.find("<release ")?..];
    let date = &release[release.find("date=\"")? + 6..];
    Some(&date[..date.find('"')?])
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!(
            "usage: man_page OUTDIR PROGRAM PAGE... (e.g. out paddock paddock.1 paddock-init.1)"
        );
        return ExitCode::from(2);
    };
    let Some(program) = args.next() else {
        eprintln!(
            "usage: man_page OUTDIR PROGRAM PAGE... (e.g. out paddock paddock.1 paddock-init.1)"
        );
        return ExitCode::from(2);
    };
    let wanted: BTreeSet<String> = args.map(|a| a.to_string_lossy().into_owned()).collect();

    // The pages are in English: no locale is set up here, so gettext returns
    // the original texts.
    // `man PROGRAM-help` would only say to use --help or this page.
    let command = paddock::cli::command(&program.to_string_lossy())
        .mut_subcommand("help", |help| help.hide(true))
        .subcommand_help_heading("COMMANDS");
    let Some(date) = release_date() else {
        eprintln!("man_page: the metainfo names no <release date=\"...\">");
        return ExitCode::FAILURE;
    };
    let manual = |command: clap::Command| {
        clap_mangen::Man::new(command)
            .date(date)
            .source(format!("Paddock {}", paddock::config::VERSION))
            .manual("Paddock Manual")
    };
    let mut pages = vec![manual(command.clone())];
    pages.extend(
        command
            .get_subcommands()
            .filter(|sub| !sub.is_hide_set())
            .map(|sub| manual(sub.clone())),
    );
    let made: BTreeSet<String> = pages.iter().map(|page| page.get_filename()).collect();
    if made != wanted {
        eprintln!(
            "man_page: the CLI defines the pages {made:?} but the build asks for {wanted:?}; \
             update cli_commands in src/meson.build"
        );
        return ExitCode::FAILURE;
    }
    for page in pages {
        if let Err(error) = page.generate_to(&out) {
            eprintln!("man_page: cannot write {}: {error}", page.get_filename());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
