//! Text as the window shows it: a project's name, markup escaped, commands
//! in messages set in monospace, and command lines split and joined the way
//! a shell would.

use std::path::Path;

use gettextrs::gettext;
use gtk::glib;

/// A project's name in the window: its folder's name (the whole path for a
/// folder without one).
pub fn project_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// A project's folder as the window shows it: `~/…` under the home
/// folder, on one line, with control and invisible characters written out
/// (a folder's name is anyone's to choose). Plain text: escape it for a
/// markup property.
pub fn shown_path(path: &Path) -> String {
    shown_path_from(path, &glib::home_dir())
}

fn shown_path_from(path: &Path, home: &Path) -> String {
    let text = match path.strip_prefix(home) {
        Ok(rest) if !home.as_os_str().is_empty() && home != Path::new("/") => {
            if rest.as_os_str().is_empty() {
                "~".to_owned()
            } else {
                format!("~/{}", rest.display())
            }
        }
        _ => path.display().to_string(),
    };
    sandbox::shown::escape_line(&text)
}

/// `text` as Pango markup shows it literally: titles, subtitles and
/// descriptions are markup, and a folder called `a&b` must show as such.
pub fn escape_markup(text: &str) -> String {
    gtk::glib::markup_escape_text(text).to_string()
}

/// A message as Pango markup, with what it quotes in backticks (commands,
/// as in "run `paddock init` there") set in monospace instead. Every other
/// character shows literally, and control or invisible ones escaped: build
/// failures quote what the project's files said.
pub fn code_markup(message: &str) -> String {
    let shown = sandbox::shown::escape(message);
    let parts: Vec<&str> = shown.split('`').collect();
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        let quoted = i % 2 == 1;
        if quoted && i + 1 < parts.len() {
            out.push_str("<tt>");
            out.push_str(&escape_markup(part));
            out.push_str("</tt>");
        } else {
            if quoted {
                // An unpaired backtick is shown as it is.
                out.push('`');
            }
            out.push_str(&escape_markup(part));
        }
    }
    out
}

/// Splits a command line the way a shell would for plain words and quotes:
/// `sh -c "echo hi; exit 3"` -> [sh, -c, echo hi; exit 3].
pub fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => word.extend(chars.next()),
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                word.extend(chars.next());
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The inverse of [`split_words`]: quotes a word only when it needs it.
pub fn join_words(words: &[String]) -> String {
    words
        .iter()
        .map(|word| {
            if !word.is_empty()
                && !word
                    .chars()
                    .any(|c| c.is_whitespace() || "\"'\\$;&|<>()`*?#~".contains(c))
            {
                word.clone()
            } else {
                format!("'{}'", word.replace('\'', "'\"'\"'"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A local time as seen at `now`, in words: the time of day today,
/// "Yesterday", a weekday within the week, a date before.
pub fn time_in_words(local: &glib::DateTime, now: &glib::DateTime) -> Option<String> {
    let day = |t: &glib::DateTime| (t.year(), t.day_of_year());
    let days_ago = |n: i32| now.add_days(-n).is_ok_and(|t| day(&t) == day(local));
    // Translators: a time of day today, in glib's DateTime::format.
    let format = if days_ago(0) {
        gettext("%H:%M")
    } else if days_ago(1) {
        return Some(gettext("Yesterday"));
    } else if (2..7).any(days_ago) {
        // Translators: a day within the last week.
        gettext("%A")
    } else {
        // Translators: a day before the last week.
        gettext("%-d %B %Y")
    };
    local
        .format(&format)
        .ok()
        .map(|text| text.trim().to_owned())
}

#[cfg(test)]
mod word_tests {
    use super::*;

    #[test]
    fn quoted_commands_are_monospace_and_nothing_else_is_markup() {
        assert_eq!(
            code_markup("run `paddock init` there"),
            "run <tt>paddock init</tt> there"
        );
        assert_eq!(
            code_markup("<b>not bold</b> `a&b` and one ` left"),
            "&lt;b&gt;not bold&lt;/b&gt; <tt>a&amp;b</tt> and one ` left"
        );
        // An escape sequence or a bidi override from a project's file
        // cannot reach the label.
        assert_eq!(code_markup("x\u{1b}[2Jy"), r"x\x1b[2Jy");
        assert_eq!(code_markup("`a\u{202e}b`"), "<tt>a&lt;U+202E&gt;b</tt>");
    }

    #[test]
    fn paths_under_home_are_shown_from_it() {
        let home = Path::new("/home/ada");
        let shown = |path: &str| shown_path_from(Path::new(path), home);
        assert_eq!(shown("/home/ada/src/web-app"), "~/src/web-app");
        assert_eq!(shown("/home/ada"), "~");
        // A sibling whose name starts like the home folder is not under it.
        assert_eq!(shown("/home/adam/web"), "/home/adam/web");
        assert_eq!(shown("/srv/web"), "/srv/web");
        assert_eq!(shown("/home/ada/a\u{1b}[2Jb\nc"), r"~/a\x1b[2Jb\x0ac");
        assert_eq!(
            shown_path_from(Path::new("/srv/web"), Path::new("/")),
            "/srv/web"
        );
    }

    #[test]
    fn words_round_trip() {
        let words: Vec<String> = ["sh", "-c", "echo 'hi'; exit 3", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(split_words(&join_words(&words)), words);
        assert_eq!(split_words(r#"a "b c" d\ e"#), vec!["a", "b c", "d e"]);
    }
}
