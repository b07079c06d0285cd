//! Dialogs: errors (which the user must see), About, and the shortcuts list.

use adw::prelude::*;
use gettextrs::gettext;

use super::actions::ACCELS;

/// An error that needs the user: a heading and what to do next.
pub fn error(parent: &impl IsA<gtk::Widget>, heading: &str, body: &str) {
    let dialog = adw::AlertDialog::new(Some(heading), Some(body));
    dialog.add_response("close", &gettext("_Close"));
    dialog.set_default_response(Some("close"));
    dialog.set_close_response("close");
    dialog.present(Some(parent));
}

pub fn about(parent: &impl IsA<gtk::Widget>) {
    let dialog = adw::AboutDialog::builder()
        .application_name(gettext("Paddock"))
        .application_icon(crate::config::APP_ID)
        .developer_name(gettext("The Paddock developers"))
        .version(crate::config::VERSION)
        .comments(gettext(
            "Run AI coding agents in a microVM per project, so that an agent can touch the project and nothing else.",
        ))
        .website("https://github.com/paddockapp/paddock")
        .issue_url("https://github.com/paddockapp/paddock/issues")
        .license_type(gtk::License::Gpl30)
        .translator_credits(gettext("translator-credits"))
        .build();
    dialog.present(Some(parent));
}

/// What each accelerator does, in the order of [`ACCELS`].
fn describe(action: &str) -> String {
    match action {
        "app.add-project" => gettext("Add a project"),
        "app.build-current" => gettext("Build the sandbox"),
        "app.run-current" => gettext("Run the sandbox"),
        "app.stop-current" => gettext("Stop the sandbox"),
        "app.shortcuts" => gettext("Keyboard shortcuts"),
        "app.quit" => gettext("Quit (sandboxes keep running)"),
        other => other.to_owned(),
    }
}

/// Terminal keys, handled by the terminal itself.
fn terminal_keys() -> Vec<(String, &'static str)> {
    vec![
        (gettext("Copy"), "<Control><Shift>c"),
        (gettext("Paste"), "<Control><Shift>v"),
        (gettext("Zoom in"), "<Control>plus"),
        (gettext("Zoom out"), "<Control>minus"),
        (gettext("Reset zoom"), "<Control>0"),
    ]
}

pub fn shortcuts(parent: &impl IsA<gtk::Widget>) {
    let page = adw::PreferencesPage::new();
    let general = adw::PreferencesGroup::builder()
        .title(gettext("General"))
        .build();
    for (action, accels) in ACCELS {
        general.add(&shortcut_row(&describe(action), accels[0]));
    }
    page.add(&general);
    let terminal = adw::PreferencesGroup::builder()
        .title(gettext("Terminal"))
        .build();
    for (title, accel) in terminal_keys() {
        terminal.add(&shortcut_row(&title, accel));
    }
    page.add(&terminal);
    let view = adw::ToolbarView::new();
    view.add_top_bar(&adw::HeaderBar::new());
    view.set_content(Some(&page));
    let dialog = adw::Dialog::builder()
        .title(gettext("Keyboard Shortcuts"))
        .content_width(420)
        .content_height(520)
        .child(&view)
        .build();
    dialog.present(Some(parent));
}

fn shortcut_row(title: &str, accel: &str) -> adw::ActionRow {
    let row = adw::ActionRow::builder().title(title).build();
    let keys = gtk::accelerator_parse(accel)
        .map(|(key, modifiers)| gtk::accelerator_get_label(key, modifiers).to_string())
        .unwrap_or_else(|| accel.to_owned());
    let label = gtk::Label::builder()
        .label(keys)
        .valign(gtk::Align::Center)
        .css_classes(["dim-label"])
        .build();
    row.add_suffix(&label);
    row
}
