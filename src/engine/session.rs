//! A terminal on a sandbox's main process: output in, keystrokes out.
//!
//! krun has no `exec` into the VM, so this is an attach to the main process,
//! with podman's detach keys turned off so that Ctrl-P and Ctrl-Q reach the
//! agent instead of being eaten.

use std::pin::Pin;

use futures_util::{AsyncWrite, AsyncWriteExt, Stream, StreamExt};
use podman_api::conn::TtyChunk;
use podman_api::opts::ContainerAttachOpts;

use super::{Engine, Error, Result};
use crate::sandbox::guest::{GuestReport, NotAReport, Verdict};

/// What arrives from the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Bytes for the terminal (everything, with a terminal; stdout without).
    Stdout(Vec<u8>),
    /// Bytes of stderr (only without a terminal).
    Stderr(Vec<u8>),
    /// The entrypoint's first line was read: how isolated the sandbox is.
    /// Sent once, right after the bytes that completed that line.
    Verdict(std::result::Result<Verdict, NotAReport>),
}

/// An attached sandbox. The halves can go to different tasks: one reading
/// output until it ends, one forwarding keystrokes.
pub struct Session {
    pub output: SessionOutput,
    pub input: SessionInput,
}

/// The reading half of a [`Session`].
pub struct SessionOutput {
    stream:
        Pin<Box<dyn Stream<Item = std::result::Result<TtyChunk, podman_api::conn::Error>> + Send>>,
    report: Option<FirstLine>,
    pending: Option<Output>,
    /// Asked for the host kernel once the report names a microVM.
    engine: Engine,
}

/// The writing half of a [`Session`].
pub struct SessionInput {
    sink: Pin<Box<dyn AsyncWrite + Send>>,
}

/// Collects the bytes of the entrypoint's first line.
#[derive(Default)]
struct FirstLine {
    line: Vec<u8>,
}

/// The first line is a short report; anything longer is not one.
const MAX_REPORT: usize = 512;

impl FirstLine {
    /// Feeds output; returns the report once the line is complete.
    fn push(&mut self, bytes: &[u8]) -> Option<std::result::Result<GuestReport, NotAReport>> {
        let end = bytes.iter().position(|&byte| byte == b'\n');
        self.line
            .extend_from_slice(&bytes[..end.unwrap_or(bytes.len())]);
        if end.is_none() && self.line.len() < MAX_REPORT {
            return None;
        }
        let line = String::from_utf8_lossy(&self.line).into_owned();
        Some(GuestReport::parse(&line))
    }
}

impl SessionOutput {
    /// The next piece of output; `None` once the sandbox closed its output.
    pub async fn next(&mut self) -> Option<Result<Output>> {
        if let Some(pending) = self.pending.take() {
            return Some(Ok(pending));
        }
        let chunk = match self.stream.next().await? {
            Ok(chunk) => chunk,
            Err(err) => return Some(Err(Error::Connection(err.to_string()))),
        };
        let output = match chunk {
            TtyChunk::StdOut(bytes) | TtyChunk::StdIn(bytes) => Output::Stdout(bytes),
            TtyChunk::StdErr(bytes) => Output::Stderr(bytes),
        };
        if let (Some(report), Output::Stdout(bytes)) = (&mut self.report, &output)
            && let Some(report) = report.push(bytes)
        {
            self.report = None;
            let verdict = match report {
                Ok(report) => match self.engine.verdict(&report).await {
                    Ok(verdict) => Ok(verdict),
                    Err(err) => return Some(Err(err)),
                },
                Err(not_a_report) => Err(not_a_report),
            };
            self.pending = Some(Output::Verdict(verdict));
        }
        Some(Ok(output))
    }
}

impl SessionInput {
    /// Sends bytes to the sandbox's stdin (its terminal, if it has one).
    pub async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.sink.write_all(bytes).await.map_err(broken)?;
        self.sink.flush().await.map_err(broken)
    }

    /// Ends the sandbox's stdin (without a terminal: what EOF on a pipe means).
    pub async fn close(&mut self) -> Result<()> {
        self.sink.close().await.map_err(broken)
    }
}

fn broken(err: std::io::Error) -> Error {
    Error::Connection(err.to_string())
}

impl Engine {
    /// Attaches to a sandbox's main process. Attach before [`Engine::start`]
    /// to see all output and get the isolation verdict from its first line
    /// (`expect_report`); attaching to a running sandbox joins mid-stream.
    pub async fn attach(&self, name: &str, expect_report: bool) -> Result<Session> {
        let report = expect_report.then(FirstLine::default);
        let opts = ContainerAttachOpts::builder()
            // An empty sequence turns detaching off: every key reaches the agent.
            .detach_keys("")
            .stdin(true)
            .stdout(true)
            .stderr(true)
            .build();
        let multiplexer = self
            .podman
            .containers()
            .get(name)
            .attach(&opts)
            .await
            .map_err(|err| Error::podman(name, err))?;
        let (stream, sink) = multiplexer.split();
        Ok(Session {
            output: SessionOutput {
                stream: Box::pin(stream),
                report,
                pending: None,
                engine: self.clone(),
            },
            input: SessionInput {
                sink: Box::pin(sink),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::plan::Isolation;

    #[test]
    fn the_report_is_read_across_chunks() {
        let mut report = FirstLine::default();
        assert_eq!(
            report.push(b"paddock-sandbox guest-kernel=6.12-krun "),
            None
        );
        assert_eq!(
            report.push(b"uid=1000 isolation=microvm\r\nagent output"),
            Some(Ok(GuestReport {
                guest_kernel: "6.12-krun".into(),
                uid: 1000,
                isolation: Isolation::MicroVm,
            }))
        );
    }

    #[test]
    fn other_output_is_no_report() {
        let mut report = FirstLine::default();
        assert!(matches!(report.push(b"hello\n"), Some(Err(_))));
        let mut endless = FirstLine::default();
        assert!(matches!(endless.push(&[b'x'; MAX_REPORT]), Some(Err(_))));
    }
}
