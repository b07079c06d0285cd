//! What a run changed in its project: [`Manifest::note`] when the sandbox
//! starts, [`compare`] with the project as it is at the end (or whenever
//! the user asks), [`diff`] for one file. The files the host runs
//! ([`crate::host_run`]) come first and are flagged.
//!
//! The record lives in Paddock's own data folder ([`record`]), not in the
//! project, where the agent could rewrite it.

mod compare;
mod manifest;
pub mod record;

pub use compare::{Change, ChangeKind, Changes, HeadMove, compare, diff};
pub use manifest::{Entry, EntryKind, Manifest, TEXT_BUDGET};
