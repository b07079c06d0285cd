//! The window, with the real app on a private display and bus per test and
//! real rootless podman: projects, dialogs, settings, build and run, the
//! terminal and its inbox, API keys, faults. Each test starts its own desktop (harness.rs); run this
//! binary on its own, it takes minutes.

mod api_keys;
mod build_run;
mod changes;
mod definition_form;
mod dialogs;
mod faults;
mod harness;
mod icons;
mod isolation;
mod keyboard;
mod narrow;
mod network;
mod projects;
mod review;
mod sandbox_errors;
mod screenshots;
mod self_test;
mod settings;
mod shown_text;
mod state;
mod terminal;
mod vm_failure;
