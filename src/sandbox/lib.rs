//! The sandbox definition and the files it becomes: pure data and text, no podman.
//!
//! - [`definition`]: `.agent-sandbox/paddock.toml`, parsed and validated.
//! - [`presets`]: the agents (`data/agents/*.toml`).
//! - [`render`]: Containerfile, entrypoint.sh, compose.yaml and the spec hash.
//! - [`project`]: where a project may be and its files; [`plan`]: the
//!   [`plan::SandboxPlan`] the engine builds and runs for it.
//! - [`guest`]: the entrypoint's report and the isolation verdict; [`exit`]:
//!   how a run ended, in words.
//! - [`names`]: podman names and labels; [`krun`]: the annotations that ask
//!   for a microVM.
//! - [`net`]: the egress policy of `allowlist` sandboxes and the gateway's log.
//! - [`secret`]: API keys: which variables a sandbox takes from the keyring.
//! - [`sbx`]: importing a project set up by the seed article's `sbx` tool.
//! - [`host_run`]: the project's files that the host's own tools run
//!   (read-only inside, flagged in [`changes`]).
//! - [`inbox`]: the folder of pasted and dropped files each sandbox sees
//!   read-only; [`data_dir`]: where Paddock keeps it and the approvals.
//! - [`host_facts`]: what the plan needs to know about the host; [`version`]
//!   reads the runtime versions among them.

pub mod approval;
pub mod changes;
pub mod data_dir;
pub mod definition;
pub mod exit;
pub mod guest;
pub mod host_facts;
pub mod host_run;
pub mod inbox;
pub mod krun;
pub mod messages;
pub mod names;
pub mod net;
pub mod plan;
pub mod presets;
pub mod project;
pub mod render;
pub mod salvage;
pub mod sbx;
pub mod secret;
pub mod shown;
mod values;
pub mod version;
