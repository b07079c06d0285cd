//! Connecting the local terminal to an attached sandbox: keystrokes in,
//! output out, window sizes forwarded, until the sandbox's output ends.

use std::io::Write;

use gettextrs::gettext;
use rustix::process::Signal;
use tokio::io::AsyncReadExt;
use tokio::signal::unix::{SignalKind, signal};

use super::terminal::{self, RawMode};
use engine::{Engine, Error, Output, Session};

/// How a terminal session ended.
pub(crate) enum Ending {
    /// The sandbox's main process exited with this code.
    Exited(i64),
    /// This process got a signal and left the sandbox running.
    Left { signal: i32 },
}

/// Runs the session until the sandbox's output ends (then returns its exit
/// code) or this process is told to stop.
pub(crate) async fn interact(
    engine: &Engine,
    name: &str,
    session: Session,
) -> Result<Ending, Error> {
    let raw = RawMode::enter().map_err(|err| Error::Connection(err.to_string()))?;
    let newline = if raw.is_some() { "\r\n" } else { "\n" };
    let Session {
        mut output,
        mut input,
    } = session;
    if raw.is_some()
        && let Some((columns, rows)) = terminal::size()
    {
        // A sandbox that already exited cannot be resized, and need not be.
        let _ = engine.resize(name, columns, rows).await;
    }

    let piped = raw.is_none();
    let forward_input = tokio::spawn(async move {
        let mut stdin = tokio::io::stdin();
        let mut buffer = vec![0u8; 4096];
        loop {
            match stdin.read(&mut buffer).await {
                Ok(0) | Err(_) => {
                    if piped {
                        let _ = input.close().await;
                    }
                    return;
                }
                Ok(read) => {
                    if input.write(&buffer[..read]).await.is_err() {
                        return;
                    }
                }
            }
        }
    });

    let signals = |kind| signal(kind).map_err(|err| Error::Connection(err.to_string()));
    let mut window = signals(SignalKind::window_change())?;
    let mut hangup = signals(SignalKind::hangup())?;
    let mut terminate = signals(SignalKind::terminate())?;
    let mut interrupt = signals(SignalKind::interrupt())?;

    let ending = loop {
        tokio::select! {
            chunk = output.next() => match chunk {
                None => break None,
                Some(Err(err)) => {
                    forward_input.abort();
                    return Err(err);
                }
                Some(Ok(Output::Stdout(bytes))) => write_all(&mut std::io::stdout(), &bytes),
                Some(Ok(Output::Stderr(bytes))) => write_all(&mut std::io::stderr(), &bytes),
                Some(Ok(Output::Verdict(verdict))) => {
                    let text = match verdict {
                        Ok(verdict) => gettext("isolation: {verdict}")
                            .replace("{verdict}", &verdict.to_string()),
                        Err(not_a_report) => not_a_report.to_string(),
                    };
                    eprint!("paddock: {text}{newline}");
                }
            },
            _ = window.recv() => {
                if let Some((columns, rows)) = terminal::size() {
                    // A resize racing the sandbox's exit is harmless.
                    let _ = engine.resize(name, columns, rows).await;
                }
            }
            _ = hangup.recv() => break Some(Signal::HUP.as_raw()),
            _ = terminate.recv() => break Some(Signal::TERM.as_raw()),
            _ = interrupt.recv() => break Some(Signal::INT.as_raw()),
        }
    };
    forward_input.abort();
    match ending {
        None => {
            let code = engine.wait(name).await?;
            if code != 0 {
                // In words, as the window says it; the code is this
                // command's exit status too.
                drop(raw);
                eprintln!("paddock: {}", sandbox::exit::describe(code));
            }
            Ok(Ending::Exited(code))
        }
        Some(signal) => {
            drop(raw);
            eprintln!(
                "{}",
                gettext("paddock: left {name} running; `paddock attach {name}` returns to it, `paddock stop {name}` ends it.")
                    .replace("{name}", name)
            );
            Ok(Ending::Left { signal })
        }
    }
}

fn write_all(out: &mut impl Write, bytes: &[u8]) {
    // A closed stdout (e.g. `| head`) must not stop the sandbox's session.
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}

impl Ending {
    /// The exit status of this command: the sandbox's, or 128 + signal.
    pub(crate) fn exit_code(&self) -> std::process::ExitCode {
        let code = match self {
            Ending::Exited(code) => u8::try_from(*code).unwrap_or(1),
            Ending::Left { signal } => u8::try_from(128 + signal).unwrap_or(1),
        };
        std::process::ExitCode::from(code)
    }
}
