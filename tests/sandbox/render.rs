//! The generated files, compared with the reviewed copies in tests/golden/
//! (one folder per preset on Fedora, plus one per package-manager family).
//! After an intended change: `PADDOCK_UPDATE_GOLDEN=1 cargo test -p
//! paddock-sandbox --test sandbox -- render`, then review the diff.

use std::path::Path;

use sandbox::definition::{Cache, Definition, NetworkMode, PackageManager, Runtime};
use sandbox::host_facts::VmSizing;
use sandbox::names::Names;
use sandbox::presets::Presets;
use sandbox::project::user_home;
use sandbox::render;

const MOUNT: &str = "/src/demo";

fn definition(preset: &str, base: &str) -> Definition {
    let mut definition = Definition::new(preset, base);
    definition.sandbox.mount = Some(MOUNT.into());
    definition.resources.cpus = 4;
    definition.resources.memory_mib = 8192;
    if definition.package_manager() != PackageManager::None {
        definition.image.packages = vec!["make".into(), "gcc".into()];
    }
    definition.caches.push(Cache {
        name: "venv".into(),
        path: "/venv".into(),
    });
    definition.env.insert("UV_LINK_MODE".into(), "copy".into());
    definition
}

fn files(definition: &Definition, sizing: VmSizing) -> Vec<(&'static str, String)> {
    let presets = Presets::builtin();
    definition.validate(&presets).expect("a valid definition");
    let agent = definition.resolve_agent(&presets).expect("a known agent");
    let names = Names::for_project(Path::new("/home/user/demo"));
    vec![
        (
            "Containerfile",
            render::containerfile(definition, &agent, MOUNT, sizing),
        ),
        ("entrypoint.sh", render::entrypoint(&agent)),
        (
            "compose.yaml",
            render::compose(
                definition,
                &agent,
                MOUNT,
                &user_home(definition),
                "Containerfile",
                &names,
            ),
        ),
    ]
}

/// A case as rendered for a host whose crun reads the krun annotations.
fn check(case: &str, definition: &Definition) {
    check_sized(case, definition, VmSizing::Annotations);
}

fn check_sized(case: &str, definition: &Definition, sizing: VmSizing) {
    let dir = support::source("tests/golden").join(case);
    let update = std::env::var_os("PADDOCK_UPDATE_GOLDEN").is_some();
    for (name, text) in files(definition, sizing) {
        let path = dir.join(name);
        if update {
            std::fs::create_dir_all(&dir).expect("golden folder");
            std::fs::write(&path, &text).expect("golden file");
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (PADDOCK_UPDATE_GOLDEN=1 writes it)",
                path.display()
            )
        });
        assert!(
            expected == text,
            "{} differs from the generated file:\n{text}",
            path.display()
        );
    }
}

#[test]
fn each_preset_on_fedora() {
    for preset in [
        "claude", "codex", "gemini", "opencode", "copilot", "aider", "shell",
    ] {
        check(
            &format!("{preset}-dnf"),
            &definition(preset, "registry.fedoraproject.org/fedora:44"),
        );
    }
}

#[test]
fn each_package_manager_family() {
    check(
        "claude-apt",
        &definition("claude", "docker.io/library/debian:trixie"),
    );
    check(
        "claude-apk",
        &definition("claude", "docker.io/library/alpine:3.22"),
    );
    check(
        "shell-none",
        &definition("shell", "localhost/paddock-dev/busybox:latest"),
    );
}

#[test]
fn container_runtime_has_no_krun_annotations_nor_vm_file() {
    let mut definition = definition("codex", "registry.fedoraproject.org/fedora:44");
    definition.sandbox.runtime = Runtime::Container;
    // Even for a crun that reads the size only from the image.
    check_sized("codex-dnf-container", &definition, VmSizing::ImageFile);
}

#[test]
fn a_crun_older_than_1_27_gets_the_vm_size_in_the_image() {
    let definition = definition("claude", "registry.fedoraproject.org/fedora:44");
    check_sized(
        "claude-dnf-crun-1.21",
        &definition,
        VmSizing::for_crun(Some("1.21")),
    );
}

#[test]
fn compose_says_it_runs_an_allowlist_sandbox_without_the_gateway() {
    let mut definition = definition("claude", "registry.fedoraproject.org/fedora:44");
    definition.set_network_mode(NetworkMode::Allowlist);
    let compose = &files(&definition, VmSizing::Annotations)[2].1;
    let head: Vec<&str> = compose.lines().take_while(|l| l.starts_with('#')).collect();
    assert!(head.iter().any(|l| l.contains("NO gateway")), "{compose}");
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(compose).expect("YAML");
    assert!(yaml["services"]["agent"]["network_mode"].is_null());
    for mode in [NetworkMode::Offline, NetworkMode::Full] {
        definition.set_network_mode(mode);
        let compose = &files(&definition, VmSizing::Annotations)[2].1;
        assert!(!compose.contains("gateway"), "{mode:?}: {compose}");
    }
}

#[test]
fn compose_is_yaml_with_krun_and_keep_id() {
    let definition = definition("claude", "registry.fedoraproject.org/fedora:44");
    let compose = &files(&definition, VmSizing::Annotations)[2].1;
    let yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(compose).expect("compose.yaml is YAML");
    let service = &yaml["services"]["agent"];
    assert_eq!(
        service["annotations"]["run.oci.handler"].as_str(),
        Some("krun")
    );
    assert_eq!(service["annotations"]["krun.cpus"].as_str(), Some("4"));
    assert_eq!(
        service["annotations"]["krun.ram_mib"].as_str(),
        Some("8192")
    );
    assert_eq!(service["userns_mode"].as_str(), Some("keep-id"));
    assert_eq!(
        service["user"].as_str(),
        Some("${HOST_UID:-1000}:${HOST_GID:-1000}")
    );
    let volumes: Vec<&str> = service["volumes"]
        .as_sequence()
        .expect("volumes")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(volumes[0], "..:/src/demo:z", "never U on the project");
    assert_eq!(volumes[1], ".:/src/demo/.agent-sandbox:ro,z");
    assert!(
        volumes.iter().any(|v| v.starts_with("paddock-demo-")
            && v.ends_with("-claude-home:/home/agent/.claude:U,z")),
        "{volumes:?}"
    );
    assert!(
        volumes.contains(&"paddock-claude-login:/.paddock/login:U,z"),
        "{volumes:?}"
    );
    assert!(
        volumes.iter().any(|v| v.ends_with("-cache-venv:/venv:U,z")),
        "{volumes:?}"
    );
    assert_eq!(service["tty"].as_bool(), Some(true));
    assert_eq!(service["stdin_open"].as_bool(), Some(true));
    assert_eq!(
        service["environment"]["PADDOCK_ISOLATION"].as_str(),
        Some("microvm")
    );
    assert_eq!(
        service["environment"]["UV_LINK_MODE"].as_str(),
        Some("copy")
    );
    assert_eq!(
        yaml["volumes"]["paddock-claude-login"]["external"].as_bool(),
        Some(true)
    );
}

#[test]
fn editing_packages_keeps_the_agent_layers() {
    let presets = Presets::builtin();
    let before = definition("claude", "registry.fedoraproject.org/fedora:44");
    let mut after = before.clone();
    after.image.packages.push("vim".into());
    let agent = before.resolve_agent(&presets).expect("agent");
    let (a, b) = (
        render::containerfile(&before, &agent, MOUNT, VmSizing::ImageFile),
        render::containerfile(&after, &agent, MOUNT, VmSizing::ImageFile),
    );
    let extra = a
        .lines()
        .position(|l| l.contains(" make gcc"))
        .expect("the extra packages line");
    let install = a
        .lines()
        .position(|l| l.contains("claude.ai/install.sh"))
        .expect("the agent install line");
    assert!(
        install < extra,
        "the agent is installed before the extra packages"
    );
    let unchanged = a.lines().zip(b.lines()).take_while(|(x, y)| x == y).count();
    assert_eq!(
        unchanged, extra,
        "everything above the extra packages stays the same"
    );
}

#[test]
fn a_new_vm_size_changes_only_the_last_layer() {
    let presets = Presets::builtin();
    let before = definition("claude", "registry.fedoraproject.org/fedora:44");
    let mut after = before.clone();
    after.resources.cpus = 6;
    after.resources.memory_mib = 3072;
    let agent = before.resolve_agent(&presets).expect("agent");
    let (a, b) = (
        render::containerfile(&before, &agent, MOUNT, VmSizing::ImageFile),
        render::containerfile(&after, &agent, MOUNT, VmSizing::ImageFile),
    );
    let differing: Vec<(&str, &str)> = a.lines().zip(b.lines()).filter(|(x, y)| x != y).collect();
    assert_eq!(
        differing,
        [(
            "RUN printf '%s\\n' '{\"cpus\":4,\"ram_mib\":8192}' >/.krun_vm.json",
            "RUN printf '%s\\n' '{\"cpus\":6,\"ram_mib\":3072}' >/.krun_vm.json"
        )]
    );
    let entrypoint = b
        .lines()
        .position(|l| l.starts_with("COPY entrypoint.sh"))
        .expect("the entrypoint line");
    let size = b
        .lines()
        .position(|l| l.contains(render::KRUN_VM_FILE))
        .expect("the size line");
    assert!(entrypoint < size, "the size comes after every other layer");

    let mut many = before.clone();
    many.resources.cpus = 64;
    assert!(
        render::containerfile(&many, &agent, MOUNT, VmSizing::ImageFile).contains("'{\"cpus\":16,"),
        "libkrun's limit is 16 vCPUs"
    );
}
