//! A valid definition out of an invalid `paddock.toml`, for the "reset"
//! the app offers: every setting that is still valid is kept, each key an
//! error names goes back to its default (or away), and when the text is not
//! TOML at all nothing can be kept. The caller keeps the original file.

use toml::{Table, Value};

use crate::definition::Definition;
use crate::presets::Presets;

/// How many rounds of "drop what the errors name, check again" at most: the
/// TOML parser reports one type error at a time.
const ROUNDS: usize = 64;

/// `text` made valid: the settings of `text` that validate, on top of
/// `defaults`. `defaults` itself when nothing of `text` can be kept.
pub fn salvage(text: &str, presets: &Presets, defaults: &Definition) -> Definition {
    let (Ok(mut wanted), Ok(base)) = (
        text.parse::<Table>(),
        toml::to_string(defaults)
            .map_err(drop)
            .and_then(|t| t.parse::<Table>().map_err(drop)),
    ) else {
        return defaults.clone();
    };
    for _ in 0..ROUNDS {
        let mut merged = base.clone();
        merge(&mut merged, &wanted);
        let Ok(candidate) = toml::to_string(&merged) else {
            break;
        };
        match Definition::parse(&candidate, presets) {
            Ok(definition) => return definition,
            Err(errors) => {
                let mut dropped = false;
                for error in &errors.0 {
                    dropped |= drop_key(&mut wanted, &error.key);
                }
                if !dropped {
                    break;
                }
            }
        }
    }
    defaults.clone()
}

/// `over` on top of `base`, table by table.
fn merge(base: &mut Table, over: &Table) {
    for (key, value) in over {
        match (base.get_mut(key), value) {
            (Some(Value::Table(base)), Value::Table(over)) => merge(base, over),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Removes what a dotted error key (`resources.cpus`, `cache[1].path`,
/// `env.FOO`) names, or the nearest enclosing item that exists. Returns
/// whether anything was removed.
fn drop_key(table: &mut Table, key: &str) -> bool {
    let mut segments: Vec<Segment> = Vec::new();
    for part in key.split('.') {
        let (name, indices) = match part.find('[') {
            Some(at) => (&part[..at], &part[at..]),
            None => (part, ""),
        };
        segments.push(Segment::Key(name.to_owned()));
        for index in indices.split('[').filter(|s| !s.is_empty()) {
            match index.trim_end_matches(']').parse::<usize>() {
                Ok(index) => segments.push(Segment::Index(index)),
                Err(_) => break,
            }
        }
    }
    // The longest prefix that exists goes.
    (1..=segments.len())
        .rev()
        .any(|len| remove_at(table, &segments[..len]))
}

enum Segment {
    Key(String),
    Index(usize),
}

fn remove_at(table: &mut Table, path: &[Segment]) -> bool {
    let Some((Segment::Key(first), rest)) = path.split_first() else {
        return false;
    };
    if rest.is_empty() {
        return table.remove(first).is_some();
    }
    let Some(mut value) = table.get_mut(first) else {
        return false;
    };
    for (i, segment) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        value = match (segment, value) {
            (Segment::Key(key), Value::Table(inner)) if last => {
                return inner.remove(key).is_some();
            }
            (Segment::Index(index), Value::Array(items)) if last => {
                return (*index < items.len()) && {
                    items.remove(*index);
                    true
                };
            }
            (Segment::Key(key), Value::Table(inner)) => match inner.get_mut(key) {
                Some(next) => next,
                None => return false,
            },
            (Segment::Index(index), Value::Array(items)) => match items.get_mut(*index) {
                Some(next) => next,
                None => return false,
            },
            _ => return false,
        };
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn presets() -> Presets {
        Presets::load(None).expect("the built-in presets")
    }

    fn defaults() -> Definition {
        Definition::new("claude", "registry.fedoraproject.org/fedora:42")
    }

    #[test]
    fn valid_settings_are_kept_and_invalid_ones_reset() {
        let text = r#"
version = 1
[agent]
preset = "codex"
[image]
base = "docker.io/library/debian:13"
[resources]
cpus = "many"
memory_mib = 2048
[sandbox]
network = "sideways"
[env]
KEEP = "me"
"#;
        let definition = salvage(text, &presets(), &defaults());
        assert_eq!(definition.agent.preset.as_deref(), Some("codex"));
        assert_eq!(
            definition.image.base.as_deref(),
            Some("docker.io/library/debian:13")
        );
        assert_eq!(definition.resources.memory_mib, 2048);
        assert_eq!(definition.resources.cpus, defaults().resources.cpus);
        assert_eq!(definition.sandbox.network, defaults().sandbox.network);
        assert_eq!(definition.env.get("KEEP").map(String::as_str), Some("me"));
        assert!(definition.validate(&presets()).is_ok());
    }

    #[test]
    fn unknown_keys_go_and_text_that_is_not_toml_gives_the_defaults() {
        let text = "version = 1\nflavour = \"mint\"\n[resources]\nmemory_mib = 1024\n";
        let definition = salvage(text, &presets(), &defaults());
        assert_eq!(definition.resources.memory_mib, 1024);
        assert_eq!(salvage("[[[ not toml", &presets(), &defaults()), defaults());
    }

    #[test]
    fn a_dotted_key_with_indices_finds_its_item() {
        let mut table: Table = "[[cache]]\npath = \"a\"\n[[cache]]\npath = 3\n"
            .parse()
            .unwrap();
        assert!(drop_key(&mut table, "cache[1].path"));
        assert_eq!(table["cache"].as_array().map(Vec::len), Some(2));
        assert!(table["cache"][1].as_table().is_some_and(Table::is_empty));
        assert!(!drop_key(&mut table, "nothing.here"));
    }
}
