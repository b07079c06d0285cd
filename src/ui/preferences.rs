//! The Preferences dialog (Ctrl+comma, the main menu): API keys for every
//! project, the resources new projects start with, the terminals' font.
//! Each control applies at once, as GNOME's preferences do: the resources
//! and the font go to GSettings (which `paddock init` and every open
//! terminal follow), a key to the keyring when its row is applied.

use adw::prelude::*;
use gettextrs::gettext;
use gtk::{glib, pango};
use relm4::prelude::*;

use crate::settings::Settings;
use crate::ui::components::api_keys::{ApiKeys, ApiKeysInit, ApiKeysOutput, title_of};
use crate::ui::components::definition_form::{
    Limits, MEMORY_MIN_MIB, MEMORY_STEP_MIB, announce_amounts, mib_of, spin,
};
use sandbox::presets::Presets;
use sandbox::secret::SecretVars;

/// What the font button starts with while the system's font is used.
const FALLBACK_FONT: &str = "Monospace 11";
/// Below this width (sp) the API key rows do not name their variables.
const NARROW_BELOW: f64 = 500.0;

/// The open dialog; its API keys group lives as long as this does.
pub struct Preferences {
    dialog: glib::WeakRef<adw::PreferencesDialog>,
    _keys: Controller<ApiKeys>,
}

impl Preferences {
    pub fn present(parent: &impl IsA<gtk::Widget>, settings: &Settings) -> Preferences {
        // GNOME's smallest window, as libadwaita asks a dialog to say.
        let dialog = adw::PreferencesDialog::builder()
            .width_request(360)
            .height_request(294)
            .title(gettext("Preferences"))
            .search_enabled(true)
            .build();
        dialog.add(&general_page(settings));

        let keys = {
            let dialog = dialog.downgrade();
            ApiKeys::builder()
                .launch(ApiKeysInit {
                    vars: every_agents_keys(),
                    project: None,
                })
                .connect_receiver(move |_, output| match output {
                    ApiKeysOutput::Toast(text) => {
                        if let Some(dialog) = dialog.upgrade() {
                            dialog.add_toast(super::dialogs::toast(&text));
                        }
                    }
                })
        };
        let keys_page = adw::PreferencesPage::builder()
            .title(gettext("API Keys"))
            .icon_name("dialog-password-symbolic")
            .build();
        keys_page.add(keys.widget());
        dialog.add(&keys_page);
        // In a narrow dialog the rows keep their titles and drop the
        // variable's name, which would crowd them out.
        let narrow = adw::Breakpoint::new(adw::BreakpointCondition::new_length(
            adw::BreakpointConditionLengthType::MaxWidth,
            NARROW_BELOW,
            adw::LengthUnit::Sp,
        ));
        for label in keys.model().variable_labels() {
            narrow.add_setter(&label, "visible", Some(&false.to_value()));
        }
        dialog.add_breakpoint(narrow);

        dialog.present(Some(parent));
        Preferences {
            dialog: dialog.downgrade(),
            _keys: keys,
        }
    }

    /// Whether the dialog is still on screen (a closed one is let go).
    pub fn is_open(&self) -> bool {
        self.dialog
            .upgrade()
            .is_some_and(|dialog| dialog.parent().is_some())
    }
}

/// The variables of every agent preset (the user's own too), each once, by
/// their titles: what a key for every project can be stored under here.
/// Others are stored with `paddock secret set`.
fn every_agents_keys() -> SecretVars {
    let presets = Presets::load(Presets::user_dir().as_deref()).unwrap_or_else(|error| {
        tracing::warn!("agent presets: {error}");
        Presets::builtin()
    });
    let mut names: Vec<String> = Vec::new();
    for preset in presets.iter() {
        for name in &preset.secrets {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    names.sort_by_cached_key(|name| title_of(name));
    SecretVars {
        extra: names,
        ..SecretVars::default()
    }
}

fn general_page(settings: &Settings) -> adw::PreferencesPage {
    let page = adw::PreferencesPage::builder()
        .title(gettext("General"))
        .icon_name("preferences-system-symbolic")
        .build();
    page.add(&new_projects(settings));
    page.add(&terminal(settings));
    page
}

/// The CPUs and memory of a project's first definition, in the window or
/// by `paddock init`.
fn new_projects(settings: &Settings) -> adw::PreferencesGroup {
    let group = adw::PreferencesGroup::builder()
        .title(gettext("New Projects"))
        .description(gettext(
            "What a project’s microVM gets when Paddock writes its first definition, here or with paddock init. Each project can change it in its own settings.",
        ))
        .build();
    let now = settings.new_project_resources();
    let limits = Limits::of_host();
    let cpus = spin(
        &gettext("CPUs"),
        1.0,
        f64::from(limits.cpus.max(now.cpus)),
        1.0,
    );
    cpus.set_value(f64::from(now.cpus));
    let memory = spin(
        &gettext("Memory"),
        f64::from(MEMORY_MIN_MIB) / 1024.0,
        f64::from(limits.memory_mib.max(now.memory_mib)) / 1024.0,
        f64::from(MEMORY_STEP_MIB) / 1024.0,
    );
    memory.set_digits(2);
    memory.set_subtitle(&gettext("GiB"));
    memory.set_value(f64::from(now.memory_mib) / 1024.0);
    announce_amounts(&cpus, &memory);
    group.add(&cpus);
    group.add(&memory);

    let store = {
        let settings = settings.clone();
        let (cpus, memory) = (cpus.downgrade(), memory.downgrade());
        move || {
            let (Some(cpus), Some(memory)) = (cpus.upgrade(), memory.upgrade()) else {
                return;
            };
            announce_amounts(&cpus, &memory);
            settings.set_new_project_resources(cpus.value().round() as u32, mib_of(memory.value()));
        }
    };
    {
        let store = store.clone();
        cpus.connect_value_notify(move |_| store());
    }
    memory.connect_value_notify(move |_| store());
    group
}

/// The terminals' font: the system's monospace font, or one of the user's
/// choosing. Every open terminal follows at once (through GSettings).
fn terminal(settings: &Settings) -> adw::PreferencesGroup {
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Terminal"))
        .build();
    let chosen = settings.terminal_font();
    let system = adw::SwitchRow::builder()
        .title(gettext("Use System Font"))
        .subtitle(gettext("The monospace font of your desktop"))
        .active(chosen.is_none())
        .build();
    let dialog = gtk::FontDialog::builder()
        .title(gettext("Terminal Font"))
        .modal(true)
        .filter(&monospace_only())
        .build();
    let button = gtk::FontDialogButton::builder()
        .dialog(&dialog)
        .level(gtk::FontLevel::Font)
        .use_font(true)
        .use_size(true)
        .valign(gtk::Align::Center)
        .font_desc(
            &chosen
                .clone()
                .unwrap_or_else(|| pango::FontDescription::from_string(FALLBACK_FONT)),
        )
        .build();
    button.update_property(&[gtk::accessible::Property::Label(&gettext(
        "Choose the terminal font",
    ))]);
    let font = adw::ActionRow::builder()
        .title(gettext("Font"))
        .activatable_widget(&button)
        .sensitive(chosen.is_some())
        .build();
    font.add_suffix(&button);
    group.add(&system);
    group.add(&font);

    {
        let settings = settings.clone();
        let (button, font) = (button.downgrade(), font.downgrade());
        system.connect_active_notify(move |system| {
            let (Some(button), Some(font)) = (button.upgrade(), font.upgrade()) else {
                return;
            };
            font.set_sensitive(!system.is_active());
            if system.is_active() {
                settings.set_terminal_font(None);
            } else {
                settings.set_terminal_font(button.font_desc().as_ref());
            }
        });
    }
    {
        let settings = settings.clone();
        let system = system.downgrade();
        button.connect_font_desc_notify(move |button| {
            if system.upgrade().is_some_and(|system| !system.is_active()) {
                settings.set_terminal_font(button.font_desc().as_ref());
            }
        });
    }
    group
}

/// The font dialog lists monospace families only: a terminal's grid needs
/// them.
fn monospace_only() -> gtk::CustomFilter {
    gtk::CustomFilter::new(|item| {
        if let Some(family) = item.downcast_ref::<pango::FontFamily>() {
            family.is_monospace()
        } else if let Some(face) = item.downcast_ref::<pango::FontFace>() {
            face.family().is_monospace()
        } else {
            true
        }
    })
}
