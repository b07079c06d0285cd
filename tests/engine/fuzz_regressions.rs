//! Every input kept from fuzzing (`fuzz/regressions/<target>/`) and every
//! seed (`fuzz/seeds/<target>/`), replayed through the fuzz targets' own
//! checks on stable Rust. `build-aux/fuzz` finds new ones.

#[path = "../../fuzz/checks.rs"]
mod checks;

fn inputs(target: &str) -> Vec<(String, String)> {
    let root = support::source("fuzz");
    let mut inputs = Vec::new();
    for kind in ["seeds", "regressions"] {
        let dir = root.join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a readable folder").path();
            let bytes = std::fs::read(&path).expect("a readable input");
            // libFuzzer hands the targets only valid UTF-8 (`&str` inputs).
            if let Ok(text) = String::from_utf8(bytes) {
                inputs.push((path.display().to_string(), text));
            }
        }
    }
    inputs.sort();
    inputs
}

fn replay(target: &str, check: fn(&str)) {
    let inputs = inputs(target);
    assert!(!inputs.is_empty(), "no seeds for {target}");
    for (name, text) in inputs {
        if std::panic::catch_unwind(|| check(&text)).is_err() {
            panic!("{name} breaks the {target} check (see the panic above)");
        }
    }
}

#[test]
fn definition_inputs_keep_the_injection_invariants() {
    replay("definition", checks::definition);
}

#[test]
fn build_log_inputs_parse_consistently() {
    replay("build_log", checks::build_log);
}
