//! The sandbox layer (paddock-sandbox): the definition, its errors, the
//! files it renders and the plan it becomes, and those files built and run
//! with the podman CLI. No GTK, no engine: `cargo test -p paddock-sandbox`.

extern crate paddock_sandbox as sandbox;

mod busybox_image;
mod changes;
mod definition_errors;
mod entrypoint;
mod host_files;
mod injection;
mod plan;
mod rebase;
mod render;
