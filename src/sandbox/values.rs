//! The shapes a value from `paddock.toml` may take before it is written into
//! a Containerfile, a shell script or a compose file.
//!
//! The renderers put package names, image names and paths into those files
//! unquoted (or single-quoted), so each check here admits only characters that
//! mean nothing to a shell, to the Containerfile parser (no `$`, no `\`, no
//! line breaks) and to YAML. Values that cannot be made safe are refused with
//! a message that says which characters are allowed; nothing is rewritten.

use crate::messages::tr;

/// Each check returns the message to show next to the field.
pub type Check = Result<(), String>;

const MAX_NAME: usize = 255;

fn only(value: &str, allowed: impl Fn(char) -> bool) -> Option<char> {
    value.chars().find(|c| !allowed(*c))
}

fn shown(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("'{c}'")
    }
}

fn bad_char(c: char, allowed: &str) -> String {
    tr(
        "contains {char}; only {allowed} are allowed",
        &[("char", &shown(c)), ("allowed", &allowed)],
    )
}

fn empty() -> String {
    tr("must not be empty", &[])
}

fn too_long(max: usize) -> String {
    tr("is longer than {max} characters", &[("max", &max)])
}

/// A container image reference such as `registry.fedoraproject.org/fedora:44`
/// or `quay.io/x/y@sha256:...`.
pub fn image_ref(value: &str) -> Check {
    if value.is_empty() {
        return Err(empty());
    }
    if value.len() > MAX_NAME {
        return Err(too_long(MAX_NAME));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._-/:@".contains(c);
    if let Some(c) = only(value, allowed) {
        return Err(bad_char(
            c,
            &gettextrs::gettext("letters, digits and . _ - / : @"),
        ));
    }
    if !value.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(tr("must start with a letter or a digit", &[]));
    }
    Ok(())
}

/// An OS package name as dnf, apt and apk accept it (`gcc`, `python3-devel`,
/// `libstdc++`, `@development-tools`, `nodejs=22*` is not allowed).
pub fn package(value: &str) -> Check {
    if value.is_empty() {
        return Err(empty());
    }
    if value.len() > MAX_NAME {
        return Err(too_long(MAX_NAME));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._+-:@=~/".contains(c);
    if let Some(c) = only(value, allowed) {
        return Err(bad_char(
            c,
            &gettextrs::gettext("letters, digits and . _ + - : @ = ~ /"),
        ));
    }
    if !value.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '@') {
        return Err(tr("must start with a letter, a digit or @", &[]));
    }
    Ok(())
}

/// An absolute path inside the sandbox (mount point, cache folder, home).
pub fn sandbox_path(value: &str) -> Check {
    if value.is_empty() {
        return Err(empty());
    }
    if value.len() > 1024 {
        return Err(too_long(1024));
    }
    if !value.starts_with('/') {
        return Err(tr("must be an absolute path (start with /)", &[]));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._+-@/".contains(c);
    if let Some(c) = only(value, allowed) {
        return Err(bad_char(
            c,
            &gettextrs::gettext("letters, digits and . _ + - @ /"),
        ));
    }
    let trimmed = value.trim_end_matches('/');
    if trimmed.is_empty() {
        return Err(tr("must not be the root folder /", &[]));
    }
    if trimmed
        .split('/')
        .skip(1)
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err(tr("must not contain empty, . or .. parts", &[]));
    }
    for system in [
        "/proc", "/sys", "/dev", "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib64", "/boot", "/run",
    ] {
        if trimmed == system || trimmed.starts_with(&format!("{system}/")) {
            return Err(tr(
                "must not be inside the system folder {folder}",
                &[("folder", &system)],
            ));
        }
    }
    Ok(())
}

/// A short lowercase identifier that becomes part of a podman name
/// (agent ids, cache volume names).
pub fn identifier(value: &str) -> Check {
    if value.is_empty() {
        return Err(empty());
    }
    if value.len() > 40 {
        return Err(too_long(40));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    if let Some(c) = only(value, allowed) {
        return Err(bad_char(
            c,
            &gettextrs::gettext("lowercase letters, digits, - and _"),
        ));
    }
    if !value.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return Err(tr("must start with a lowercase letter or a digit", &[]));
    }
    Ok(())
}

/// An environment variable name. `PADDOCK_*` is Paddock's own.
pub fn env_name(value: &str) -> Check {
    if value.is_empty() {
        return Err(empty());
    }
    if value.len() > 128 {
        return Err(too_long(128));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if let Some(c) = only(value, allowed) {
        return Err(bad_char(c, &gettextrs::gettext("letters, digits and _")));
    }
    if value.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(tr("must not start with a digit", &[]));
    }
    if value.starts_with("PADDOCK_") {
        return Err(tr(
            "names starting with PADDOCK_ are reserved for Paddock",
            &[],
        ));
    }
    Ok(())
}

/// A value that travels as one string (an environment value, a command
/// argument): anything printable on one line.
pub fn one_line(value: &str) -> Check {
    if value.len() > 4096 {
        return Err(too_long(4096));
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(tr(
            "contains the control character {char}; use a single line without control characters",
            &[("char", &shown(c))],
        ));
    }
    Ok(())
}

/// A file name inside `.agent-sandbox/`.
pub fn file_name(value: &str) -> Check {
    if value.is_empty() {
        return Err(empty());
    }
    if value.len() > MAX_NAME {
        return Err(too_long(MAX_NAME));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
    if let Some(c) = only(value, allowed) {
        return Err(bad_char(
            c,
            &gettextrs::gettext("letters, digits and . _ -"),
        ));
    }
    if value.starts_with('.') {
        return Err(tr("must not start with a dot", &[]));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_refs() {
        assert!(image_ref("registry.fedoraproject.org/fedora:44").is_ok());
        assert!(image_ref("quay.io/a/b@sha256:0123abcd").is_ok());
        assert!(image_ref("fedora:44 AS x").is_err());
        assert!(image_ref("fedora\nRUN rm -rf /").is_err());
        assert!(image_ref("$(id)").is_err());
        assert!(image_ref("-fedora").is_err());
    }

    #[test]
    fn packages() {
        for ok in [
            "gcc",
            "libstdc++",
            "python3-devel",
            "@development-tools",
            "py3-pip",
            "nodejs:22/common",
        ] {
            assert!(package(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "-y", "git;id", "a b", "`id`", "$(id)", "a'b", "a\"b", "a\\", "a>b", "a\nb",
        ] {
            assert!(package(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn paths() {
        assert!(sandbox_path("/venv").is_ok());
        assert!(sandbox_path("/src/my-project").is_ok());
        assert!(sandbox_path("venv").is_err());
        assert!(sandbox_path("/").is_err());
        assert!(sandbox_path("/a/../etc").is_err());
        assert!(sandbox_path("/my project").is_err());
        assert!(sandbox_path("/etc/x").is_err());
        assert!(sandbox_path("/a$HOME").is_err());
    }

    #[test]
    fn env_names() {
        assert!(env_name("UV_LINK_MODE").is_ok());
        assert!(env_name("1A").is_err());
        assert!(env_name("A-B").is_err());
        assert!(env_name("PADDOCK_ISOLATION").is_err());
    }

    #[test]
    fn one_line_values() {
        assert!(one_line("it's \"fine\" $(even) `this`").is_ok());
        assert!(one_line("two\nlines").is_err());
        assert!(one_line("nul\0").is_err());
    }
}
