//! Every icon the window names exists in the icon theme the desktop has
//! (Adwaita, what Fedora ships too): a name the theme dropped, like
//! `emblem-ok-symbolic`, renders as a broken image. The names are read from
//! the sources (string literals ending in `-symbolic`, and any `.ui` or
//! `.blp` file), so that a new icon is checked without a list to keep.

use std::path::{Path, PathBuf};

/// The files under `dir` whose names end in one of `extensions`.
fn files(dir: &Path, extensions: &[&str], found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, extensions, found);
        } else if extensions
            .iter()
            .any(|ext| path.extension().is_some_and(|e| e == *ext))
        {
            found.push(path);
        }
    }
}

/// `"name-symbolic"` literals, and `icon-name">name<` in UI files.
fn icon_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (i, _) in text.match_indices("-symbolic") {
        let start = text[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_'))
            .map_or(0, |quote| quote + 1);
        let quoted = text[..start].ends_with(['"', '>', '\''])
            && text[i + "-symbolic".len()..].starts_with(['"', '<', '\'']);
        if quoted {
            names.push(text[start..i + "-symbolic".len()].to_owned());
        }
    }
    names
}

#[test]
fn every_icon_the_window_names_is_in_the_icon_theme() {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "no DISPLAY: run this in the development environment (build-aux/dev-env shell), which has Xvfb"
    );
    adw::init().expect("GTK and libadwaita start on the display");
    let theme = gtk::IconTheme::for_display(&gtk::gdk::Display::default().expect("a display"));
    // The app's own icon is installed by meson; here it comes from the checkout.
    theme.add_search_path(support::source("data/icons"));

    let mut sources = Vec::new();
    files(&support::source("src"), &["rs"], &mut sources);
    files(&support::source("data"), &["ui", "blp"], &mut sources);
    let mut used = Vec::new();
    for file in &sources {
        let text = std::fs::read_to_string(file).expect("a source file");
        for name in icon_names(&text) {
            used.push((name, file.clone()));
        }
    }
    assert!(
        used.iter()
            .any(|(name, _)| name == "object-select-symbolic"),
        "the scan found no icon names at all: {used:?}"
    );
    let missing: Vec<String> = used
        .iter()
        .filter(|(name, _)| !theme.has_icon(name))
        .map(|(name, file)| format!("{name} ({})", file.display()))
        .collect();
    assert!(
        missing.is_empty(),
        "icons the theme {} does not have: {missing:#?}",
        theme.theme_name()
    );
    // The check itself tells a missing icon from one that is there.
    assert!(
        !theme.has_icon("paddock-no-such-icon-symbolic"),
        "the theme claims every name"
    );
}

#[test]
fn icon_names_are_read_from_quoted_literals_only() {
    assert_eq!(
        icon_names(
            r#"a("dialog-error-symbolic"); b = "x"; <property name="icon-name">go-up-symbolic</property> some-symbolic word"#
        ),
        ["dialog-error-symbolic", "go-up-symbolic"]
    );
}
