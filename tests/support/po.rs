//! The translations' catalogues, as gettext's own tools read them.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// msgid -> msgstr of a .po file, through msgcat so that continuation lines
/// and escapes are gettext's own business.
pub fn translations(po: &Path) -> HashMap<String, String> {
    let out = Command::new("msgcat")
        .args(["--no-wrap", "--no-location"])
        .arg(po)
        .output()
        .expect("run msgcat");
    assert!(out.status.success(), "msgcat failed on {}", po.display());
    let text = String::from_utf8(out.stdout).expect("UTF-8 po");
    let unquote = |s: &str| {
        s.trim()
            .trim_start_matches('"')
            .trim_end_matches('"')
            .replace("\\\"", "\"")
            .replace("\\n", "\n")
    };
    let mut map = HashMap::new();
    let mut id = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("msgid ") {
            id = Some(unquote(rest));
        } else if let Some(rest) = line.strip_prefix("msgstr ")
            && let Some(id) = id.take()
            && !id.is_empty()
        {
            map.insert(id, unquote(rest));
        }
    }
    map
}
