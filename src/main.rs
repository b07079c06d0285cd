use std::process::ExitCode;

fn main() -> ExitCode {
    paddock::i18n::init();
    // No arguments (as when launched from GNOME Shell) opens the window; any
    // argument is the CLI, which never touches GTK.
    if std::env::args_os().len() <= 1 {
        paddock::ui::run()
    } else {
        paddock::cli::run()
    }
}
