//! A terminal on a sandbox's main process: output in, keystrokes out.
//!
//! krun has no `exec` into the VM, so this is an attach to the main process,
//! with podman's detach keys turned off so that Ctrl-P and Ctrl-Q reach the
//! agent instead of being eaten.
//!
//! The attach is made over the raw socket rather than through podman-api,
//! which inspects the container first (a round trip before every attach)
//! and reads at most 8 KiB per chunk: podman says in the response whether the
//! stream is raw (a terminal) or framed, and a terminal's output is read in
//! large pieces, so a flood costs few wake-ups.

use hyper::Method;
use hyper::upgrade::Upgraded;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, ReadHalf, WriteHalf};

use crate::{Engine, Error, Result};
use sandbox::guest::{GuestReport, NotAReport, Verdict};

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
    stream: BufReader<ReadHalf<Upgraded>>,
    /// Without a terminal, podman frames stdout and stderr apart.
    framed: bool,
    report: Option<FirstLine>,
    pending: Option<Output>,
    /// Asked for the host kernel once the report names a microVM (boxed:
    /// a session travels in messages, an engine is a few hundred bytes).
    engine: Box<Engine>,
}

/// The writing half of a [`Session`].
pub struct SessionInput {
    sink: WriteHalf<Upgraded>,
}

/// How much output one read takes at most: a flood arrives in few, large
/// pieces (VTE takes them as fast in one piece as in many).
const READ_SIZE: usize = 64 * 1024;
/// The content type of a container's attach stream without a terminal.
const FRAMED_STREAM: &str = "application/vnd.docker.multiplexed-stream";

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
        let output = match self.read().await {
            Ok(Some(output)) => output,
            Ok(None) => return None,
            Err(err) => return Some(Err(broken(err))),
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

    /// One piece of output as podman sent it; `None` at the end.
    async fn read(&mut self) -> std::io::Result<Option<Output>> {
        if !self.framed {
            let buffer = self.stream.fill_buf().await?;
            if buffer.is_empty() {
                return Ok(None);
            }
            let bytes = buffer.to_vec();
            self.stream.consume(bytes.len());
            return Ok(Some(Output::Stdout(bytes)));
        }
        // Each frame: stream (0 stdin, 1 stdout, 2 stderr), three zero
        // bytes, the payload's length (big-endian u32), the payload.
        let mut header = [0u8; 8];
        match self.stream.read_exact(&mut header).await {
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(err) => return Err(err),
        }
        let length = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
        let mut bytes = vec![0; length as usize];
        self.stream.read_exact(&mut bytes).await?;
        Ok(Some(match header[0] {
            2 => Output::Stderr(bytes),
            _ => Output::Stdout(bytes),
        }))
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
        self.sink.shutdown().await.map_err(broken)
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
        // An empty sequence turns detaching off: every key reaches the agent.
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("detachKeys", "")
            .append_pair("stream", "true")
            .append_pair("stdin", "true")
            .append_pair("stdout", "true")
            .append_pair("stderr", "true")
            .finish();
        let (stream, content_type) = self
            .raw
            .upgrade(Method::POST, &format!("/containers/{name}/attach?{query}"))
            .await
            .map_err(|err| match err {
                Error::Podman { message, .. } => Error::podman(name, message),
                other => other,
            })?;
        let (reader, writer) = tokio::io::split(stream);
        Ok(Session {
            output: SessionOutput {
                stream: BufReader::with_capacity(READ_SIZE, reader),
                framed: content_type == FRAMED_STREAM,
                report: expect_report.then(FirstLine::default),
                pending: None,
                engine: Box::new(self.clone()),
            },
            input: SessionInput { sink: writer },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sandbox::plan::Isolation;

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
