//! Waiting for something another process does.

use std::time::{Duration, Instant};

/// Checks `ready` every `every` until it holds; whether it did within
/// `timeout`.
pub fn poll(timeout: Duration, every: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(every);
    }
}

/// Waits until `ready` holds; after `timeout`, fails the test naming `what`.
pub fn wait_until(what: &str, timeout: Duration, ready: impl FnMut() -> bool) {
    assert!(
        poll(timeout, Duration::from_millis(50), ready),
        "{what} did not happen within {} s",
        timeout.as_secs()
    );
}
