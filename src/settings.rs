//! The user's preferences, in GSettings (data/…gschema.xml.in): the window's
//! size, the resources a new project starts with, the terminals' zoom and
//! font. Other programs (GNOME Settings' tools, `gsettings`) see and change
//! them, and a change reaches every open terminal through `changed`.
//!
//! Both front ends read them: a project made in the window and one made by
//! `paddock init` start from [`Settings::new_project`]. Only gio is used
//! here, never GTK itself, so the CLI reads them without a display.
//!
//! The schema is found where GSettings looks (the installed ones, or
//! `GSETTINGS_SCHEMA_DIR`: `meson devenv` and the GUI tests set it). Without
//! it `gio::Settings::new` would abort, so the window then runs on the
//! schema's defaults and remembers nothing, and says so in its log.

use std::cell::OnceCell;

use gtk::gio;
use gtk::gio::prelude::*;
use gtk::glib;
use gtk::pango;

use crate::config::APP_ID;
use sandbox::definition::{DEFAULT_CPUS, DEFAULT_MEMORY_MIB, DEFAULT_PIDS, Definition, Resources};
use sandbox::project::Project;

/// What the schema holds, and what the window uses when it is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Defaults {
    pub window_width: i32,
    pub window_height: i32,
    pub window_maximized: bool,
    pub resources: Resources,
    pub terminal_zoom: f64,
    pub terminal_font: String,
}

/// Kept equal to the schema's defaults by a test.
pub const DEFAULTS: Defaults = Defaults {
    window_width: 1000,
    window_height: 700,
    window_maximized: false,
    // The sandbox layer's, which `paddock init` uses too.
    resources: Resources {
        cpus: DEFAULT_CPUS,
        memory_mib: DEFAULT_MEMORY_MIB,
        pids: DEFAULT_PIDS,
    },
    terminal_zoom: 1.0,
    terminal_font: String::new(),
};

/// The terminals' font scale: the schema's range.
pub const ZOOM_RANGE: (f64, f64) = (0.5, 4.0);

const WIDTH: &str = "window-width";
const HEIGHT: &str = "window-height";
const MAXIMIZED: &str = "window-maximized";
const CPUS: &str = "default-cpus";
const MEMORY: &str = "default-memory-mib";
const ZOOM: &str = "terminal-zoom";
const FONT: &str = "terminal-font";

/// Cheap to clone: every clone is the same `gio::Settings`.
#[derive(Clone, Debug)]
pub struct Settings(Option<gio::Settings>);

impl Settings {
    /// The process's settings (opened once: every caller shares them).
    pub fn open() -> Settings {
        thread_local! {
            static SHARED: OnceCell<Settings> = const { OnceCell::new() };
        }
        SHARED.with(|shared| shared.get_or_init(Settings::lookup).clone())
    }

    fn lookup() -> Settings {
        let installed = gio::SettingsSchemaSource::default()
            .and_then(|source| source.lookup(APP_ID, true))
            .is_some();
        if installed {
            Settings(Some(gio::Settings::new(APP_ID)))
        } else {
            tracing::warn!(
                "the GSettings schema {APP_ID} is not installed, so the window size, terminal \
                 zoom and font and the defaults for new projects are not remembered; install \
                 Paddock with meson, or run it from the build folder with `meson devenv` \
                 (which sets GSETTINGS_SCHEMA_DIR)"
            );
            Settings(None)
        }
    }

    /// (width, height, maximized) as the window was last closed.
    pub fn window(&self) -> (i32, i32, bool) {
        match &self.0 {
            Some(s) => (s.int(WIDTH), s.int(HEIGHT), s.boolean(MAXIMIZED)),
            None => (
                DEFAULTS.window_width,
                DEFAULTS.window_height,
                DEFAULTS.window_maximized,
            ),
        }
    }

    /// Remembers the window's size (its unmaximized size, which the window
    /// returns to when it is unmaximized next time).
    pub fn save_window(&self, width: i32, height: i32, maximized: bool) {
        let Some(s) = &self.0 else { return };
        set(s, WIDTH, width);
        set(s, HEIGHT, height);
        set(s, MAXIMIZED, maximized);
    }

    /// The CPUs and memory a project without a definition starts with.
    pub fn new_project_resources(&self) -> Resources {
        match &self.0 {
            Some(s) => Resources {
                cpus: s.uint(CPUS),
                memory_mib: s.uint(MEMORY),
                pids: DEFAULT_PIDS,
            },
            None => DEFAULTS.resources,
        }
    }

    /// Sets the CPUs and memory of new projects (the schema's ranges hold:
    /// a value outside them is not stored, and the log says so).
    pub fn set_new_project_resources(&self, cpus: u32, memory_mib: u32) {
        let Some(s) = &self.0 else { return };
        set(s, CPUS, cpus);
        set(s, MEMORY, memory_mib);
    }

    /// The definition of a folder that has none yet, with the resources the
    /// user chose for new projects: the window's form and `paddock init`
    /// start from it.
    pub fn new_project(&self, project: &Project) -> Definition {
        let os_release = std::fs::read_to_string("/etc/os-release").ok();
        let mut definition =
            Definition::for_new_project(&project.folder_name(), os_release.as_deref());
        definition.resources = self.new_project_resources();
        definition
    }

    pub fn terminal_zoom(&self) -> f64 {
        match &self.0 {
            Some(s) => s.double(ZOOM),
            None => DEFAULTS.terminal_zoom,
        }
    }

    pub fn set_terminal_zoom(&self, zoom: f64) {
        if let Some(s) = &self.0 {
            set(s, ZOOM, zoom.clamp(ZOOM_RANGE.0, ZOOM_RANGE.1));
        }
    }

    /// `None`: the system's monospace font.
    pub fn terminal_font(&self) -> Option<pango::FontDescription> {
        let font = match &self.0 {
            Some(s) => s.string(FONT).to_string(),
            None => DEFAULTS.terminal_font.clone(),
        };
        (!font.trim().is_empty()).then(|| pango::FontDescription::from_string(&font))
    }

    /// The terminals' font; `None`: the system's monospace font.
    pub fn set_terminal_font(&self, font: Option<&pango::FontDescription>) {
        if let Some(s) = &self.0 {
            let font = font.map(|font| font.to_string()).unwrap_or_default();
            set(s, FONT, font);
        }
    }

    /// Calls `apply` whenever the terminals' zoom or font changes, from here
    /// or from outside (`gsettings set`). Disconnect with `disconnect`.
    pub fn connect_terminal_changed(
        &self,
        apply: impl Fn(&Settings) + 'static,
    ) -> Option<glib::SignalHandlerId> {
        let s = self.0.as_ref()?;
        let this = self.clone();
        Some(s.connect_changed(None, move |_, key| {
            if key == ZOOM || key == FONT {
                apply(&this);
            }
        }))
    }

    pub fn disconnect(&self, handler: glib::SignalHandlerId) {
        if let Some(s) = &self.0 {
            s.disconnect(handler);
        }
    }

    /// Writes what is pending to disk before the process ends.
    pub fn flush(&self) {
        if self.0.is_some() {
            gio::Settings::sync();
        }
    }
}

fn set(s: &gio::Settings, key: &str, value: impl Into<glib::Variant>) {
    if let Err(error) = s.set_value(key, &value.into()) {
        tracing::warn!("could not save the setting {key}: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `<default>` of KEY in the schema source.
    fn schema_default(schema: &str, key: &str) -> String {
        let start = schema
            .find(&format!("<key name=\"{key}\""))
            .unwrap_or_else(|| panic!("no key {key} in the schema"));
        let rest = &schema[start..];
        let value = &rest[rest.find("<default>").expect("a default") + "<default>".len()..];
        value[..value.find("</default>").expect("</default>")].to_owned()
    }

    #[test]
    fn defaults_are_the_schemas() {
        let schema = include_str!("../data/io.github.paddockapp.Paddock.gschema.xml.in");
        let d = &DEFAULTS;
        assert_eq!(schema_default(schema, WIDTH), d.window_width.to_string());
        assert_eq!(schema_default(schema, HEIGHT), d.window_height.to_string());
        assert_eq!(
            schema_default(schema, MAXIMIZED),
            d.window_maximized.to_string()
        );
        assert_eq!(schema_default(schema, CPUS), d.resources.cpus.to_string());
        assert_eq!(
            schema_default(schema, MEMORY),
            d.resources.memory_mib.to_string()
        );
        assert_eq!(
            schema_default(schema, ZOOM).parse::<f64>().ok(),
            Some(d.terminal_zoom)
        );
        assert_eq!(
            schema_default(schema, FONT),
            format!("'{}'", d.terminal_font)
        );
        assert!(schema.contains(&format!(
            "<key name=\"{ZOOM}\" type=\"d\">\n      <default>1.0</default>\n      <range min=\"{:.1}\" max=\"{:.1}\"/>",
            ZOOM_RANGE.0, ZOOM_RANGE.1
        )));
    }

    #[test]
    fn without_the_schema_the_defaults_apply_and_nothing_breaks() {
        let settings = Settings(None);
        assert_eq!(settings.window(), (1000, 700, false));
        assert_eq!(settings.new_project_resources(), DEFAULTS.resources);
        settings.set_terminal_zoom(2.0);
        assert_eq!(settings.terminal_zoom(), 1.0);
        assert!(settings.terminal_font().is_none());
        assert!(settings.connect_terminal_changed(|_| {}).is_none());
        settings.save_window(10, 10, true);
        settings.flush();
    }
}
