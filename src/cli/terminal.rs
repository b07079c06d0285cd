//! The local terminal of `paddock run` and `paddock attach`: raw mode that is
//! always undone, and its size; and typing a secret without echo.

use std::io::IsTerminal;
use std::os::fd::AsFd;

use rustix::termios::{LocalModes, OptionalActions, Termios, tcgetattr, tcgetwinsize, tcsetattr};

/// Whether keystrokes come from a terminal (else stdin is piped through).
pub(crate) fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// The terminal's size as (columns, rows), if stdout or stdin is one.
pub(crate) fn size() -> Option<(u16, u16)> {
    let from = |size: rustix::termios::Winsize| {
        (size.ws_col > 0 && size.ws_row > 0).then_some((size.ws_col, size.ws_row))
    };
    tcgetwinsize(std::io::stdout().as_fd())
        .ok()
        .and_then(from)
        .or_else(|| tcgetwinsize(std::io::stdin().as_fd()).ok().and_then(from))
}

/// The terminal in raw mode (every key goes to the sandbox as it is typed);
/// the previous mode comes back when this is dropped, whichever way the
/// command ends.
pub(crate) struct RawMode {
    saved: Termios,
}

impl RawMode {
    /// Switches stdin's terminal to raw mode; `None` when stdin is no terminal.
    pub(crate) fn enter() -> std::io::Result<Option<RawMode>> {
        if !stdin_is_terminal() {
            return Ok(None);
        }
        let stdin = std::io::stdin();
        let saved = tcgetattr(stdin.as_fd())?;
        let mut raw = saved.clone();
        raw.make_raw();
        tcsetattr(stdin.as_fd(), OptionalActions::Flush, &raw)?;
        Ok(Some(RawMode { saved }))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = tcsetattr(std::io::stdin().as_fd(), OptionalActions::Now, &self.saved);
    }
}

/// Typed characters are not shown (for `paddock secret set`) until this is
/// dropped.
pub(crate) struct NoEcho {
    saved: Termios,
}

impl NoEcho {
    /// Turns echo off on stdin's terminal; `None` when stdin is no terminal.
    pub(crate) fn enter() -> std::io::Result<Option<NoEcho>> {
        if !stdin_is_terminal() {
            return Ok(None);
        }
        let stdin = std::io::stdin();
        let saved = tcgetattr(stdin.as_fd())?;
        let mut quiet = saved.clone();
        quiet.local_modes.remove(LocalModes::ECHO);
        // Enter still ends the line visibly.
        quiet.local_modes.insert(LocalModes::ECHONL);
        tcsetattr(stdin.as_fd(), OptionalActions::Flush, &quiet)?;
        Ok(Some(NoEcho { saved }))
    }
}

impl Drop for NoEcho {
    fn drop(&mut self) {
        let _ = tcsetattr(std::io::stdin().as_fd(), OptionalActions::Now, &self.saved);
    }
}
