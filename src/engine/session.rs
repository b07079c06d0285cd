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
use std::collections::VecDeque;

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
    /// Sent once, before any other output; the line itself is Paddock's and
    /// never comes as output. When it is not a report the sandbox has been
    /// stopped and nothing else follows.
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
    name: String,
    stream: BufReader<ReadHalf<Upgraded>>,
    /// Without a terminal, podman frames stdout and stderr apart.
    framed: bool,
    report: Option<FirstLine>,
    pending: VecDeque<Output>,
    /// Set once a sandbox was refused: nothing more of it is passed on.
    refused: bool,
    /// Asked for the verdict once the report is read, and told to stop a
    /// sandbox that sent no report (boxed: a session travels in
    /// messages, an engine is a few hundred bytes).
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

/// Holds a sandbox's output until its first line, the report, is complete.
#[derive(Default)]
struct FirstLine {
    line: Vec<u8>,
    /// What the sandbox wrote on stderr meanwhile (without a terminal).
    stderr: Vec<u8>,
}

/// The first line is a short report; anything longer is not one.
const MAX_REPORT: usize = 512;

/// What the first line turned out to be.
#[derive(Debug, PartialEq, Eq)]
enum FirstOutput {
    /// The report, the stderr held back meanwhile and the stdout after the line.
    Report {
        report: GuestReport,
        stderr: Vec<u8>,
        rest: Vec<u8>,
    },
    NotAReport(NotAReport),
}

impl FirstLine {
    /// Feeds stdout; returns what the first line was once it is complete.
    fn push(&mut self, bytes: &[u8]) -> Option<FirstOutput> {
        let end = bytes.iter().position(|&byte| byte == b'\n');
        self.line
            .extend_from_slice(&bytes[..end.unwrap_or(bytes.len())]);
        if end.is_none() && self.line.len() < MAX_REPORT {
            return None;
        }
        let line = String::from_utf8_lossy(&self.line).into_owned();
        Some(match GuestReport::parse(&line) {
            Ok(report) => FirstOutput::Report {
                report,
                stderr: std::mem::take(&mut self.stderr),
                rest: end.map(|end| bytes[end + 1..].to_vec()).unwrap_or_default(),
            },
            Err(_) => FirstOutput::NotAReport(self.not_a_report()),
        })
    }

    /// Feeds stderr, of which the first [`MAX_REPORT`] bytes are kept (a
    /// VMM's error line is recognised in them).
    fn push_stderr(&mut self, bytes: &[u8]) {
        let room = MAX_REPORT.saturating_sub(self.stderr.len());
        self.stderr
            .extend_from_slice(&bytes[..room.min(bytes.len())]);
    }

    /// The output ended, or the line is not a report: why.
    fn not_a_report(&self) -> NotAReport {
        NotAReport::from_output(
            &String::from_utf8_lossy(&self.line),
            &String::from_utf8_lossy(&self.stderr),
        )
    }
}

impl SessionOutput {
    /// The next piece of output; `None` once the sandbox closed its output
    /// (or was stopped for sending no report).
    pub async fn next(&mut self) -> Option<Result<Output>> {
        loop {
            if let Some(pending) = self.pending.pop_front() {
                return Some(Ok(pending));
            }
            if self.refused {
                return None;
            }
            let output = match self.read().await {
                Ok(Some(output)) => output,
                Ok(None) => match self.report.take() {
                    // Ended before a whole first line: no report either.
                    Some(first) => {
                        self.refused = true;
                        return Some(Ok(Output::Verdict(Err(first.not_a_report()))));
                    }
                    None => return None,
                },
                Err(err) => return Some(Err(broken(err))),
            };
            let Some(first) = &mut self.report else {
                return Some(Ok(output));
            };
            let seen = match output {
                Output::Stderr(bytes) => {
                    first.push_stderr(&bytes);
                    None
                }
                Output::Stdout(bytes) => first.push(&bytes),
                Output::Verdict(_) => None,
            };
            match seen {
                None => {}
                Some(FirstOutput::Report {
                    report,
                    stderr,
                    rest,
                }) => {
                    self.report = None;
                    let verdict = match self.engine.verdict(&self.name, &report).await {
                        Ok(verdict) => verdict,
                        Err(err) => return Some(Err(err)),
                    };
                    self.pending.push_back(Output::Verdict(Ok(verdict)));
                    if !stderr.is_empty() {
                        self.pending.push_back(Output::Stderr(stderr));
                    }
                    if !rest.is_empty() {
                        self.pending.push_back(Output::Stdout(rest));
                    }
                }
                Some(FirstOutput::NotAReport(not_a_report)) => {
                    self.report = None;
                    self.refused = true;
                    // Whatever it is, it does not run on: an image that
                    // skipped the entrypoint skipped its checks too.
                    self.engine.kill(&self.name).await;
                    return Some(Ok(Output::Verdict(Err(not_a_report))));
                }
            }
        }
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
    /// (`expect_report`), which is consumed: a sandbox whose first line is
    /// not the report is stopped. Attaching to a running sandbox joins
    /// mid-stream.
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
                name: name.to_owned(),
                stream: BufReader::with_capacity(READ_SIZE, reader),
                framed: content_type == FRAMED_STREAM,
                report: expect_report.then(FirstLine::default),
                pending: VecDeque::new(),
                refused: false,
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
    fn the_report_is_read_across_chunks_and_only_what_follows_it_is_output() {
        let mut first = FirstLine::default();
        assert_eq!(first.push(b"paddock-sandbox guest-kernel=6.12-krun "), None);
        first.push_stderr(b"early warning\n");
        assert_eq!(
            first.push(b"uid=1000 isolation=microvm\r\nagent output"),
            Some(FirstOutput::Report {
                report: GuestReport {
                    guest_kernel: "6.12-krun".into(),
                    uid: 1000,
                    isolation: Isolation::MicroVm,
                },
                stderr: b"early warning\n".to_vec(),
                rest: b"agent output".to_vec(),
            })
        );
    }

    #[test]
    fn other_output_is_no_report() {
        let mut first = FirstLine::default();
        assert!(matches!(
            first.push(b"hello\n"),
            Some(FirstOutput::NotAReport(NotAReport::Other { .. }))
        ));
        let mut endless = FirstLine::default();
        assert!(matches!(
            endless.push(&[b'x'; MAX_REPORT]),
            Some(FirstOutput::NotAReport(_))
        ));
        let mut vmm = FirstLine::default();
        vmm.push_stderr(b"[2026-12-01T10:00:00Z ERROR krun_vmm::linux::vstate] Received KVM_EXIT_INTERNAL_ERROR signal\n");
        assert!(matches!(vmm.not_a_report(), NotAReport::VmFailed { .. }));
    }
}
