//! The Terminal view of a project: one tab per attached run of its sandbox,
//! and the question asked when a live one is closed. How a tab's run ended
//! is put in its title by the page, which knows whether it was stopped.

use std::path::PathBuf;

use adw::prelude::*;
use gettextrs::gettext;
use gtk::glib;
use relm4::prelude::*;

use crate::settings::Settings;
use crate::ui::components::terminal::{Lost, SandboxTerminal, TerminalInit, TerminalOutput};
use engine::Session;
use sandbox::guest::{NotAReport, Verdict};

pub struct Terminals {
    tabs: adw::TabView,
    open: Vec<(adw::TabPage, Controller<SandboxTerminal>)>,
    /// Each terminal's reports name its tab: the one that ended is renamed,
    /// not the first that did.
    next_tab: u64,
    ids: Vec<u64>,
    /// The project's name, the title of its tabs.
    title: String,
    /// The project's folder, whose inbox its terminals fill.
    root: PathBuf,
    /// The terminals' zoom and font.
    settings: Settings,
    /// Where the terminals of tabs that [`Terminals::attach`] opens report.
    sender: ComponentSender<Terminals>,
}

/// An attached sandbox on its way from tokio to a terminal tab.
pub struct Attached {
    pub name: String,
    pub session: Session,
}

impl std::fmt::Debug for Attached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attached")
            .field("name", &self.name)
            .finish()
    }
}

pub struct TerminalsInit {
    pub title: String,
    pub root: PathBuf,
    pub settings: Settings,
}

#[derive(Debug)]
pub enum TerminalsMsg {
    /// Brings up the live terminal and gives it the keyboard.
    Focus,
    Close(adw::TabPage),
    /// The user's answer to "stop the sandbox?" when closing its tab.
    CloseAnswered(adw::TabPage, CloseAnswer),
    Terminal(u64, TerminalOutput),
}

#[derive(Debug, Clone, Copy)]
pub enum CloseAnswer {
    Cancel,
    Detach,
    Stop,
}

#[derive(Debug)]
pub enum TerminalsOutput {
    Verdict(Result<Verdict, NotAReport>),
    /// The run in this tab ended with this code.
    Exited {
        tab: u64,
        code: i64,
    },
    Lost(Lost),
    RunAgain,
    Toast(String),
    /// A tab was closed; `stop`: the user asked to stop the sandbox too.
    Closed {
        stop: bool,
    },
}

#[relm4::component(pub)]
impl Component for Terminals {
    type Init = TerminalsInit;
    type Input = TerminalsMsg;
    type Output = TerminalsOutput;
    type CommandOutput = ();

    view! {
        gtk::Box {
            set_orientation: gtk::Orientation::Vertical,

            // Shown once a second tab opens, as in Ptyxis and Console.
            adw::TabBar {
                set_view: Some(tabs),
                set_autohide: true,
                #[watch]
                set_visible: model.has_tabs(),
            },
            #[local_ref]
            tabs -> adw::TabView {
                set_vexpand: true,
                // Alt+digit and Ctrl+Page Up/Down are the app's ways out of
                // the terminal (to a view, to another project).
                set_shortcuts: adw::TabViewShortcuts::NONE,
                #[watch]
                set_visible: model.has_tabs(),
                connect_close_page[sender] => move |_, page| {
                    sender.input(TerminalsMsg::Close(page.clone()));
                    glib::Propagation::Stop
                },
            },
        }
    }

    fn init(
        init: TerminalsInit,
        root: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let model = Terminals {
            tabs: adw::TabView::new(),
            open: Vec::new(),
            next_tab: 0,
            ids: Vec::new(),
            title: init.title,
            root: init.root,
            settings: init.settings,
            sender: sender.clone(),
        };
        let tabs = &model.tabs;
        let widgets = view_output!();
        ComponentParts { model, widgets }
    }

    fn update(&mut self, msg: TerminalsMsg, sender: ComponentSender<Self>, _root: &Self::Root) {
        match msg {
            TerminalsMsg::Focus => {
                if let Some((tab, terminal)) = self.live() {
                    self.tabs.set_selected_page(tab);
                    terminal.model().focus();
                }
            }
            TerminalsMsg::Close(page) => self.ask_close(page, &sender),
            TerminalsMsg::CloseAnswered(page, answer) => {
                let stop = matches!(answer, CloseAnswer::Stop);
                let close = !matches!(answer, CloseAnswer::Cancel);
                if close && let Some(i) = self.open.iter().position(|(tab, _)| tab == &page) {
                    // Dropping the terminal detaches; the sandbox keeps running.
                    self.open.remove(i);
                    self.ids.remove(i);
                }
                self.tabs.close_page_finish(&page, close);
                if close {
                    let _ = sender.output(TerminalsOutput::Closed { stop });
                }
            }
            TerminalsMsg::Terminal(id, output) => self.terminal_output(id, output, &sender),
        }
    }
}

impl Terminals {
    /// Whether a terminal is still attached to the sandbox's current run.
    pub fn has_live(&self) -> bool {
        self.live().is_some()
    }

    /// Whether any tab is open, live or showing how its run ended.
    pub fn has_tabs(&self) -> bool {
        !self.open.is_empty()
    }

    fn live(&self) -> Option<&(adw::TabPage, Controller<SandboxTerminal>)> {
        self.open
            .iter()
            .find(|(_, terminal)| terminal.model().is_live())
    }

    /// A new tab for an attached sandbox, brought up (at once, so that the
    /// page knows right away that a live terminal is there).
    pub fn attach(&mut self, attached: Attached) {
        let Attached { name, session } = attached;
        let id = self.next_tab;
        self.next_tab += 1;
        let terminal = SandboxTerminal::builder()
            .launch(TerminalInit {
                name: name.clone(),
                title: self.title.clone(),
                root: self.root.clone(),
                session,
                settings: self.settings.clone(),
            })
            .forward(self.sender.input_sender(), move |output| {
                TerminalsMsg::Terminal(id, output)
            });
        let tab = self.tabs.append(terminal.widget());
        tab.set_title(&self.title);
        tab.set_tooltip(&name);
        self.tabs.set_selected_page(&tab);
        terminal.model().focus();
        self.open.push((tab, terminal));
        self.ids.push(id);
    }

    /// Says in a tab's title (and its tooltip, with the detail) how its run
    /// ended.
    pub fn ended(&self, id: u64, title: &str, detail: &str) {
        if let Some(i) = self.ids.iter().position(|&tab| tab == id) {
            let tab = &self.open[i].0;
            tab.set_title(title);
            tab.set_tooltip(detail);
        }
    }

    /// The project's name, the title of a tab that runs.
    pub fn title(&self) -> &str {
        &self.title
    }

    fn terminal_output(&mut self, id: u64, output: TerminalOutput, sender: &ComponentSender<Self>) {
        let output = match output {
            TerminalOutput::Verdict(verdict) => TerminalsOutput::Verdict(verdict),
            TerminalOutput::Exited(code) => TerminalsOutput::Exited { tab: id, code },
            TerminalOutput::Lost(lost) => TerminalsOutput::Lost(lost),
            TerminalOutput::RunAgain => TerminalsOutput::RunAgain,
            TerminalOutput::Toast(text) => TerminalsOutput::Toast(text),
            TerminalOutput::Close => {
                // The menu and the key act on the terminal in view.
                if let Some(page) = self.tabs.selected_page() {
                    self.tabs.close_page(&page);
                }
                return;
            }
        };
        let _ = sender.output(output);
    }

    fn ask_close(&mut self, page: adw::TabPage, sender: &ComponentSender<Self>) {
        let live = self
            .open
            .iter()
            .any(|(tab, terminal)| tab == &page && terminal.model().is_live());
        if !live {
            sender.input(TerminalsMsg::CloseAnswered(page, CloseAnswer::Detach));
            return;
        }
        let dialog = adw::AlertDialog::new(
            Some(&gettext("Stop the Sandbox?")),
            Some(&gettext(
                "Closing the terminal leaves the agent running; you can reattach later. Or stop the sandbox now.",
            )),
        );
        dialog.add_responses(&[
            ("cancel", &gettext("_Cancel")),
            ("detach", &gettext("_Keep Running")),
            ("stop", &gettext("_Stop")),
        ]);
        dialog.set_response_appearance("stop", adw::ResponseAppearance::Destructive);
        dialog.set_default_response(Some("detach"));
        dialog.set_close_response("cancel");
        let sender = sender.clone();
        dialog.connect_response(None, move |_, response| {
            let answer = match response {
                "detach" => CloseAnswer::Detach,
                "stop" => CloseAnswer::Stop,
                _ => CloseAnswer::Cancel,
            };
            sender.input(TerminalsMsg::CloseAnswered(page.clone(), answer));
        });
        dialog.present(Some(&self.tabs));
    }
}
