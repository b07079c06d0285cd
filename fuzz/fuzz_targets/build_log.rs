//! Any text as podman's build log, line by line: step lines parse into what
//! they say and nothing else does (see `checks::build_log`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|text: &str| checks::build_log(text));
