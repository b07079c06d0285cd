//! No value in paddock.toml can add a line or a command to the generated
//! files: every definition either is refused with an error that names its
//! key, or renders files with exactly the structure of the same definition
//! holding harmless placeholder values, each value landing whole where it
//! belongs.

use std::collections::BTreeMap;

use proptest::prelude::*;
use sandbox::definition::{AgentHome, Cache, Definition, Mount, Runtime};
use sandbox::host_facts::VmSizing;
use sandbox::names::Names;
use sandbox::presets::Presets;
use sandbox::project::user_home;
use sandbox::render;

/// Pieces that mean something to a shell, a Containerfile or YAML.
fn nasty() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("a"),
        Just("Z9"),
        Just(" "),
        Just("'"),
        Just("\""),
        Just("\n"),
        Just("\r"),
        Just("\t"),
        Just("\0"),
        Just("$(id)"),
        Just("`id`"),
        Just("${HOME}"),
        Just("$"),
        Just("\\"),
        Just(";"),
        Just("&&"),
        Just("|"),
        Just(">"),
        Just("<"),
        Just("#"),
        Just("*"),
        Just("-"),
        Just("/"),
        Just("."),
        Just(".."),
        Just(":"),
        Just("@"),
        Just("="),
        Just("~"),
        Just("+"),
        Just("é"),
        Just("\u{2028}"),
        Just("\u{85}"),
        Just("\nRUN rm -rf /"),
        Just("\"]\nCMD [\"sh"),
        Just("{"),
        Just("}"),
        Just("["),
        Just("]"),
        Just(","),
        Just("!"),
        Just("%"),
        Just("?"),
    ];
    prop::collection::vec(piece, 0..7).prop_map(|pieces| pieces.concat())
}

/// Mostly harmless values of the right shape, sometimes nasty ones.
fn value(safe: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![3 => proptest::string::string_regex(safe).expect("regex"), 2 => nasty()]
}

fn definitions() -> impl Strategy<Value = Definition> {
    let presets = prop::sample::select(vec![
        "claude", "codex", "gemini", "opencode", "copilot", "aider", "shell",
    ]);
    let bases = prop::sample::select(vec![
        "registry.fedoraproject.org/fedora:44",
        "docker.io/library/debian:trixie",
        "alpine:3.22",
    ]);
    (
        presets,
        prop_oneof![3 => bases.prop_map(String::from), 1 => nasty()],
        prop::collection::vec(value("[a-z][a-z0-9+.-]{0,8}"), 0..4),
        prop::collection::btree_map(value("[A-Z][A-Z0-9_]{0,6}"), value("[ -~]{0,12}"), 0..4),
        prop::option::of(prop::collection::vec(value("[a-z-]{1,8}"), 0..4)),
        prop::option::of(value("/[a-z]{1,6}(/[a-z0-9]{1,6})?")),
        prop::collection::vec((value("[a-z][a-z0-9_-]{0,6}"), value("/[a-z]{1,6}")), 0..3),
        prop::collection::vec(
            (
                value("(~/)?[a-z ]{1,8}(/[a-z]{1,4})?"),
                value("/x[a-z]{1,6}"),
                any::<bool>(),
            ),
            0..3,
        ),
        any::<bool>(),
    )
        .prop_map(
            |(preset, base, packages, env, command, mount, caches, mounts, container)| {
                let mut definition = Definition::new(preset, &base);
                definition.image.packages = packages;
                definition.env = env;
                definition.agent.command = command;
                definition.sandbox.mount = mount;
                definition.caches = caches
                    .into_iter()
                    .map(|(name, path)| Cache { name, path })
                    .collect();
                definition.mounts = mounts
                    .into_iter()
                    .map(|(source, target, read_only)| Mount {
                        source,
                        target,
                        read_only,
                    })
                    .collect();
                if container {
                    definition.sandbox.runtime = Runtime::Container;
                }
                definition
            },
        )
}

/// The same definition with every free value replaced by a placeholder.
fn placeholders(definition: &Definition) -> Definition {
    let mut plain = definition.clone();
    plain.mounts = (definition.mounts.iter().enumerate())
        .map(|(i, m)| Mount {
            source: format!("m{i}"),
            target: format!("/extra{i}"),
            read_only: m.read_only,
        })
        .collect();
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
    plain.caches = (0..definition.caches.len())
        .map(|i| Cache {
            name: format!("c{i}"),
            path: format!("/cache{i}"),
        })
        .collect();
    plain
}

fn shape(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.split(' ').next().unwrap_or_default().to_owned())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, ..ProptestConfig::default() })]

    #[test]
    fn no_value_adds_a_line_or_a_command(definition in definitions()) {
        let presets = Presets::builtin();
        if let Err(errors) = definition.validate(&presets) {
            for error in &errors.0 {
                prop_assert!(!error.key.is_empty() && !error.message.is_empty(), "{error:?}");
                prop_assert!(!error.message.contains('\n'), "one line per error: {error:?}");
            }
            return Ok(());
        }
        let agent = definition.resolve_agent(&presets).expect("validated");
        let plain = placeholders(&definition);
        prop_assert!(plain.validate(&presets).is_ok());
        let plain_agent = plain.resolve_agent(&presets).expect("validated");
        let mount = definition.mount_point("demo");
        let plain_mount = plain.mount_point("demo");
        let names = Names::for_project(std::path::Path::new("/home/u/demo"));

        // Containerfile: the same lines, each value whole where it belongs.
        let file = render::containerfile(&definition, &agent, &mount, VmSizing::ImageFile);
        let plain_file = render::containerfile(&plain, &plain_agent, &plain_mount, VmSizing::ImageFile);
        prop_assert_eq!(shape(&file), shape(&plain_file), "{}", file);
        let base = definition.image.base.clone().unwrap_or_default();
        let from = format!("FROM {base}");
        prop_assert!(file.lines().any(|l| l == from), "{}", file);
        if !definition.image.packages.is_empty() {
            let line = file.lines().skip_while(|l| !l.contains("# Extra packages")).nth(1).unwrap_or_default();
            let words: Vec<&str> = line.split(' ').collect();
            for package in &definition.image.packages {
                prop_assert!(words.contains(&package.as_str()), "{package:?} is one word of {line:?}");
            }
        }
        if let Some(line) = file.lines().find(|l| l.starts_with("CMD ")) {
            let args: Vec<String> = serde_json::from_str(&line[4..]).expect("CMD is a JSON array");
            prop_assert_eq!(&args, &agent.command);
        }

        // The entrypoint holds no definition value at all.
        prop_assert_eq!(render::entrypoint(&agent), render::entrypoint(&plain_agent));

        // compose.yaml: the same keys and list lengths; values round-trip.
        let home = user_home(&definition);
        let compose = render::compose(&definition, &agent, &mount, &home, "Containerfile", &names);
        let plain_compose = render::compose(&plain, &plain_agent, &plain_mount, &home, "Containerfile", &names);
        prop_assert_eq!(compose.lines().count(), plain_compose.lines().count());
        let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&compose).expect("YAML");
        let service = &yaml["services"]["agent"];
        for (name, value) in &definition.env {
            let got = service["environment"][name.as_str()].as_str().unwrap_or_default().replace("$$", "$");
            prop_assert_eq!(&got, value);
        }
        let volumes = service["volumes"].as_sequence().map(Vec::len);
        let login = definition.agent.home == AgentHome::Project && agent.config_dir.is_some() && !agent.login.is_empty();
        prop_assert_eq!(volumes, Some(2 + definition.caches.len() + usize::from(agent.config_dir.is_some()) + usize::from(login) + definition.mounts.len()));
        let listed: Vec<&str> = service["volumes"].as_sequence().map(|v| v.iter().filter_map(|x| x.as_str()).collect()).unwrap_or_default();
        for extra in &definition.mounts {
            let source = if extra.source.starts_with('/') || extra.source.starts_with("~/") { extra.source.clone() } else { format!("../{}", extra.source) };
            let options = if extra.read_only { "ro,z" } else { "z" };
            let expected = format!("{source}:{}:{options}", extra.target);
            prop_assert!(listed.contains(&expected.as_str()), "{expected:?} in {listed:?}");
        }
        let env_keys: BTreeMap<String, ()> = service["environment"].as_mapping().expect("environment").keys().filter_map(|k| k.as_str()).map(|k| (k.to_owned(), ())).collect();
        prop_assert!(definition.env.keys().all(|k| env_keys.contains_key(k)));
    }

    #[test]
    fn shell_and_line_characters_never_pass_in_bare_fields(bad in nasty(), position in 0usize..3) {
        let dangerous = |s: &str| s.chars().any(|c| " '\"\n\r\t\0$`\\;&|<>#*{}[],!%?\u{2028}\u{85}".contains(c)) || !s.is_ascii();
        prop_assume!(dangerous(&bad));
        let mut definition = Definition::new("shell", "registry.fedoraproject.org/fedora:44");
        let key = match position {
            0 => { definition.image.base = Some(bad.clone()); "image.base".to_owned() }
            1 => { definition.image.packages = vec![bad.clone()]; "image.packages[0]".to_owned() }
            _ => { definition.sandbox.mount = Some(format!("/{bad}")); "sandbox.mount".to_owned() }
        };
        let errors = definition.validate(&Presets::builtin()).expect_err("refused");
        prop_assert!(errors.0.iter().any(|e| e.key == key), "{errors}");
    }
}
