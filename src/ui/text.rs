//! Filling translated templates: `{name}` placeholders, so that translators
//! can move them around.

use std::fmt::Display;

pub fn fill(template: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut text = template.to_owned();
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), &value.to_string());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::fill;

    #[test]
    fn fills_every_placeholder() {
        assert_eq!(
            fill("{a} and {b}, {a}", &[("a", &1), ("b", &"two")]),
            "1 and two, 1"
        );
    }
}
