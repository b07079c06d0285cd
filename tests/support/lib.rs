//! What Paddock's integration tests share, whatever layer they test: child
//! processes that are reaped, waiting, unique names, a private session bus
//! with python-dbusmock doubles, a virtual display, podman with clean-up by
//! name and by Paddock's label, the `paddock` binary in a home of the test's
//! own, GNOME Keyring, a pseudo-terminal, the translations' catalogues, test certificates, and the stand-ins for what cannot
//! exist on the development machines (a krun runtime, a usable /dev/kvm).
//!
//! Helpers typed by a layer (plans built by hand, engine sessions) live in
//! that layer's test binary, not here: see Cargo.toml.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

pub mod bus;
pub mod display;
pub mod doubles;
pub mod keyring;
pub mod machine;
pub mod paddock;
pub mod po;
pub mod podman;
pub mod process;
pub mod pty;
pub mod sites;
pub mod stand_ins;
pub mod tls;
pub mod wait;

/// A file or folder of the source tree, by its path from the top.
pub fn source(path: &str) -> PathBuf {
    // This crate is tests/support.
    let top = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/support lies two folders below the top");
    top.join(path)
}

/// A name no other test (or parallel run) uses: test name, pid, counter.
pub fn unique(test: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "paddock-test-{test}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
