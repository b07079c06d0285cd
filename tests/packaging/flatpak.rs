//! The Flatpak manifests: the runtime, the modules, offline cargo sources, and
//! exactly the permissions README.md justifies, no more.

use std::collections::HashMap;
use std::process::Command;

use serde_json::Value;

/// Every permission the app gets, with the reason (README.md, "Flatpak").
const JUSTIFIED: &[(&str, &str)] = &[
    ("--share=ipc", "X11 shared memory, needed with fallback-x11"),
    ("--socket=wayland", "the window"),
    (
        "--socket=fallback-x11",
        "the window where there is no Wayland",
    ),
    ("--device=dri", "GPU rendering of GTK 4 and the terminals"),
    (
        "--filesystem=xdg-run/podman:create",
        "the rootless podman API socket; created if missing so that a socket started later appears",
    ),
    (
        "--talk-name=org.freedesktop.systemd1",
        "starting the user's podman.socket unit when it is not running",
    ),
];

/// Never in a manifest of Paddock: each would undo the point of a sandbox
/// around the app, and the portals make them unnecessary.
const FORBIDDEN: &[&str] = &[
    "--filesystem=home",
    "--filesystem=host",
    "--filesystem=host-os",
    "--filesystem=xdg-run",
    "--share=network",
    "--socket=session-bus",
    "--socket=system-bus",
    "--socket=ssh-auth",
    "--device=all",
    "--talk-name=org.freedesktop.Flatpak",
];

fn manifest(name: &str) -> Value {
    let path = support::source("flatpak").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn check(name: &str, id: &str, command: &str, profile: &str) {
    let m = manifest(name);
    assert_eq!(m["id"], id, "{name}");
    assert_eq!(m["runtime"], "org.gnome.Platform", "{name}");
    assert_eq!(m["sdk"], "org.gnome.Sdk", "{name}");
    assert_eq!(
        m["runtime-version"], "49",
        "{name}: GNOME 49 is the current runtime"
    );
    assert_eq!(
        strings(&m["sdk-extensions"]),
        ["org.freedesktop.Sdk.Extension.rust-stable"],
        "{name}"
    );
    assert_eq!(
        m["command"], command,
        "{name}: the binary of the {profile} profile"
    );

    let args = strings(&m["finish-args"]);
    let justified: Vec<&str> = JUSTIFIED.iter().map(|(arg, _)| *arg).collect();
    let unjustified: Vec<_> = args.iter().filter(|a| !justified.contains(a)).collect();
    assert!(
        unjustified.is_empty(),
        "{name}: permissions without a reason: {unjustified:?}"
    );
    let missing: Vec<_> = justified.iter().filter(|a| !args.contains(a)).collect();
    assert!(missing.is_empty(), "{name}: the app needs {missing:?}");
    for arg in &args {
        assert!(
            !FORBIDDEN.contains(arg),
            "{name}: {arg} is never acceptable"
        );
    }

    let modules = m["modules"].as_array().expect("modules");
    let names: Vec<_> = modules
        .iter()
        .filter_map(|module| module["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["vte", "paddock"],
        "{name}: VTE is built before Paddock"
    );
    let vte = strings(&modules[0]["config-opts"]);
    assert!(
        vte.contains(&"-Dgtk4=true") && vte.contains(&"-Dgtk3=false"),
        "{name}: the GTK 4 build of VTE"
    );
    let paddock = &modules[1];
    assert_eq!(paddock["buildsystem"], "meson", "{name}");
    assert_eq!(
        strings(&paddock["config-opts"]),
        [format!("-Dprofile={profile}")],
        "{name}"
    );
    assert!(
        paddock["sources"]
            .as_array()
            .expect("sources")
            .contains(&Value::from("cargo-sources.json")),
        "{name}: the crates come from cargo-sources.json"
    );
    let env = &m["build-options"]["env"];
    assert_eq!(
        env["CARGO_NET_OFFLINE"], "true",
        "{name}: the build runs offline"
    );
    assert_eq!(
        env["CARGO_HOME"], "/run/build/paddock/cargo",
        "{name}: cargo-sources.json puts its config there"
    );
}

#[test]
fn release_manifest() {
    check(
        "io.github.paddockapp.Paddock.json",
        "io.github.paddockapp.Paddock",
        "paddock",
        "default",
    );
}

#[test]
fn development_manifest_installs_beside_the_release() {
    check(
        "io.github.paddockapp.Paddock.Devel.json",
        "io.github.paddockapp.Paddock.Devel",
        "paddock-devel",
        "development",
    );
    let m = manifest("io.github.paddockapp.Paddock.Devel.json");
    assert_eq!(strings(&m["tags"]), ["devel"]);
}

/// The generator turns every crate of Cargo.lock into a download checked by
/// the lock's sha256, unpacked where the vendored-sources config points.
#[test]
fn cargo_sources_cover_cargo_lock() {
    let out = Command::new("python3")
        .arg(support::source("build-aux/flatpak-cargo-sources"))
        .arg("--stdout")
        .output()
        .expect("run build-aux/flatpak-cargo-sources");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sources: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON");

    let lock: toml::Table = std::fs::read_to_string(support::source("Cargo.lock"))
        .expect("Cargo.lock")
        .parse()
        .expect("Cargo.lock is TOML");
    let mut crates = HashMap::new();
    for package in lock["package"].as_array().expect("packages") {
        if let Some(checksum) = package.get("checksum").and_then(|c| c.as_str()) {
            let dir = format!(
                "cargo/vendor/{}-{}",
                package["name"].as_str().expect("name"),
                package["version"].as_str().expect("version")
            );
            crates.insert(dir, checksum.to_owned());
        }
    }
    assert!(!crates.is_empty());

    let archives: HashMap<&str, &Value> = sources
        .iter()
        .filter(|s| s["type"] == "archive")
        .map(|s| (s["dest"].as_str().expect("dest"), s))
        .collect();
    assert_eq!(
        archives.len(),
        crates.len(),
        "one download per locked crate"
    );
    for (dir, checksum) in &crates {
        let archive = archives
            .get(dir.as_str())
            .unwrap_or_else(|| panic!("{dir} is not downloaded"));
        assert_eq!(archive["sha256"], checksum.as_str(), "{dir}");
        let crate_file = dir.trim_start_matches("cargo/vendor/");
        assert!(
            archive["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://static.crates.io/crates/")
                    && u.ends_with(&format!("/{crate_file}.crate"))),
            "{dir}: {}",
            archive["url"]
        );
        let marker = sources
            .iter()
            .find(|s| s["dest"] == dir.as_str() && s["dest-filename"] == ".cargo-checksum.json")
            .unwrap_or_else(|| panic!("{dir} has no .cargo-checksum.json"));
        let marker: Value =
            serde_json::from_str(marker["contents"].as_str().expect("contents")).expect("JSON");
        assert_eq!(marker["package"], checksum.as_str(), "{dir}");
    }
    let config = sources.last().expect("a cargo config");
    assert_eq!(
        (config["dest"].as_str(), config["dest-filename"].as_str()),
        (Some("cargo"), Some("config"))
    );
    let config = config["contents"].as_str().expect("contents");
    assert!(
        config.contains("replace-with = \"vendored-sources\"")
            && config.contains("directory = \"cargo/vendor\"")
    );
}
