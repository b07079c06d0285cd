//! Child processes that end with the test, however it ends.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::Duration;

use crate::wait::poll;

/// Kills and reaps a child process when dropped.
pub struct Reaped(pub Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `command`, which prints one line once it is ready (an address, a
/// display number), and returns it with that line. Its stderr goes nowhere:
/// a child's output would not be captured with the test's.
pub fn start_with_line(command: &mut Command, what: &str) -> (Reaped, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let child = Reaped(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{what} said nothing: {e}"));
    assert!(
        !line.trim().is_empty(),
        "{what} exited without its ready line"
    );
    (child, line.trim().to_owned())
}

/// Waits up to `timeout` for `child` to end by itself; its status if it did.
pub fn exited_within(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let mut status = None;
    poll(timeout, Duration::from_millis(50), || {
        status = child.try_wait().expect("waiting for a child process");
        status.is_some()
    });
    status
}

/// Runs `command` to its end with `input` on its stdin, as a pipe would
/// give it.
pub fn run_with_input(command: &mut Command, input: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input)
        .expect("writing to its stdin");
    child.wait_with_output().expect("waiting for the command")
}
