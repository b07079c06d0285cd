//! How a sandbox's run ended, in words: the window's badge, banner and tab
//! title and the CLI say the same thing, with the exit code as a detail
//! instead of the headline.

use gettextrs::gettext;

use crate::messages::tr;

/// What an exit code means for an agent's run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    Finished,
    Failed,
    /// 126: the shell found the command but could not run it.
    NotRunnable,
    /// 127: the shell found no such command.
    NotFound,
    /// 128 + a signal number, as shells and podman report it.
    Signal(i64),
}

/// SIGINT, SIGKILL and SIGTERM: the signals that have words of their own.
const INTERRUPT: i64 = 2;
const KILL: i64 = 9;
const TERMINATE: i64 = 15;

impl ExitKind {
    pub fn of(code: i64) -> ExitKind {
        match code {
            0 => ExitKind::Finished,
            126 => ExitKind::NotRunnable,
            127 => ExitKind::NotFound,
            129..=192 => ExitKind::Signal(code - 128),
            _ => ExitKind::Failed,
        }
    }

    /// A word or two, for a badge or a tab title.
    pub fn label(self) -> String {
        match self {
            ExitKind::Finished => gettext("Finished"),
            ExitKind::Failed => gettext("Failed"),
            ExitKind::NotRunnable => gettext("Not runnable"),
            ExitKind::NotFound => gettext("Command not found"),
            ExitKind::Signal(INTERRUPT) => gettext("Interrupted"),
            ExitKind::Signal(KILL) => gettext("Killed"),
            ExitKind::Signal(TERMINATE) => gettext("Terminated"),
            ExitKind::Signal(signal) => tr("Ended by signal {signal}", &[("signal", &signal)]),
        }
    }

    /// A sentence, for a banner or the CLI.
    pub fn sentence(self) -> String {
        match self {
            ExitKind::Finished => gettext("The agent finished"),
            ExitKind::Failed => gettext("The agent ended with an error"),
            ExitKind::NotRunnable => gettext("The agent’s command could not be run"),
            ExitKind::NotFound => gettext("The agent’s command was not found in the sandbox"),
            ExitKind::Signal(INTERRUPT) => gettext("The agent was interrupted"),
            ExitKind::Signal(KILL) => {
                gettext("The sandbox was killed, perhaps because it ran out of memory")
            }
            ExitKind::Signal(TERMINATE) => gettext("The sandbox was terminated"),
            ExitKind::Signal(signal) => tr(
                "The agent was ended by signal {signal}",
                &[("signal", &signal)],
            ),
        }
    }

    /// Whether the run went as the agent meant.
    pub fn is_success(self) -> bool {
        self == ExitKind::Finished
    }
}

/// How a run ended, in a sentence with the code as its detail, for a
/// banner, a notification or the CLI.
pub fn describe(code: i64) -> String {
    tr(
        "{what} (exit code {code})",
        &[("what", &ExitKind::of(code).sentence()), ("code", &code)],
    )
}

/// The number itself, as the detail under the words.
pub fn code_detail(code: i64) -> String {
    tr("Exit code {code}", &[("code", &code)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_what_shells_mean_by_them() {
        assert_eq!(ExitKind::of(0), ExitKind::Finished);
        assert_eq!(ExitKind::of(3), ExitKind::Failed);
        assert_eq!(ExitKind::of(127), ExitKind::NotFound);
        assert_eq!(ExitKind::of(137), ExitKind::Signal(KILL));
        assert_eq!(ExitKind::of(143).label(), "Terminated");
        assert_eq!(ExitKind::of(-1), ExitKind::Failed);
        assert_eq!(ExitKind::of(300), ExitKind::Failed);
        assert_eq!(ExitKind::of(159).label(), "Ended by signal 31");
        assert!(!ExitKind::of(1).is_success() && ExitKind::of(0).is_success());
        assert_eq!(code_detail(3), "Exit code 3");
        assert_eq!(
            describe(127),
            "The agent’s command was not found in the sandbox (exit code 127)"
        );
    }
}
