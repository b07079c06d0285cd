//! The engine layer (paddock-engine) against the dev environment's real
//! rootless podman service, with plans made by hand, and the fuzz targets'
//! kept inputs. No GTK: `cargo test -p paddock-engine`.

extern crate paddock_engine as engine;

mod build;
mod connect;
mod egress;
mod fuzz_regressions;
mod plans;
mod run;
mod vm_sizing;
