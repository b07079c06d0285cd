//! The baseline for Paddock's cold start and idle memory (benches/run): the
//! smallest relm4 + libadwaita + VTE window, built with the same toolchain,
//! dependency versions and profile as the app. A header bar and one terminal
//! running a shell, nothing else.

use adw::prelude::*;
use relm4::prelude::*;
use vte4::prelude::*;

struct Baseline;

#[relm4::component]
impl SimpleComponent for Baseline {
    type Init = ();
    type Input = ();
    type Output = ();

    view! {
        adw::ApplicationWindow {
            set_title: Some("Baseline"),
            set_default_size: (1000, 700),

            adw::ToolbarView {
                add_top_bar = &adw::HeaderBar {},
                #[name = "terminal"]
                #[wrap(Some)]
                set_content = &vte4::Terminal {},
            },
        }
    }

    fn init(_: (), root: Self::Root, _sender: ComponentSender<Self>) -> ComponentParts<Self> {
        let widgets = view_output!();
        widgets.terminal.spawn_async(
            vte4::PtyFlags::DEFAULT,
            None,
            &["/bin/sh"],
            &[],
            gtk::glib::SpawnFlags::DEFAULT,
            || {},
            -1,
            None::<&gtk::gio::Cancellable>,
            |_| {},
        );
        ComponentParts {
            model: Baseline,
            widgets,
        }
    }
}

fn main() {
    // A separate application id, so that a running Paddock never absorbs the
    // baseline as its second instance.
    RelmApp::new("io.github.paddockapp.Paddock.Baseline").run::<Baseline>(());
}
