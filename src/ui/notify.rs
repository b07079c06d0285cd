//! Desktop notifications through GNotification: GLib sends them through the
//! notification portal when sandboxed (Flatpak) and to the desktop's
//! notification service otherwise. Activating one shows its project.

use std::path::Path;

use adw::prelude::*;
use gtk::gio;

use crate::app_actions::SHOW_PROJECT;

pub fn send(project: &Path, title: &str, body: &str) {
    let notification = gio::Notification::new(title);
    notification.set_body(Some(body));
    let target = project.to_string_lossy().to_variant();
    notification.set_default_action_and_target_value(&format!("app.{SHOW_PROJECT}"), Some(&target));
    // One notification per project: a newer one replaces the older.
    let id = format!("project:{}", project.display());
    relm4::main_adw_application().send_notification(Some(&id), &notification);
}
