//! The files a definition becomes: `Containerfile`, `entrypoint.sh` and
//! `compose.yaml`, and the spec hash that tags the image built from them.
//!
//! # The entrypoint contract
//!
//! Paddock (engine, CLI and window alike) relies on this, and
//! [`crate::guest`] parses it:
//!
//! - The entrypoint reads `PADDOCK_ISOLATION` (`microvm`, the default, or
//!   `container`), `PADDOCK_HOST_KERNEL` (the host's `uname -r`) and, when it
//!   starts as root, `PADDOCK_UID`/`PADDOCK_GID` (the user to become).
//! - It reads each file in [`KEYS_IN_SANDBOX`](crate::secret::KEYS_IN_SANDBOX)
//!   into the environment variable the file is named after, before it
//!   prints anything: once its first line is out, Paddock removes the files'
//!   copies on the host.
//! - When [`LOGIN_IN_SANDBOX`] is mounted, it links each of the agent's
//!   login files (in its settings folder) to the file of that name there.
//! - Its first line on stdout is exactly
//!   `paddock-sandbox guest-kernel=<uname -r> uid=<uid the agent runs as> isolation=<requested>`.
//! - With `microvm`, if the guest kernel equals `PADDOCK_HOST_KERNEL` (or that
//!   is unset), it says so on stderr and exits with
//!   [`EXIT_NOT_ISOLATED`](crate::guest::EXIT_NOT_ISOLATED) without
//!   starting the agent.
//! - It exits with [`EXIT_SETUP_FAILED`](crate::guest::EXIT_SETUP_FAILED)
//!   when it cannot become the agent user (never runs the agent as root).
//! - Otherwise it execs the command (the image's CMD: the agent), or the
//!   user's shell when there is none. A krun microVM boots as root and
//!   ignores USER, so the entrypoint switches users itself (su-exec, runuser,
//!   setpriv or su, whichever the image has); in a rootless container with
//!   keep-id it already runs as the host user.

mod compose;
mod containerfile;

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

pub use compose::render as compose;
pub use containerfile::{KRUN_VM_FILE, render as containerfile};

use super::guest::{EXIT_NOT_ISOLATED, EXIT_SETUP_FAILED};
use super::presets::Preset;

/// The agent user of generated images.
pub const USER_NAME: &str = "agent";
pub const USER_HOME: &str = "/home/agent";
/// Where the login volume is mounted: the agent's login files, shared by all
/// projects (see [`crate::presets::Preset::login`]).
pub const LOGIN_IN_SANDBOX: &str = "/.paddock/login";
/// Where generated images keep the entrypoint.
pub const ENTRYPOINT_IN_IMAGE: &str = "/usr/local/bin/paddock-entrypoint";

const ENTRYPOINT_TEMPLATE: &str = include_str!("entrypoint.sh.in");

/// The entrypoint for an agent: the template with the agent's `PATH` folders.
pub fn entrypoint(agent: &Preset) -> String {
    let mut dirs: Vec<&str> = agent.path.iter().map(String::as_str).collect();
    if !dirs.contains(&".local/bin") {
        dirs.push(".local/bin");
    }
    // Checked by `values::sandbox_path`: no character here means anything
    // inside double quotes.
    let path: String = dirs.iter().map(|dir| format!("$HOME/{dir}:")).collect();
    // Checked by the preset (`login_file`, `home_relative`): plain words.
    let login: Vec<String> = match &agent.config_dir {
        Some(dir) => agent
            .login
            .iter()
            .map(|file| format!("{dir}/{file}"))
            .collect(),
        None => Vec::new(),
    };
    ENTRYPOINT_TEMPLATE
        .replace("@PATH_DIRS@", &path)
        .replace("@EXIT_NOT_ISOLATED@", &EXIT_NOT_ISOLATED.to_string())
        .replace("@EXIT_SETUP_FAILED@", &EXIT_SETUP_FAILED.to_string())
        .replace("@KEYS_DIR@", crate::secret::KEYS_IN_SANDBOX)
        .replace("@LOGIN_DIR@", LOGIN_IN_SANDBOX)
        .replace("@LOGIN_FILES@", &login.join(" "))
}

/// A hand-written Containerfile as it is built: the user's bytes, then a
/// last step of Paddock's own that puts its entrypoint into the final image
/// (the sandbox is started with it whatever `ENTRYPOINT` the file sets).
pub fn with_entrypoint(containerfile: &[u8]) -> Vec<u8> {
    let mut bytes = containerfile.to_vec();
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(
        format!(
            "\n# Added by Paddock: its entrypoint, which the sandbox always starts with.\nCOPY --chmod=0755 entrypoint.sh {ENTRYPOINT_IN_IMAGE}\n"
        )
        .as_bytes(),
    );
    bytes
}

/// The hash of everything that goes into the image: the build context (the
/// Containerfile, hand-written or generated, and the entrypoint) and the
/// build arguments. Equal hashes mean an equal image, so an existing tag is
/// never rebuilt.
pub fn spec_hash(
    context: &BTreeMap<String, Vec<u8>>,
    build_args: &BTreeMap<String, String>,
) -> String {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(b"paddock-spec-1");
    for (name, contents) in context {
        field(b"file");
        field(name.as_bytes());
        field(contents);
    }
    for (name, value) in build_args {
        field(b"arg");
        field(name.as_bytes());
        field(value.as_bytes());
    }
    let digest = hasher.finalize();
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_hash_changes_with_any_input() {
        let context: BTreeMap<String, Vec<u8>> =
            [("Containerfile".to_owned(), b"FROM x\n".to_vec())].into();
        let args: BTreeMap<String, String> = [("HOST_UID".to_owned(), "1000".to_owned())].into();
        let hash = spec_hash(&context, &args);
        assert_eq!(hash.len(), 16);
        assert_eq!(hash, spec_hash(&context, &args));
        let other_args: BTreeMap<String, String> =
            [("HOST_UID".to_owned(), "1001".to_owned())].into();
        assert_ne!(hash, spec_hash(&context, &other_args));
        let other_context: BTreeMap<String, Vec<u8>> =
            [("Containerfile".to_owned(), b"FROM y\n".to_vec())].into();
        assert_ne!(hash, spec_hash(&other_context, &args));
    }
}
