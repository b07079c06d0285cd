//! Build-time constants shared by both front ends.

/// The application ID; meson sets `PADDOCK_APP_ID` for release and development
/// profiles, a plain `cargo build` is a development build.
pub const APP_ID: &str = match option_env!("PADDOCK_APP_ID") {
    Some(id) => id,
    None => "io.github.paddockapp.Paddock.Devel",
};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub const GETTEXT_PACKAGE: &str = "paddock";

/// Where compiled translations live; meson points it at the install prefix.
pub const LOCALEDIR: &str = match option_env!("PADDOCK_LOCALEDIR") {
    Some(dir) => dir,
    None => "/usr/share/locale",
};
