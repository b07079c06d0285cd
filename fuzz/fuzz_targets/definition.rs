//! Any text as `paddock.toml`: parsing never panics, and a definition that
//! passes validation renders files in which no value adds a line or a
//! command (see `checks::definition`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|text: &str| checks::definition(text));
