//! Dialogs: errors (which the user must see), About, the shortcuts list,
//! and toasts for transient results.

use adw::prelude::*;
use gettextrs::gettext;

use super::actions::ACCELS;

/// A toast saying `text` as it is: a toast's title is markup, and a
/// project's folder name in it may hold `&` or `<`.
pub fn toast(text: &str) -> adw::Toast {
    adw::Toast::new(&super::text::escape_markup(text))
}

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
        "app.view(uint32 0)" => gettext("Show the Sandbox view"),
        "app.view(uint32 1)" => gettext("Show the Build view"),
        "app.view(uint32 2)" => gettext("Show the Terminal view"),
        "app.view(uint32 3)" => gettext("Show the Changes view"),
        "app.view(uint32 4)" => gettext("Show the Network view"),
        "app.previous-project" => gettext("Previous project"),
        "app.next-project" => gettext("Next project"),
        "app.preferences" => gettext("Preferences"),
        "app.shortcuts" => gettext("Keyboard shortcuts"),
        "app.quit" => gettext("Quit (sandboxes keep running)"),
        other => other.to_owned(),
    }
}

/// Terminal keys, handled by the terminal itself while it has the focus.
fn terminal_keys() -> Vec<(String, &'static str)> {
    vec![
        (gettext("Copy"), "<Control><Shift>c"),
        (
            gettext("Paste (an image or files go to the inbox)"),
            "<Control><Shift>v",
        ),
        (gettext("Find"), "<Control><Shift>f"),
        (gettext("Close the terminal"), "<Control><Shift>w"),
        (gettext("Zoom in"), "<Control>plus"),
        (gettext("Zoom out"), "<Control>minus"),
        (gettext("Reset zoom"), "<Control>0"),
    ]
}

/// GTK's shortcuts window, with key caps. GTK 4.18 deprecates it in favour
/// of libadwaita 1.8's shortcuts dialog, which GNOME 48 does not have yet.
#[allow(deprecated)]
pub fn shortcuts(parent: &impl IsA<gtk::Window>) {
    let group = |title: String, keys: Vec<(String, &str)>| {
        let group = gtk::ShortcutsGroup::builder().title(title).build();
        for (title, accel) in keys {
            group.add_shortcut(
                &gtk::ShortcutsShortcut::builder()
                    .title(title)
                    .accelerator(accel)
                    .build(),
            );
        }
        group
    };
    let section = gtk::ShortcutsSection::builder()
        .section_name("shortcuts")
        .max_height(12)
        .build();
    section.add_group(&group(
        gettext("General"),
        ACCELS
            .iter()
            .map(|(action, accels)| (describe(action), accels[0]))
            .collect(),
    ));
    section.add_group(&group(gettext("Terminal"), terminal_keys()));
    let window = gtk::ShortcutsWindow::builder()
        .title(gettext("Keyboard Shortcuts"))
        .modal(true)
        .transient_for(parent)
        .build();
    window.add_section(&section);
    readable_key_caps(window.upcast_ref());
    window.present();
}

/// GTK's key caps show a key's name as it is spelled in code ("Page_Up")
/// where its menus and `gtk::accelerator_get_label` write "Page Up": the
/// caps get the words the menus have.
#[allow(deprecated)]
fn readable_key_caps(root: &gtk::Widget) {
    let mut stack = vec![root.clone()];
    while let Some(widget) = stack.pop() {
        if let Some(label) = widget.downcast_ref::<gtk::Label>()
            && label.text().contains('_')
            && widget.ancestor(gtk::ShortcutLabel::static_type()).is_some()
        {
            label.set_text(&label.text().replace('_', " "));
        }
        let mut child = widget.first_child();
        while let Some(next) = child {
            child = next.next_sibling();
            stack.push(next);
        }
    }
}
