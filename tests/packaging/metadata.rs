//! One version everywhere, and the AppStream screenshots exist in the tree.

fn read(path: &str) -> String {
    std::fs::read_to_string(support::source(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The first `'…'` or `"…"` after MARKER in TEXT.
fn quoted_after<'a>(text: &'a str, marker: &str) -> &'a str {
    let rest = &text[text.find(marker).unwrap_or_else(|| panic!("no {marker}")) + marker.len()..];
    let start = rest.find(['\'', '"']).expect("an opening quote") + 1;
    let quote = &rest[start - 1..start];
    let end = rest[start..].find(quote).expect("a closing quote");
    &rest[start..start + end]
}

#[test]
fn cargo_meson_spec_and_metainfo_agree_on_the_version() {
    let cargo = env!("CARGO_PKG_VERSION");
    assert_eq!(
        quoted_after(&read("meson.build"), "version:"),
        cargo,
        "meson.build"
    );
    let spec = read("build-aux/paddock.spec");
    let spec_version = spec
        .lines()
        .find_map(|line| line.strip_prefix("Version:"))
        .map(str::trim)
        .expect("Version: in the spec");
    assert_eq!(spec_version, cargo, "build-aux/paddock.spec");
    let metainfo = read("data/io.github.paddockapp.Paddock.metainfo.xml.in.in");
    assert_eq!(
        quoted_after(&metainfo, "<release version="),
        cargo,
        "the newest <release> of the metainfo"
    );
}

#[test]
fn metainfo_screenshots_are_in_data_screenshots() {
    const PREFIX: &str = "https://raw.githubusercontent.com/paddockapp/paddock/main/";
    let metainfo = read("data/io.github.paddockapp.Paddock.metainfo.xml.in.in");
    let images: Vec<&str> = metainfo
        .split("<image>")
        .skip(1)
        .filter_map(|rest| rest.split("</image>").next())
        .collect();
    assert!(!images.is_empty(), "the metainfo shows no screenshot");
    for url in images {
        let path = url
            .strip_prefix(PREFIX)
            .unwrap_or_else(|| panic!("{url} is not a file of this repository"));
        assert!(path.starts_with("data/screenshots/"), "{path}");
        let bytes = std::fs::read(support::source(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{path} is not a PNG"
        );
    }
}
