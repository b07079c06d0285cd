//! A pseudo-terminal for driving `paddock` as a person at a terminal would:
//! the child gets the pty as its controlling terminal, the test holds the
//! master side (keys in, screen out, window size).

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{Winsize, tcsetwinsize};

use crate::process::exited_within;
use crate::wait::poll;

pub struct PtyChild {
    child: Child,
    master: File,
    screen: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl PtyChild {
    /// Starts `command` on a new pty of `columns` x `rows`.
    pub fn spawn(mut command: Command, columns: u16, rows: u16) -> PtyChild {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
            .expect("a pty master");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let name = ptsname(&master, Vec::new()).expect("ptsname");
        let slave: OwnedFd = File::options()
            .read(true)
            .write(true)
            .open(name.to_str().expect("a pty path is text"))
            .expect("the pty slave")
            .into();
        set_size(&master, columns, rows);
        command
            .stdin(Stdio::from(slave.try_clone().expect("dup")))
            .stdout(Stdio::from(slave.try_clone().expect("dup")))
            .stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls (setsid, ioctl) between fork and exec.
        unsafe {
            command.pre_exec(|| {
                rustix::process::setsid()?;
                rustix::process::ioctl_tiocsctty(std::io::stdin())?;
                Ok(())
            });
        }
        let child = command.spawn().expect("the command starts");
        // The slave ends must all close in this process, or the master never sees the end.
        drop(command);
        let master = File::from(master);
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut reading = master.try_clone().expect("dup master");
        let sink = Arc::clone(&screen);
        let reader = std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            // EIO once the last slave end is closed: the child is gone.
            while let Ok(read) = reading.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buffer[..read]);
            }
        });
        PtyChild {
            child,
            master,
            screen,
            reader: Some(reader),
        }
    }

    /// Types bytes as if on the keyboard.
    pub fn type_bytes(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).expect("writing to the pty");
    }

    /// Changes the window size; the kernel sends SIGWINCH to the child.
    pub fn resize(&self, columns: u16, rows: u16) {
        set_size(&self.master, columns, rows);
    }

    /// Everything the child printed so far.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    /// Waits until the screen contains `needle`; false after `timeout`.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> bool {
        poll(timeout, Duration::from_millis(50), || {
            self.screen().contains(needle)
        })
    }

    /// Waits for the child to exit and returns its exit code and screen.
    pub fn finish(mut self, timeout: Duration) -> (Option<i32>, String) {
        let status = exited_within(&mut self.child, timeout);
        if status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        (status.and_then(|status| status.code()), self.screen())
    }
}

fn set_size(master: &impl AsFd, columns: u16, rows: u16) {
    tcsetwinsize(
        master,
        Winsize {
            ws_row: rows,
            ws_col: columns,
            ws_xpixel: 0,
            ws_ypixel: 0,
        },
    )
    .expect("setting the pty size");
}
