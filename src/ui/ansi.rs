//! Just enough of ANSI SGR to colour a build log in a text view: the 16
//! colours and bold. Every other escape sequence is dropped rather than shown
//! as garbage.

/// The style in effect for a run of text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    /// 0..=15: the standard and bright colours.
    pub foreground: Option<u8>,
    pub bold: bool,
}

/// Splits `text` into runs of one style, starting from `style` and leaving
/// `style` as it is at the end (a colour may span lines).
pub fn parse(text: &str, style: &mut Style) -> Vec<(String, Style)> {
    let mut runs: Vec<(String, Style)> = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            if c != '\r' {
                current.push(c);
            }
            continue;
        }
        if chars.peek() != Some(&'[') {
            chars.next();
            continue;
        }
        chars.next();
        let mut params = String::new();
        let mut end = None;
        for c in chars.by_ref() {
            if ('\u{40}'..='\u{7e}').contains(&c) {
                end = Some(c);
                break;
            }
            params.push(c);
        }
        if end != Some('m') {
            continue;
        }
        if !current.is_empty() {
            runs.push((std::mem::take(&mut current), *style));
        }
        apply(&params, style);
    }
    if !current.is_empty() {
        runs.push((current, *style));
    }
    runs
}

fn apply(params: &str, style: &mut Style) {
    let codes: Vec<u32> = params
        .split(';')
        .map(|p| {
            if p.is_empty() {
                0
            } else {
                p.parse().unwrap_or(u32::MAX)
            }
        })
        .collect();
    let mut i = 0;
    while i < codes.len() {
        match codes[i] {
            0 => *style = Style::default(),
            1 => style.bold = true,
            22 => style.bold = false,
            n @ 30..=37 => style.foreground = Some((n - 30) as u8),
            39 => style.foreground = None,
            n @ 90..=97 => style.foreground = Some((n - 90 + 8) as u8),
            // 256-colour and true-colour: skip their arguments.
            38 => {
                i += match codes.get(i + 1) {
                    Some(5) => 2,
                    Some(2) => 4,
                    _ => 0,
                }
            }
            _ => {}
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_bold_and_reset() {
        let mut style = Style::default();
        let runs = parse("a\u{1b}[1;31mred\u{1b}[0m b", &mut style);
        assert_eq!(
            runs,
            vec![
                ("a".to_owned(), Style::default()),
                (
                    "red".to_owned(),
                    Style {
                        foreground: Some(1),
                        bold: true
                    }
                ),
                (" b".to_owned(), Style::default()),
            ]
        );
    }

    #[test]
    fn colour_carries_over_and_other_escapes_vanish() {
        let mut style = Style::default();
        parse("\u{1b}[92mgreen", &mut style);
        let runs = parse("\u{1b}[2Kstill\u{1b}[38;5;200m\r", &mut style);
        assert_eq!(runs, vec![("still".to_owned(), style)]);
        assert_eq!(style.foreground, Some(10));
    }
}
