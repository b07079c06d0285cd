//! Every problem of a `paddock.toml`, each with the line and column it is
//! at. A TOML parser stops at the first mistake, which would hide every
//! other one (a typo in `[env]` hiding a wrong `[resources]` value), so a
//! file that does not parse is cut into its top-level tables, each parsed
//! on its own: each broken table gives its first mistake, and the tables
//! that parse are still checked like a whole definition.

use std::collections::BTreeSet;
use std::ops::Range;

use toml::{Table, Value};

use super::{Definition, DefinitionErrors, FieldError, Position, key_at};
use crate::presets::Presets;

/// One top-level table of the file (or the keys above the first table),
/// with where it starts.
struct Section<'a> {
    text: &'a str,
    /// Bytes of the whole file before it.
    start: usize,
    /// The table its header names (`agent` for `[agent]`, `cache` for
    /// `[[cache]]`, `image` for `[image.x]`); `None` above the first header.
    name: Option<String>,
}

impl Definition {
    /// Parses `paddock.toml` text and validates it against the known
    /// presets; every problem found, each with its place in the file.
    pub fn parse(text: &str, presets: &Presets) -> Result<Definition, DefinitionErrors> {
        let result = match toml::from_str::<Definition>(text) {
            Ok(definition) => definition.validate(presets).map(|()| definition),
            Err(_) => Err(every_problem(text, presets)),
        };
        result.map_err(|errors| locate(text, errors))
    }
}

/// The problems of a file that does not parse as a whole: the first of
/// each table that does not parse on its own, then what the validation
/// finds in the tables that do.
fn every_problem(text: &str, presets: &Presets) -> DefinitionErrors {
    let sections = sections(text);
    let mut errors = Vec::new();
    let mut good = Table::new();
    let mut broken = BTreeSet::new();
    let mut root_broken = false;
    for section in &sections {
        match toml::from_str::<Definition>(section.text) {
            Ok(_) => {
                if let Ok(table) = section.text.parse::<Table>() {
                    add(&mut good, table);
                }
            }
            Err(error) => {
                errors.push(toml_error(text, section, &error));
                match &section.name {
                    Some(name) => {
                        broken.insert(name.clone());
                    }
                    None => root_broken = true,
                }
            }
        }
    }
    if errors.is_empty() {
        // Each table is fine on its own, so the file is wrong only as a
        // whole (a table given twice): the parser's own word on it.
        if let Err(error) = toml::from_str::<Definition>(text) {
            let whole = Section {
                text,
                start: 0,
                name: None,
            };
            errors.push(toml_error(text, &whole, &error));
        }
        return DefinitionErrors(errors);
    }
    let checked = Value::Table(good.clone())
        .try_into::<Definition>()
        .ok()
        .and_then(|definition| definition.validate(presets).err());
    // A table that did not parse is not there for the validation: what it
    // says about it (missing, unknown) would be wrong.
    let sure = |key: &str| {
        let top = key.split(['.', '[']).next().unwrap_or(key);
        if root_broken {
            good.contains_key(top)
        } else {
            !broken.contains(top)
        }
    };
    errors.extend(
        checked
            .into_iter()
            .flat_map(|e| e.0)
            .filter(|e| sure(&e.key)),
    );
    DefinitionErrors(errors)
}

/// `table` added to `into`: tables key by key, arrays of tables appended.
fn add(into: &mut Table, table: Table) {
    for (key, value) in table {
        match (into.get_mut(&key), value) {
            (Some(Value::Table(old)), Value::Table(new)) => add(old, new),
            (Some(Value::Array(old)), Value::Array(new)) => old.extend(new),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// The file cut before each line that starts a table (`[` first on it).
/// A line like that inside a multi-line string or array only splits the
/// file where it did not need to: each piece then reports its own mistake.
fn sections(text: &str) -> Vec<Section<'_>> {
    let mut starts = vec![0];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset > 0 && line.trim_start().starts_with('[') {
            starts.push(offset);
        }
        offset += line.len();
    }
    starts.push(text.len());
    starts
        .windows(2)
        .map(|w| {
            let section = &text[w[0]..w[1]];
            Section {
                text: section,
                start: w[0],
                name: header_name(section),
            }
        })
        .collect()
}

/// The first segment of the table a section's first line names.
fn header_name(section: &str) -> Option<String> {
    let line = section.lines().next()?.trim_start();
    let inner = line.strip_prefix('[')?.trim_start_matches('[');
    let name = inner
        .split([']', '.', '#'])
        .next()?
        .trim()
        .trim_matches(|c| c == '"' || c == '\'');
    Some(name.to_owned())
}

/// A TOML syntax or type error of `section`, tied to the key it is about.
fn toml_error(text: &str, section: &Section<'_>, error: &toml::de::Error) -> FieldError {
    let message = crate::shown::escape(error.message().trim());
    let Some(span) = error.span() else {
        return FieldError::new(
            section
                .name
                .clone()
                .unwrap_or_else(|| gettextrs::gettext("paddock.toml")),
            message,
        );
    };
    let offset = section.start + span.start.min(section.text.len());
    // The key is the file's text, shown as it is nowhere.
    let key = crate::shown::escape_line(&key_at(text, offset));
    let key = if key.is_empty() {
        gettextrs::gettext("paddock.toml")
    } else {
        key
    };
    let mut error = FieldError::new(key, message);
    error.at = Some(position(text, offset));
    error
}

/// Gives each error without a place the place of its key, when the file
/// has that key.
fn locate(text: &str, errors: DefinitionErrors) -> DefinitionErrors {
    let documents: Vec<(toml_edit::Document<&str>, usize)> = sections(text)
        .into_iter()
        .filter_map(|s| Some((toml_edit::Document::parse(s.text).ok()?, s.start)))
        .collect();
    let whole = toml_edit::Document::parse(text).ok();
    DefinitionErrors(
        errors
            .0
            .into_iter()
            .map(|mut error| {
                if error.at.is_none() {
                    let span = match &whole {
                        Some(document) => find(document.as_item(), &path(&error.key), &mut 0)
                            .map(|span| span.start),
                        None => find_in_sections(&documents, &path(&error.key)),
                    };
                    error.at = span.map(|offset| position(text, offset));
                }
                error
            })
            .collect(),
    )
}

/// A key's segments: `cache[1].path` is `cache`, 1, `path`.
#[derive(Debug, Clone)]
enum Segment {
    Key(String),
    Index(usize),
}

fn path(key: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    for part in key.split('.') {
        let mut rest = part;
        if let Some(at) = rest.find('[') {
            segments.push(Segment::Key(rest[..at].to_owned()));
            rest = &rest[at..];
            while let Some(index) = rest
                .strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .and_then(|(n, r)| Some((n.parse().ok()?, r)))
            {
                segments.push(Segment::Index(index.0));
                rest = index.1;
            }
        } else {
            segments.push(Segment::Key(rest.to_owned()));
        }
    }
    segments
}

/// The span of `path` in `item`, else of the nearest part of it found.
/// `skip` counts the tables of an array of tables that earlier sections
/// of the file held (each `[[cache]]` is a section of its own).
fn find(item: &toml_edit::Item, path: &[Segment], skip: &mut usize) -> Option<Range<usize>> {
    use toml_edit::{Item, Value};
    let Some((first, rest)) = path.split_first() else {
        return item.span();
    };
    match (first, item) {
        (Segment::Key(key), item) => {
            let (key, child) = item.as_table_like()?.get_key_value(key)?;
            let found = find(child, rest, skip);
            if found.is_none() && matches!(child, Item::ArrayOfTables(_)) {
                // The table asked for is in a later section.
                return None;
            }
            found.or_else(|| key.span())
        }
        (Segment::Index(index), Item::ArrayOfTables(tables)) => {
            match index.checked_sub(*skip).and_then(|i| tables.get(i)) {
                Some(table) => {
                    find(&Item::Table(table.clone()), rest, skip).or_else(|| table.span())
                }
                None => {
                    *skip += tables.len();
                    None
                }
            }
        }
        (Segment::Index(index), Item::Value(Value::Array(array))) => {
            let value = array.get(*index)?;
            find(&Item::Value(value.clone()), rest, skip).or_else(|| value.span())
        }
        _ => None,
    }
}

/// The offset of `path` in the first section that has it.
fn find_in_sections(
    documents: &[(toml_edit::Document<&str>, usize)],
    path: &[Segment],
) -> Option<usize> {
    let mut skip = 0;
    documents.iter().find_map(|(document, start)| {
        find(document.as_item(), path, &mut skip).map(|span| start + span.start)
    })
}

/// The line and column (from 1, in characters) of byte `offset`.
fn position(text: &str, offset: usize) -> Position {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        Definition::parse(text, &Presets::builtin())
            .expect_err("refused")
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn at(problems: &[String]) -> Vec<&str> {
        problems
            .iter()
            .map(|p| p.split(": ").next().unwrap_or_default())
            .collect()
    }

    #[test]
    fn a_syntax_error_in_one_table_hides_nothing_in_the_others() {
        let text = "version = 1\n[agent]\npreset = \"shell\"\n[image\nbase = \"fedora:44\"\n[resources]\ncpus = 0\n[env]\nA = \n";
        let found = problems(text);
        assert_eq!(at(&found), ["4:7", "9:5", "7:8"], "{found:#?}");
        assert!(found[0].contains(": image: "), "{found:#?}");
        assert!(found[1].contains(": env.A: "), "{found:#?}");
        assert!(found[2].contains(": resources.cpus: "), "{found:#?}");
    }

    #[test]
    fn a_type_error_per_table_and_the_validation_of_the_rest() {
        let text = "version = 1\n[agent]\npreset = \"shell\"\n[image]\nbase = \"fedora:44\"\npackages = \"git\"\n[resources]\ncpus = 0\nmemory_mib = \"lots\"\n[sandbox]\nruntime = \"vm\"\n[[cache]]\nname = \"a\"\npath = \"/a\"\n[[cache]]\nname = \"b b\"\npath = \"/b\"\n";
        let found = problems(text);
        let keys: Vec<&str> = found
            .iter()
            .map(|p| p.split(": ").nth(1).unwrap_or_default())
            .collect();
        assert_eq!(
            keys,
            [
                "image.packages",
                "resources.memory_mib",
                "sandbox.runtime",
                "cache[1].name"
            ],
            "{found:#?}"
        );
        assert_eq!(at(&found), ["6:12", "9:14", "11:11", "16:8"], "{found:#?}");
    }

    #[test]
    fn a_missing_version_is_not_claimed_when_the_top_does_not_parse() {
        let found = problems("version = = 1\n[agent]\npreset = \"nope\"\n");
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].starts_with("1:"), "{found:#?}");
        assert!(found[1].contains("agent.preset"), "{found:#?}");
    }

    #[test]
    fn a_table_given_twice_is_still_an_error() {
        let found =
            problems("version = 1\n[agent]\npreset = \"shell\"\n[agent]\npreset = \"shell\"\n");
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].starts_with("4:"), "{found:#?}");
    }

    #[test]
    fn validation_errors_of_a_file_that_parses_get_their_place() {
        let found = problems(
            "version = 1\nagent = { preset = \"shell\" }\nimage.base = \"fedora:44\"\n[resources]\ncpus = 0\n[network]\nmode = \"allowlist\"\nallow = [\"ok.example\", \"bad host\"]\n",
        );
        assert_eq!(at(&found), ["5:8", "8:24"], "{found:#?}");
    }

    #[test]
    fn a_key_with_hidden_characters_is_shown_escaped() {
        let found = problems("version = 1\n[\"a\u{202e}b\"\n");
        assert!(!found[0].contains('\u{202e}'), "{found:#?}");
        assert!(found[0].contains("a<U+202E>b"), "{found:#?}");
    }

    #[test]
    fn key_paths() {
        let segments = path("cache[1].path");
        assert!(matches!(
            segments.as_slice(),
            [Segment::Key(a), Segment::Index(1), Segment::Key(b)] if a == "cache" && b == "path"
        ));
    }
}
