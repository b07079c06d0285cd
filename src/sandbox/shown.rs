//! Text from a project, shown to the user: every character that could
//! make it look like something else is made visible.
//!
//! A definition or a hand-written Containerfile comes from the project,
//! which the agent (or a repository's author) can write. In a terminal an
//! escape sequence (7-bit `ESC` or a C1 control such as U+009B, which TOML
//! accepts in comments) can move the cursor and overwrite the lines above;
//! in any view a bidi override reorders what is read and a zero-width
//! character hides a difference. So the review shows all of them escaped.

use std::fmt::Write;

/// Whether `c` is shown escaped: control characters other than newline and
/// tab, bidi controls, zero-width and other invisible format characters.
pub fn is_hidden(c: char) -> bool {
    match c {
        '\n' | '\t' => false,
        c if c.is_control() => true,
        // Bidi embeddings, overrides and isolates; marks.
        '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{061C}' => true,
        // Zero-width and invisible: ZWSP, ZWNJ, ZWJ, word joiner, invisible
        // operators, BOM, soft hyphen, Mongolian vowel separator, the line
        // and paragraph separators, interlinear annotations, tag characters.
        '\u{200B}'..='\u{200D}'
        | '\u{2060}'..='\u{2064}'
        | '\u{FEFF}'
        | '\u{00AD}'
        | '\u{180E}'
        | '\u{2028}'
        | '\u{2029}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}' => true,
        _ => false,
    }
}

/// `text` with every [`is_hidden`] character written out: `\x1b` for the
/// ASCII and C1 controls, `<U+202E>` for the others. A backslash that
/// could be read as such an escape is doubled.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && matches!(chars.peek(), Some('x')) {
            out.push_str("\\\\");
        } else if !is_hidden(c) {
            out.push(c);
        } else if (c as u32) < 0x100 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "<U+{:04X}>", c as u32);
        }
    }
    out
}

/// [`escape`] for text that must stay on one line, a file name: newlines
/// and tabs are written out too (`\x0a`, `\x09`), so that a name cannot
/// pass for two entries of a list.
pub fn escape_line(text: &str) -> String {
    escape(text).replace('\n', "\\x0a").replace('\t', "\\x09")
}

/// The first hidden character of `text`: its line (from 1) and code point.
pub fn first_hidden(text: &str) -> Option<(usize, char)> {
    text.lines().enumerate().find_map(|(n, line)| {
        line.chars()
            .find(|&c| is_hidden(c) && c != '\r')
            .map(|c| (n + 1, c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_or_a_reader_would_not_show() {
        assert_eq!(escape("a\u{1b}[2Ab"), "a\\x1b[2Ab");
        assert_eq!(escape("x\u{9b}2Ay"), "x\\x9b2Ay");
        assert_eq!(escape("rm \u{202E}fdp.exe"), "rm <U+202E>fdp.exe");
        assert_eq!(escape("a\u{200B}b"), "a<U+200B>b");
        assert_eq!(escape("tab\tand\nnewline"), "tab\tand\nnewline");
        assert_eq!(escape("\r"), "\\x0d");
        assert_eq!(escape("naïve 😀"), "naïve 😀");
    }

    #[test]
    fn a_name_stays_on_one_line() {
        assert_eq!(escape_line("a\nM  Makefile"), "a\\x0aM  Makefile");
        assert_eq!(escape_line("a\tb\u{1b}"), "a\\x09b\\x1b");
    }

    #[test]
    fn an_escape_written_in_the_text_cannot_pass_for_one_made_here() {
        assert_eq!(escape("\\x1b"), "\\\\x1b");
        assert_ne!(escape("\\x1b"), escape("\u{1b}"));
    }

    #[test]
    fn finds_the_first_hidden_character_by_line() {
        assert_eq!(
            first_hidden("FROM a\nRUN b # \u{1b}[1A\n"),
            Some((2, '\u{1b}'))
        );
        assert_eq!(first_hidden("FROM a\r\nRUN b\r\n"), None);
        assert_eq!(first_hidden("ok\n"), None);
    }
}
