//! What keeps the agent in its sandbox, through the `paddock` binary: the
//! approval of what `paddock init` wrote and did not write, and API keys
//! from GNOME Keyring that reach the sandbox and nothing else. The same
//! properties at their own layer: tests/host (approval, the sandbox's
//! mounts) and tests/engine (podman secrets).

mod agent_home;
mod approval;
mod outside_keys;
mod secrets;
