//! What the fuzz targets assert, shared with the regression test
//! (`tests/engine/fuzz_regressions.rs`), which replays every kept input
//! on stable Rust. A broken invariant panics: libFuzzer keeps the input,
//! and the regression test names it.
// Each fuzz target uses one of these checks.
#![allow(dead_code)]

use std::path::Path;

use engine::BuildStep;
use sandbox::definition::{AgentHome, Cache, Definition, Mount};
use sandbox::host_facts::VmSizing;
use sandbox::names::Names;
use sandbox::presets::Presets;
use sandbox::project::user_home;
use sandbox::render;

/// `text` as `paddock.toml`. Errors name a key and say something; a valid
/// definition round-trips through TOML and renders exactly the structure of
/// the same definition holding harmless placeholder values (the sandbox
/// layer's injection property, here on arbitrary input).
pub fn definition(text: &str) {
    let presets = Presets::builtin();
    let definition = match Definition::parse(text, &presets) {
        Ok(definition) => definition,
        Err(errors) => {
            assert!(!errors.0.is_empty(), "an error without a problem");
            for error in &errors.0 {
                assert!(
                    !error.key.is_empty() && !error.message.is_empty(),
                    "{error:?}"
                );
            }
            return;
        }
    };
    assert_eq!(
        Definition::parse(&definition.to_toml(), &presets).as_ref(),
        Ok(&definition),
        "round trip"
    );
    let agent = definition.resolve_agent(&presets).expect("validated");
    let plain = placeholders(&definition);
    if plain.validate(&presets).is_err() {
        // A placeholder collided with one of the definition's own paths.
        return;
    }
    let plain_agent = plain.resolve_agent(&presets).expect("validated");
    let mount = definition.mount_point("demo");
    let plain_mount = plain.mount_point("demo");
    let names = Names::for_project(Path::new("/home/u/demo"));

    if definition.image.containerfile.is_none() {
        let file = render::containerfile(&definition, &agent, &mount, VmSizing::ImageFile);
        let plain_file =
            render::containerfile(&plain, &plain_agent, &plain_mount, VmSizing::ImageFile);
        assert_eq!(shape(&file), shape(&plain_file), "{file}");
        let base = definition.image.base.clone().unwrap_or_default();
        assert!(file.lines().any(|l| l == format!("FROM {base}")), "{file}");
        if let Some(line) = file.lines().find(|l| l.starts_with("CMD ")) {
            let args: Vec<String> = serde_json::from_str(&line[4..]).expect("CMD is a JSON array");
            assert_eq!(args, agent.command);
        }
    }
    assert_eq!(
        render::entrypoint(&agent),
        render::entrypoint(&plain_agent),
        "the entrypoint holds no definition value"
    );

    let home = user_home(&definition);
    let containerfile = definition
        .image
        .containerfile
        .clone()
        .unwrap_or_else(|| "Containerfile".into());
    let compose = render::compose(&definition, &agent, &mount, &home, &containerfile, &names);
    let plain_compose = render::compose(
        &plain,
        &plain_agent,
        &plain_mount,
        &user_home(&plain),
        &containerfile,
        &names,
    );
    assert_eq!(shape(&compose), shape(&plain_compose), "{compose}");
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&compose).expect("YAML");
    let service = &yaml["services"]["agent"];
    for (name, value) in &definition.env {
        let got = service["environment"][name.as_str()]
            .as_str()
            .unwrap_or_default()
            .replace("$$", "$");
        assert_eq!(&got, value, "{compose}");
    }
    let volumes = service["volumes"].as_sequence().map(Vec::len);
    assert_eq!(
        volumes,
        Some(
            2 + definition.caches.len()
                + definition.mounts.len()
                + usize::from(agent.config_dir.is_some())
                + usize::from(
                    definition.agent.home == AgentHome::Project
                        && agent.config_dir.is_some()
                        && !agent.login.is_empty()
                )
        ),
        "{compose}"
    );
}

/// `text` as podman's build log: a line is a step exactly when it reads
/// `STEP n/m: ...`, and a parsed step says it again the same way.
pub fn build_log(text: &str) {
    for line in text.lines() {
        let Some(step) = BuildStep::parse(line) else {
            continue;
        };
        assert!(line.starts_with("STEP "), "{line:?}");
        assert_eq!(step.instruction, step.instruction.trim(), "{line:?}");
        let again = format!("STEP {}/{}: {}", step.number, step.total, step.instruction);
        assert_eq!(BuildStep::parse(&again), Some(step), "{line:?}");
    }
}

/// The same definition with every free value replaced by a placeholder.
fn placeholders(definition: &Definition) -> Definition {
    let mut plain = definition.clone();
    plain.image.packages = (0..definition.image.packages.len())
        .map(|i| format!("p{i}"))
        .collect();
    plain.env = definition
        .env
        .keys()
        .map(|k| (k.clone(), "v".to_owned()))
        .collect();
    plain.agent.command = definition
        .agent
        .command
        .as_ref()
        .map(|c| (0..c.len()).map(|i| format!("c{i}")).collect());
    // Cache names stay: they become YAML keys, and validation allows only
    // lowercase letters, digits, - and _ in them.
    plain.caches = definition
        .caches
        .iter()
        .enumerate()
        .map(|(i, c)| Cache {
            name: c.name.clone(),
            path: format!("/paddock-fuzz-cache{i}"),
        })
        .collect();
    plain.mounts = definition
        .mounts
        .iter()
        .enumerate()
        .map(|(i, m)| Mount {
            source: format!("m{i}"),
            target: format!("/paddock-fuzz-mount{i}"),
            read_only: m.read_only,
        })
        .collect();
    plain
}

/// Each line's indentation and first word: what a value could change if
/// it broke out of its quotes.
fn shape(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            let word = line.trim_start().split(' ').next().unwrap_or_default();
            format!("{}{word}", &line[..line.len() - line.trim_start().len()])
        })
        .collect()
}
