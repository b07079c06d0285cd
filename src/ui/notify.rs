//! Desktop notifications through GNotification: GLib sends them through the
//! notification portal when sandboxed (Flatpak) and to the desktop's
//! notification service otherwise. Activating one shows its project.

use std::path::Path;

use adw::prelude::*;
use gettextrs::gettext;
use gtk::gio;

use super::text::project_name;
use crate::app_actions::{ALLOW_HOST, IGNORE_HOST, SHOW_PROJECT};
use sandbox::messages::tr;
use sandbox::net;
use sandbox::shown::escape_line;

pub fn send(project: &Path, title: &str, body: &str) {
    let notification = gio::Notification::new(title);
    notification.set_body(Some(body));
    // One notification per project: a newer one replaces the older.
    let id = format!("project:{}", project.display());
    send_with_default(project, &id, &notification);
}

/// The sandbox of `project` was refused `entry` (a host, or host:port) for
/// the first time in its run: Allow and Ignore buttons, each an app action
/// taking the project and the entry (Allow only for an entry an allowlist
/// can hold). The entry came from the sandbox, so it is shown escaped, and
/// in the title, which no notification service reads as markup.
pub fn send_blocked(project: &Path, entry: &str) {
    let notification = gio::Notification::new(&tr(
        "{name}: {host} was blocked",
        &[
            ("name", &escape_line(&project_name(project))),
            ("host", &escape_line(entry)),
        ],
    ));
    notification.set_body(Some(&gettext(
        "The sandbox tried to reach a host its allowlist does not name. Allow lets it through from now on, without a restart.",
    )));
    let target = (project.to_string_lossy().into_owned(), entry.to_owned()).to_variant();
    if net::check_entry(entry).is_ok() {
        notification.add_button_with_target_value(
            &gettext("Allow"),
            &format!("app.{ALLOW_HOST}"),
            Some(&target),
        );
    }
    notification.add_button_with_target_value(
        &gettext("Ignore"),
        &format!("app.{IGNORE_HOST}"),
        Some(&target),
    );
    send_with_default(project, &blocked_id(project, entry), &notification);
}

/// Takes back the notification about `entry`, once it is decided.
pub fn withdraw_blocked(project: &Path, entry: &str) {
    relm4::main_adw_application().withdraw_notification(&blocked_id(project, entry));
}

fn blocked_id(project: &Path, entry: &str) -> String {
    format!("network:{}:{entry}", project.display())
}

fn send_with_default(project: &Path, id: &str, notification: &gio::Notification) {
    let target = project.to_string_lossy().to_variant();
    notification.set_default_action_and_target_value(&format!("app.{SHOW_PROJECT}"), Some(&target));
    relm4::main_adw_application().send_notification(Some(id), notification);
}
