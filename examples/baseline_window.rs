//! The baseline for Paddock's cold start and idle memory (benches/run): the
//! smallest relm4 + libadwaita + VTE window, built with the same toolchain,
//! dependency versions and profile as the app. A header bar and tabs of
//! terminals, each running a shell, nothing else.
//!
//!     baseline_window [TABS]    (default: one tab)

use adw::prelude::*;
use relm4::prelude::*;
use vte4::prelude::*;

struct Baseline;

#[relm4::component]
impl SimpleComponent for Baseline {
    type Init = usize;
    type Input = ();
    type Output = ();

    view! {
        adw::ApplicationWindow {
            set_title: Some("Baseline"),
            set_default_size: (1000, 700),

            adw::ToolbarView {
                add_top_bar = &adw::HeaderBar {},
                add_top_bar = &adw::TabBar {
                    set_view: Some(&tabs),
                },
                #[name = "tabs"]
                #[wrap(Some)]
                set_content = &adw::TabView {},
            },
        }
    }

    fn init(
        count: usize,
        root: Self::Root,
        _sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let widgets = view_output!();
        for number in 1..=count {
            let terminal = vte4::Terminal::new();
            terminal.spawn_async(
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
            let page = widgets.tabs.append(&terminal);
            page.set_title(&format!("Shell {number}"));
        }
        ComponentParts {
            model: Baseline,
            widgets,
        }
    }
}

fn main() {
    let count = std::env::args()
        .nth(1)
        .and_then(|count| count.parse().ok())
        .unwrap_or(1);
    // A separate application id, so that a running Paddock never absorbs the
    // baseline as its second instance; no arguments for GApplication to parse.
    RelmApp::new("io.github.paddockapp.Paddock.Baseline")
        .with_args(Vec::new())
        .run::<Baseline>(count);
}
