//! Translation set-up shared by the GUI and the CLI.

use gettextrs::{LocaleCategory, bind_textdomain_codeset, bindtextdomain, setlocale, textdomain};

use crate::config::{GETTEXT_PACKAGE, LOCALEDIR};

/// Selects the user's locale and binds Paddock's message catalogue. A missing
/// catalogue is not an error: the strings then stay in English.
pub fn init() {
    // SAFETY: called once at start-up, before any other thread exists that
    // could read the locale concurrently.
    unsafe {
        setlocale(LocaleCategory::LcAll, "");
    }
    let dir = std::env::var("PADDOCK_LOCALEDIR").unwrap_or_else(|_| LOCALEDIR.to_owned());
    let _ = bindtextdomain(GETTEXT_PACKAGE, dir);
    let _ = bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    let _ = textdomain(GETTEXT_PACKAGE);
}
