//! Filling translated message templates: `{name}` placeholders are replaced
//! after translation, so translators can move them around.

/// Translates `template` and fills its `{name}` placeholders.
pub fn tr(template: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    fill(&gettextrs::gettext(template), args)
}

fn fill(text: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = text.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_every_placeholder() {
        let text = fill(
            "{key} must be between {min} and {max}",
            &[("key", &"cpus"), ("min", &1), ("max", &64)],
        );
        assert_eq!(text, "cpus must be between 1 and 64");
    }
}
