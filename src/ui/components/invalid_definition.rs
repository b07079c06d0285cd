//! What the project page shows while `paddock.toml` is not valid (written
//! by hand or by an agent): each problem with its key, and the two ways out:
//! edit the file (the page reloads it when it changes) or reset it to a
//! valid definition that keeps every valid setting, with the old file kept
//! beside it.

use adw::prelude::*;
use gettextrs::gettext;

use crate::ui::text::escape_markup;
use sandbox::definition::FieldError;
use sandbox::messages::tr;

pub fn view(
    file_name: &str,
    errors: &[FieldError],
    on_open: impl Fn() + 'static,
    on_reset: impl Fn() + 'static,
) -> gtk::Widget {
    let problems = adw::PreferencesGroup::builder()
        .title(gettext("Problems"))
        .build();
    for error in errors {
        let subtitle = match error.at {
            Some(at) => tr(
                "Line {line}, column {column}: {message}",
                &[
                    ("line", &at.line),
                    ("column", &at.column),
                    ("message", &error.message),
                ],
            ),
            None => error.message.clone(),
        };
        let row = adw::ActionRow::builder()
            .title(&error.key)
            .subtitle(&subtitle)
            .use_markup(false)
            .subtitle_selectable(true)
            .build();
        problems.add(&row);
    }
    let open = gtk::Button::builder()
        .label(gettext("_Open in Text Editor"))
        .use_underline(true)
        .css_classes(["pill"])
        .build();
    open.connect_clicked(move |_| on_open());
    let reset = gtk::Button::builder()
        .label(gettext("_Reset to a Valid Definition"))
        .use_underline(true)
        .css_classes(["pill", "suggested-action"])
        .build();
    reset.connect_clicked(move |_| on_reset());
    let buttons = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(12)
        .halign(gtk::Align::Center)
        .build();
    buttons.append(&reset);
    buttons.append(&open);
    let content = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(24)
        .build();
    content.append(&problems);
    content.append(&buttons);
    let clamp = adw::Clamp::builder()
        .maximum_size(600)
        .child(&content)
        .build();
    adw::StatusPage::builder()
        .icon_name("dialog-warning-symbolic")
        .title(gettext("The Sandbox Definition Is Not Valid"))
        .description(escape_markup(&tr(
            "Fix {file} in a text editor: this page reloads it when it is saved. Or reset it: valid settings are kept, the others return to their defaults, and the current file is kept beside it.",
            &[("file", &file_name)],
        )))
        .child(&clamp)
        .build()
        .upcast()
}
