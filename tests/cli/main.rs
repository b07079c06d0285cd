//! The `paddock` command line end to end: the built binary in temporary
//! homes, against the dev environment's real podman service (and services
//! of the tests' own), at a real pseudo-terminal where a person would have
//! one.
// The tests' helpers fail by panicking, like the tests themselves.
#![allow(clippy::unwrap_used)]

mod compose;
mod definition_file;
mod disk_full;
mod doctor;
mod host_files;
mod inbox;
mod init;
mod krun_stand_in;
mod net;
mod run;
mod self_test;
mod vm_sizing;
