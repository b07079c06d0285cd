//! The GNOME front end (relm4 + libadwaita).

use std::process::ExitCode;

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use crate::config::APP_ID;

struct App;

#[relm4::component]
impl SimpleComponent for App {
    type Init = ();
    type Input = ();
    type Output = ();

    view! {
        adw::ApplicationWindow {
            set_title: Some(&gettext("Paddock")),
            set_default_size: (960, 640),

            adw::ToolbarView {
                add_top_bar = &adw::HeaderBar {},
                #[wrap(Some)]
                set_content = &adw::StatusPage {
                    set_icon_name: Some("folder-symbolic"),
                    set_title: &gettext("No Projects"),
                    set_description: Some(&gettext("Drop a project folder here, or add one to run an agent in its own microVM")),
                },
            },
        }
    }

    fn init(_: (), root: Self::Root, _sender: ComponentSender<Self>) -> ComponentParts<Self> {
        let model = App;
        let widgets = view_output!();
        ComponentParts { model, widgets }
    }
}

pub fn run() -> ExitCode {
    let app = RelmApp::new(APP_ID);
    app.run::<App>(());
    ExitCode::SUCCESS
}
