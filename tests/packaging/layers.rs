//! The layers reach only downwards (DESIGN.md): `sandbox` -> `engine` ->
//! `host` -> the app (window and CLI), and the gateway stands alone. The
//! compiler enforces what a crate's Cargo.toml lets it use; this checks
//! that the manifests and the sources keep to the design, so that a new
//! dependency on an upper layer or on GTK below the app fails here.

use std::path::Path;

use support::source;

/// Each layer crate's folder, and the crates it must never use.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "src/sandbox",
        &["paddock-engine", "paddock-host", "paddock-gateway"],
    ),
    ("src/engine", &["paddock-host", "paddock-gateway"]),
    ("src/host", &["paddock-gateway"]),
    (
        "src/gateway",
        &["paddock-sandbox", "paddock-engine", "paddock-host"],
    ),
];

/// Nothing below the app links a toolkit.
const GUI: &[&str] = &["gtk4", "libadwaita", "relm4", "vte4"];

/// How the sources would name those crates (as the workspace renames them).
fn source_names(package: &str) -> &'static [&'static str] {
    match package {
        "paddock-engine" => &["engine::", "paddock_engine"],
        "paddock-host" => &["host::", "paddock_host"],
        "paddock-gateway" => &["paddock_gateway"],
        "paddock-sandbox" => &["sandbox::", "paddock_sandbox"],
        "gtk4" => &["gtk::", "gtk4::"],
        "libadwaita" => &["adw::", "libadwaita::"],
        "relm4" => &["relm4::"],
        "vte4" => &["vte4::"],
        _ => &[],
    }
}

/// The packages a manifest's `[dependencies]` name (a renamed one by its
/// `package`).
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).expect("the manifest");
    let table: toml::Table = toml::from_str(&text).expect("a valid manifest");
    let workspace: toml::Table =
        toml::from_str(&std::fs::read_to_string(source("Cargo.toml")).expect("the root manifest"))
            .expect("a valid root manifest");
    let renamed = |name: &str| {
        workspace["workspace"]["dependencies"]
            .get(name)
            .and_then(|d| d.get("package"))
            .and_then(|p| p.as_str())
            .unwrap_or(name)
            .to_owned()
    };
    table
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|deps| {
            deps.iter()
                .map(
                    |(name, spec)| match spec.get("package").and_then(|p| p.as_str()) {
                        Some(package) => package.to_owned(),
                        None => renamed(name),
                    },
                )
                .collect()
        })
        .unwrap_or_default()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_layer_depends_on_one_above_it_or_on_the_toolkit() {
    for (dir, above) in LAYERS {
        let deps = dependencies(&source(dir).join("Cargo.toml"));
        for forbidden in above.iter().chain(GUI) {
            assert!(
                !deps.iter().any(|d| d == forbidden),
                "{dir} depends on {forbidden}: {deps:?}"
            );
        }
    }
}

#[test]
fn no_layer_names_one_above_it_in_its_sources() {
    for (dir, above) in LAYERS {
        let mut files = Vec::new();
        rust_files(&source(dir), &mut files);
        // A module of the crate's own with a layer's name (the gateway's
        // `host`) is not that layer.
        let own_module = |name: &str| {
            let module = name.trim_end_matches("::");
            source(dir).join(format!("{module}.rs")).exists() || source(dir).join(module).is_dir()
        };
        assert!(!files.is_empty(), "no sources in {dir}");
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a source file");
            for (n, line) in text.lines().enumerate() {
                let code = line.trim_start();
                if code.starts_with("//") {
                    continue;
                }
                for forbidden in above.iter().chain(GUI) {
                    for name in source_names(forbidden).iter().filter(|n| !own_module(n)) {
                        let at = code.match_indices(name).any(|(i, _)| {
                            // A path's first segment: `engine::`, not
                            // `my_engine::` or `crate::engine::`.
                            i == 0
                                || !code[..i].ends_with(|c: char| {
                                    c.is_alphanumeric() || c == '_' || c == ':'
                                })
                        });
                        assert!(
                            !at,
                            "{}:{}: {dir} reaches {forbidden}: {code}",
                            file.display(),
                            n + 1
                        );
                    }
                }
            }
        }
    }
}
