//! Writing a definition over the `paddock.toml` it replaces: the file is
//! the user's (comments, order, blank lines, inline tables, dotted keys),
//! so only the keys whose meaning changed are touched. What changed is
//! found by comparing the two definitions, not the texts: a key the user
//! spelled out with its default value stays as written.

use toml::{Table, Value};
use toml_edit::{DocumentMut, Item};

use super::Definition;

impl Definition {
    /// The definition as `paddock.toml` text, written over `previous` (what
    /// the file holds now): `previous` with only the changed keys updated.
    ///
    /// The text always means exactly `self`, whoever wrote `previous` (an
    /// agent may have, between the gate and this write, and what is written
    /// here counts as approved): a fresh file ([`Definition::to_toml`]) when
    /// `previous` is not a definition, holds characters a viewer would not
    /// show, or the update would not read back as `self`.
    pub fn to_toml_over(&self, previous: &str) -> String {
        self.updated(previous)
            .filter(|text| toml::from_str::<Definition>(text).as_ref() == Ok(self))
            .unwrap_or_else(|| self.to_toml())
    }

    fn updated(&self, previous: &str) -> Option<String> {
        if crate::shown::first_hidden(previous).is_some() {
            return None;
        }
        let mut document = previous.parse::<DocumentMut>().ok()?;
        let old = as_table(&toml::from_str::<Definition>(previous).ok()?)?;
        update(document.as_item_mut(), &old, &as_table(self)?);
        Some(document.to_string())
    }
}

fn as_table(definition: &Definition) -> Option<Table> {
    match Value::try_from(definition).ok()? {
        Value::Table(table) => Some(table),
        _ => None,
    }
}

/// Brings the keys of `container` (a table, inline or not) from `old` to
/// `new`, leaving the keys that did not change as they are written.
fn update(container: &mut Item, old: &Table, new: &Table) {
    let inline = container.is_inline_table();
    let Some(table) = container.as_table_like_mut() else {
        return;
    };
    let keys: Vec<&String> = old
        .keys()
        .chain(new.keys().filter(|k| !old.contains_key(*k)))
        .collect();
    for key in keys {
        let (before, after) = (old.get(key), new.get(key));
        if before == after {
            continue;
        }
        let Some(after) = after else {
            table.remove(key);
            continue;
        };
        match (table.get_mut(key), before, after) {
            (Some(slot), Some(Value::Table(before)), Value::Table(after))
                if slot.is_table_like() =>
            {
                update(slot, before, after);
            }
            (Some(Item::ArrayOfTables(slots)), Some(Value::Array(before)), Value::Array(after))
                if slots.len() == before.len() && before.len() == after.len() =>
            {
                for (slot, (before, after)) in slots.iter_mut().zip(before.iter().zip(after)) {
                    if let (Value::Table(before), Value::Table(after)) = (before, after) {
                        let mut item = Item::Table(std::mem::take(slot));
                        update(&mut item, before, after);
                        if let Item::Table(updated) = item {
                            *slot = updated;
                        }
                    }
                }
            }
            (Some(Item::Value(slot)), before, after) => match item(after, inline) {
                Some(Item::Value(value)) => set_value(slot, before, value),
                Some(other) => {
                    table.insert(key, other);
                }
                None => {}
            },
            (_, _, after) => {
                if let Some(mut new_item) = item(after, inline) {
                    match &mut new_item {
                        // A new table below the others, set apart as they are.
                        Item::Table(t) => t.decor_mut().set_prefix("\n"),
                        // The space before `}` stays before `}`.
                        Item::Value(value) if inline => {
                            let last = table
                                .iter_mut()
                                .last()
                                .and_then(|(_, last)| last.as_value_mut().map(|v| v.decor_mut()));
                            if let Some(last) = last {
                                let suffix = last.suffix().cloned();
                                last.set_suffix("");
                                if let Some(suffix) = suffix {
                                    value.decor_mut().set_suffix(suffix);
                                }
                            }
                        }
                        _ => {}
                    }
                    table.insert(key, new_item);
                }
            }
        }
    }
}

/// Replaces a value keeping the comments and spacing around it; an array
/// that only grew keeps its items as written and gets the new ones after
/// them, laid out like its last one.
fn set_value(slot: &mut toml_edit::Value, before: Option<&Value>, new: toml_edit::Value) {
    if let (
        toml_edit::Value::Array(items),
        Some(Value::Array(before)),
        toml_edit::Value::Array(after),
    ) = (&mut *slot, before, &new)
        && items.len() == before.len()
        && after.len() > before.len()
        && starts_with(after, before)
    {
        let prefix = items
            .iter()
            .last()
            .and_then(|last| last.decor().prefix())
            .and_then(|raw| raw.as_str())
            .map(|raw| match raw.rfind('\n') {
                Some(at) => raw[at..].to_owned(),
                None => " ".to_owned(),
            });
        for value in after.iter().skip(before.len()) {
            let mut value = value.clone();
            if let Some(prefix) = &prefix {
                value.decor_mut().set_prefix(prefix.as_str());
            }
            value.decor_mut().set_suffix("");
            items.push_formatted(value);
        }
        return;
    }
    let decor = slot.decor().clone();
    *slot = new;
    *slot.decor_mut() = decor;
}

/// Whether `after` begins with the strings of `before`.
fn starts_with(after: &toml_edit::Array, before: &[Value]) -> bool {
    after
        .iter()
        .zip(before)
        .all(|(a, b)| a.as_str().is_some() && a.as_str() == b.as_str())
}

/// `value` as an item of a table (`inline`: of an inline table), laid out
/// the way `paddock init` writes it.
fn item(value: &Value, inline: bool) -> Option<Item> {
    let mut holder = Table::new();
    holder.insert("v".to_owned(), value.clone());
    let mut document = toml::to_string(&holder).ok()?.parse::<DocumentMut>().ok()?;
    let mut item = document.remove("v")?;
    unplace(&mut item);
    if inline {
        item = Item::Value(item.into_value().ok()?);
    }
    Some(item)
}

/// Forgets where a table stood in the scratch document it was made in, so
/// that it goes after the tables already in the file.
fn unplace(item: &mut Item) {
    let tables: Vec<&mut toml_edit::Table> = match item {
        Item::Table(table) => vec![table],
        Item::ArrayOfTables(array) => array.iter_mut().collect(),
        _ => return,
    };
    for table in tables {
        table.set_position(None);
        for (_, child) in table.iter_mut() {
            unplace(child);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::NetworkMode;

    const COMMENTED: &str = r#"# Our team's sandbox: ask Ana before changing the image.
version = 1

[agent]
preset = "shell" # the plain shell, for now

# Sizes agreed with IT.
[resources]
cpus = 2   # two is plenty
memory_mib = 4096

[image]
base = "registry.fedoraproject.org/fedora:44"
packages = [
    "git", # always
    "make",
]

[env]
# For the build.
UV_LINK_MODE = "copy"
"#;

    fn parsed(text: &str) -> Definition {
        toml::from_str(text).unwrap()
    }

    /// The lines of `after` that differ from `before`, as (before, after).
    fn changed_lines<'a>(before: &'a str, after: &'a str) -> Vec<(&'a str, &'a str)> {
        assert_eq!(before.lines().count(), after.lines().count(), "{after}");
        before
            .lines()
            .zip(after.lines())
            .filter(|(a, b)| a != b)
            .collect()
    }

    #[test]
    fn an_unchanged_definition_is_written_back_byte_for_byte() {
        let definition = parsed(COMMENTED);
        assert_eq!(definition.to_toml_over(COMMENTED), COMMENTED);
    }

    #[test]
    fn only_the_changed_value_differs() {
        let mut definition = parsed(COMMENTED);
        definition.resources.cpus = 6;
        let written = definition.to_toml_over(COMMENTED);
        assert_eq!(
            changed_lines(COMMENTED, &written),
            [("cpus = 2   # two is plenty", "cpus = 6   # two is plenty")]
        );
        assert_eq!(parsed(&written), definition);
    }

    #[test]
    fn a_grown_list_keeps_its_items_and_comments() {
        let mut definition = parsed(COMMENTED);
        definition.image.packages.push("jq".into());
        let written = definition.to_toml_over(COMMENTED);
        assert!(
            written.contains("    \"git\", # always\n    \"make\",\n    \"jq\",\n]"),
            "{written}"
        );
        assert_eq!(parsed(&written), definition);
    }

    #[test]
    fn new_and_removed_keys() {
        let mut definition = parsed(COMMENTED);
        definition.env.clear();
        definition.set_network_mode(NetworkMode::Offline);
        let written = definition.to_toml_over(COMMENTED);
        assert!(!written.contains("UV_LINK_MODE"), "{written}");
        assert!(written.contains("# Sizes agreed with IT."), "{written}");
        assert!(
            written.ends_with("\n[network]\nmode = \"offline\"\n"),
            "{written}"
        );
        assert_eq!(parsed(&written), definition);
    }

    #[test]
    fn inline_tables_and_dotted_keys_are_updated_where_they_are() {
        let text = "version = 1\nagent = { preset = \"shell\" } # inline\nresources.cpus = 2 # dotted\nresources.memory_mib = 4096\n[image]\nbase = \"fedora:44\"\n";
        let mut definition = parsed(text);
        definition.resources.cpus = 3;
        definition.agent.command = Some(vec!["bash".into()]);
        let written = definition.to_toml_over(text);
        assert_eq!(
            changed_lines(text, &written),
            [
                (
                    "agent = { preset = \"shell\" } # inline",
                    "agent = { preset = \"shell\", command = [\"bash\"] } # inline"
                ),
                ("resources.cpus = 2 # dotted", "resources.cpus = 3 # dotted"),
            ]
        );
        assert_eq!(parsed(&written), definition);
    }

    #[test]
    fn a_default_the_user_spelled_out_stays() {
        let text = format!("{COMMENTED}[sandbox]\nruntime = \"krun\"\n");
        let mut definition = parsed(&text);
        definition.resources.memory_mib = 8192;
        let written = definition.to_toml_over(&text);
        assert!(written.contains("runtime = \"krun\""), "{written}");
        assert_eq!(changed_lines(&text, &written).len(), 1);
    }

    #[test]
    fn caches_are_updated_table_by_table() {
        let text = "version = 1\n[agent]\npreset = \"shell\"\n\n# the venv\n[[cache]]\nname = \"venv\" # keep\npath = \"/venv\"\n";
        let mut definition = parsed(text);
        definition.caches[0].path = "/opt/venv".into();
        let written = definition.to_toml_over(text);
        assert_eq!(
            changed_lines(text, &written),
            [("path = \"/venv\"", "path = \"/opt/venv\"")]
        );
    }

    #[test]
    fn hidden_characters_planted_in_a_comment_are_not_kept() {
        let planted = COMMENTED.replace("# For the build.", "# \u{202e}For the build.");
        let mut definition = parsed(&planted);
        definition.resources.cpus = 4;
        let written = definition.to_toml_over(&planted);
        assert!(
            crate::shown::first_hidden(&written).is_none(),
            "{written:?}"
        );
        assert!(!written.contains("Ana"), "written afresh: {written}");
        assert_eq!(parsed(&written), definition);
    }

    #[test]
    fn the_text_always_means_the_definition() {
        // What the agent wrote meanwhile is not the user's: each changed
        // key is the definition's again, whatever its spelling was.
        let tampered = COMMENTED
            .replace("cpus = 2 ", "\"cpus\" = 64 ")
            .replace("[env]", "[env]\nPADDOCK_PLANTED = \"1\"");
        let definition = parsed(COMMENTED);
        let written = definition.to_toml_over(&tampered);
        assert_eq!(parsed(&written), definition, "{written}");
        assert!(written.contains("# two is plenty"), "{written}");
    }

    #[test]
    fn an_edit_merged_on_top_of_a_hand_edit_keeps_the_hand_edit_as_written() {
        let base = parsed(COMMENTED);
        let mut ours = base.clone();
        ours.resources.memory_mib = 8192;
        let theirs_text = COMMENTED.replace(
            "UV_LINK_MODE = \"copy\"",
            "UV_LINK_MODE = \"hardlink\" # faster here",
        );
        let merged = Definition::rebase(&ours, &base, &parsed(&theirs_text)).unwrap();
        let written = merged.to_toml_over(&theirs_text);
        assert_eq!(
            changed_lines(&theirs_text, &written),
            [("memory_mib = 4096", "memory_mib = 8192")]
        );
    }

    #[test]
    fn what_is_not_a_definition_is_written_afresh() {
        let definition = parsed(COMMENTED);
        for previous in ["[agent\n", "version = \"one\"\n", ""] {
            let written = definition.to_toml_over(previous);
            assert_eq!(parsed(&written), definition, "{previous:?}");
        }
    }
}
