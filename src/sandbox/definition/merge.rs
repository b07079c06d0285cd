//! Putting one edit on top of a definition that changed meanwhile: the
//! window's form edits what it last read, while an editor or `paddock`
//! may have written `paddock.toml` since. Only the keys the edit changed
//! are taken from it; every other key keeps what the file holds now, so a
//! hand-added `[env]` entry survives the next change made in the form.

use toml::{Table, Value};

use super::Definition;

impl Definition {
    /// `ours` is `base` with the user's edit; `theirs` is what the file holds
    /// now. Keys are compared one by one (tables key by key, anything else
    /// as a whole): a key the edit changed takes the edit's value, any other
    /// the file's. `None` when the two cannot be put together into one
    /// definition (then the caller asks the user).
    pub fn rebase(ours: &Definition, base: &Definition, theirs: &Definition) -> Option<Definition> {
        if base == theirs {
            return Some(ours.clone());
        }
        let [ours_value, base_value, theirs_value] =
            [ours, base, theirs].map(|d| Value::try_from(d).ok());
        let merged = merge(
            ours_value.as_ref(),
            base_value.as_ref(),
            theirs_value.as_ref(),
        )?;
        merged.try_into().ok()
    }
}

/// The three-way merge of one key; `None` when it ends up absent. An
/// absent table is an empty one (`[env]` is left out once it is empty).
fn merge(ours: Option<&Value>, base: Option<&Value>, theirs: Option<&Value>) -> Option<Value> {
    let empty = Table::new();
    if let (Some(o), Some(b), Some(t)) = (table(ours), table(base), table(theirs))
        && (o.is_some() || t.is_some())
    {
        let [ours, base, theirs] = [o, b, t].map(|table| table.unwrap_or(&empty));
        let mut merged = Table::new();
        for key in ours.keys().chain(theirs.keys()).chain(base.keys()) {
            if merged.contains_key(key) {
                continue;
            }
            if let Some(value) = merge(ours.get(key), base.get(key), theirs.get(key)) {
                merged.insert(key.clone(), value);
            }
        }
        return Some(Value::Table(merged));
    }
    if ours == base { theirs } else { ours }.cloned()
}

/// A key that is a table or absent (`Some`), or anything else (`None`).
fn table(value: Option<&Value>) -> Option<Option<&Table>> {
    match value {
        None => Some(None),
        Some(Value::Table(table)) => Some(Some(table)),
        Some(_) => None,
    }
}
