//! Application actions. GApplication exports them on the session bus at the
//! app's object path, so the desktop file, GNOME Shell, `paddock open` and the
//! GUI tests all use the same entry points (`org.gtk.Actions.Activate`).

use std::path::PathBuf;

use adw::prelude::*;
use gtk::{gio, glib};
use relm4::prelude::*;

use super::app::{App, AppMsg};
use crate::app_actions::{
    ALLOW_HOST, BUILD_PROJECT, IGNORE_HOST, OPEN_PROJECT, REMOVE_PROJECT, RUN_PROJECT,
    SHOW_CHANGES, SHOW_PROJECT,
};

/// The accelerators, also listed in the shortcuts window. Application
/// accelerators see a key before the focused widget does, so none of them is
/// a key that a shell or an agent's TUI reads in the terminal: app actions
/// take Ctrl+Shift (as Ptyxis does, a terminal cannot tell Ctrl+Shift+B from
/// Ctrl+B anyway), Alt+digit and Ctrl+Page Up/Down lead out of the terminal.
pub const ACCELS: &[(&str, &[&str])] = &[
    ("app.add-project", &["<Control><Shift>o"]),
    ("app.build-current", &["<Control><Shift>b"]),
    ("app.run-current", &["<Control><Shift>r"]),
    ("app.stop-current", &["<Control><Shift>s"]),
    ("app.view(uint32 0)", &["<Alt>1"]),
    ("app.view(uint32 1)", &["<Alt>2"]),
    ("app.view(uint32 2)", &["<Alt>3"]),
    ("app.view(uint32 3)", &["<Alt>4"]),
    ("app.view(uint32 4)", &["<Alt>5"]),
    ("app.previous-project", &["<Control>Page_Up"]),
    ("app.next-project", &["<Control>Page_Down"]),
    ("app.preferences", &["<Control>comma"]),
    ("app.shortcuts", &["<Control>question"]),
    ("app.quit", &["<Control><Shift>q"]),
];

pub fn install(app: &adw::Application, sender: &AsyncComponentSender<App>) {
    let with_path = |name: &str, msg: fn(PathBuf) -> AppMsg| {
        let action = gio::SimpleAction::new(name, Some(glib::VariantTy::STRING));
        let sender = sender.clone();
        action.connect_activate(move |_, parameter| {
            if let Some(path) = parameter.and_then(|p| p.get::<String>()) {
                sender.input(msg(PathBuf::from(path)));
            }
        });
        app.add_action(&action);
    };
    with_path(OPEN_PROJECT, AppMsg::Open);
    // A notification's default action: bring up the window on that project.
    with_path(SHOW_PROJECT, AppMsg::Show);
    with_path(BUILD_PROJECT, |path| AppMsg::Build(Some(path)));
    with_path(RUN_PROJECT, |path| AppMsg::Run(Some(path)));
    with_path(REMOVE_PROJECT, AppMsg::RemoveAsked);
    with_path(SHOW_CHANGES, |path| AppMsg::Changes(Some(path)));

    // A blocked-host notification's buttons: (project, host or host:port).
    let with_host = |name: &str, msg: fn(PathBuf, String) -> AppMsg| {
        let action = gio::SimpleAction::new(name, Some(&<(String, String)>::static_variant_type()));
        let sender = sender.clone();
        action.connect_activate(move |_, parameter| {
            if let Some((path, entry)) = parameter.and_then(|p| p.get::<(String, String)>()) {
                sender.input(msg(PathBuf::from(path), entry));
            }
        });
        app.add_action(&action);
    };
    with_host(ALLOW_HOST, AppMsg::AllowHost);
    with_host(IGNORE_HOST, AppMsg::IgnoreHost);

    let plain = |name: &str, msg: fn() -> AppMsg| {
        let action = gio::SimpleAction::new(name, None);
        let sender = sender.clone();
        action.connect_activate(move |_, _| sender.input(msg()));
        app.add_action(&action);
    };
    plain("add-project", || AppMsg::ChooseFolder);
    plain("build-current", || AppMsg::Build(None));
    plain("run-current", || AppMsg::Run(None));
    plain("stop-current", || AppMsg::Stop(None));
    plain("about", || AppMsg::About);
    plain("system-check", || AppMsg::ShowSystemCheck);
    plain("shortcuts", || AppMsg::Shortcuts);
    plain("preferences", || AppMsg::Preferences);
    plain("previous-project", || AppMsg::CycleProject(-1));
    plain("next-project", || AppMsg::CycleProject(1));

    // The current project's views, by their place (Sandbox, Build, Terminal,
    // Changes, Network).
    let view = gio::SimpleAction::new("view", Some(glib::VariantTy::UINT32));
    {
        let sender = sender.clone();
        view.connect_activate(move |_, parameter| {
            if let Some(index) = parameter.and_then(|p| p.get::<u32>()) {
                sender.input(AppMsg::ShowView(index));
            }
        });
    }
    app.add_action(&view);

    plain("quit", || AppMsg::Quit);

    for (action, accels) in ACCELS {
        app.set_accels_for_action(action, accels);
    }
}
