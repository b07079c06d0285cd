//! One sandbox in a terminal tab: the engine's attach stream fed into VTE,
//! keystrokes and pastes written to the sandbox's stdin, size changes sent
//! with resize. Dropping the component detaches; the sandbox keeps running.
//! Around the terminal: its context menu, search (Ctrl+Shift+F), and the
//! inbox: pasted images and dropped files are copied into it and their
//! paths typed ([`super::terminal_inbox`]).

use adw::prelude::*;
use gettextrs::gettext;
use gtk::{gdk, glib};
use relm4::prelude::*;
use tokio::sync::mpsc;
use vte4::prelude::*;

use std::path::PathBuf;

use super::terminal_inbox::{self, Inboxed};
use super::terminal_search::SearchBar;
use super::terminal_widget::TerminalFrame;
use crate::settings::{self, Settings};
use crate::ui::bridge;
use crate::ui::text::escape_markup;
use engine::{Output, Session};
use sandbox::guest::{NotAReport, Verdict};
use sandbox::messages::tr;

const ZOOM_STEP: f64 = 1.1;
/// How many output chunks are fed to VTE per main-loop wake-up at most.
const BATCH: usize = 256;

pub struct SandboxTerminal {
    terminal: vte4::Terminal,
    root: PathBuf,
    banner: adw::Banner,
    exited: Option<i64>,
    /// The attach stream broke (podman went away): the sandbox may run on,
    /// and a new terminal reattaches.
    lost: bool,
    /// Zoom and font are shared by every terminal: a change made in one (or
    /// with `gsettings`) reaches all of them through the settings.
    settings: Settings,
    follows_settings: Option<glib::SignalHandlerId>,
}

pub struct TerminalInit {
    /// The sandbox container's name.
    pub name: String,
    /// The project's name, which names the terminal for screen readers.
    pub title: String,
    /// The project's folder, whose inbox the terminal fills.
    pub root: PathBuf,
    pub session: Session,
    pub settings: Settings,
}

#[derive(Debug)]
pub enum TerminalMsg {
    Zoom(Option<f64>),
    RunAgain,
    /// Files and folders to copy into the inbox and type the paths of: a
    /// drop, or a file list pasted.
    CopyToInbox(Vec<PathBuf>),
    /// A pasted image, as PNG, to save in the inbox and type the path of.
    SaveImage(Vec<u8>),
    /// Something the user must hear about (a paste or drop refused).
    Toast(String),
    /// Close Terminal (the menu, Ctrl+Shift+W): the tab asks what to do
    /// with the sandbox.
    Close,
}

#[derive(Debug)]
pub enum TerminalCommand {
    Output(Vec<u8>),
    Verdict(Result<Verdict, NotAReport>),
    /// The attach stream ended; the exit code (or why it is unknown).
    Ended(Result<i64, Lost>),
    /// A copy into the inbox is done.
    Inboxed(Inboxed),
}

#[derive(Debug)]
pub enum TerminalOutput {
    Verdict(Result<Verdict, NotAReport>),
    Exited(i64),
    Lost(Lost),
    RunAgain,
    Toast(String),
    /// The user asked to close this terminal's tab.
    Close,
}

/// Why a terminal does not know how its sandbox's run ended: podman could
/// not be asked, maybe after the output stream broke.
#[derive(Debug)]
pub struct Lost {
    /// How the output stream broke, if it did not simply end.
    pub stream: Option<engine::Error>,
    pub wait: engine::Error,
}

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.stream {
            Some(stream) => write!(f, "{stream}; {}", self.wait),
            None => self.wait.fmt(f),
        }
    }
}

impl Component for SandboxTerminal {
    type Init = TerminalInit;
    type Input = TerminalMsg;
    type Output = TerminalOutput;
    type CommandOutput = TerminalCommand;
    type Root = gtk::Box;
    type Widgets = ();

    fn init_root() -> Self::Root {
        gtk::Box::new(gtk::Orientation::Vertical, 0)
    }

    fn init(
        init: TerminalInit,
        root: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let TerminalInit {
            name,
            title,
            root: project_root,
            session,
            settings,
        } = init;
        let banner = adw::Banner::builder()
            .button_label(gettext("_Reattach"))
            .revealed(false)
            .build();
        {
            let sender = sender.clone();
            banner.connect_button_clicked(move |_| sender.input(TerminalMsg::RunAgain));
        }
        let terminal = vte4::Terminal::new();
        terminal.add_css_class("paddock-terminal");
        let frame = TerminalFrame::new(&terminal);
        frame.set_vexpand(true);
        frame.set_hexpand(true);
        apply_settings(&terminal, &settings);
        let follows_settings = {
            let terminal = terminal.downgrade();
            settings.connect_terminal_changed(move |settings| {
                if let Some(terminal) = terminal.upgrade() {
                    apply_settings(&terminal, settings);
                }
            })
        };
        terminal.set_scrollback_lines(10_000);
        terminal.set_scroll_on_output(false);
        terminal.set_scroll_on_keystroke(true);
        terminal.update_property(&[gtk::accessible::Property::Label(&tr(
            "Terminal of {name}",
            &[("name", &title)],
        ))]);
        follow_style(&terminal);
        let search = SearchBar::new(&terminal);
        add_shortcuts(&terminal, &search, &sender);
        terminal_inbox::add_menu(&terminal, &search, &project_root, &sender);
        terminal.add_controller(terminal_inbox::drop_target(&sender));
        root.append(&banner);
        root.append(search.widget());
        root.append(&frame);

        let Session {
            mut output,
            mut input,
        } = session;

        // Keystrokes and pastes (VTE's "commit") go to the sandbox's stdin.
        let (keys, mut key_receiver) = mpsc::unbounded_channel::<Vec<u8>>();
        terminal.connect_commit(move |_, text, _| {
            let _ = keys.send(text.as_bytes().to_vec());
        });
        sender.command(move |_out, shutdown| {
            shutdown
                .register(async move {
                    while let Some(bytes) = key_receiver.recv().await {
                        if input.write(&bytes).await.is_err() {
                            break;
                        }
                    }
                })
                .drop_on_shutdown()
        });

        // The first allocation reports a size too. A reattached agent
        // redraws on a change of size only, and the size is most likely the
        // one it has: it is first told one row less, then the real size (a
        // new run's agent is only told its size twice before it draws).
        {
            let name = name.clone();
            let nudge = std::cell::Cell::new(true);
            frame.on_resize(move |columns, rows| {
                resize(&name, columns, rows, nudge.replace(false));
            });
        }

        {
            sender.command(move |out, shutdown| {
                shutdown
                    .register(async move {
                        let (chunks, mut received) = mpsc::unbounded_channel();
                        let forward = {
                            let out = out.clone();
                            async move {
                                while let Some(first) = received.recv().await {
                                    let batch: Vec<Vec<u8>> =
                                        bridge::batch(first, &mut received, BATCH);
                                    out.emit(TerminalCommand::Output(batch.concat()));
                                }
                            }
                        };
                        let read = async move {
                            let show = |bytes: Vec<u8>| {
                                if !bytes.is_empty() {
                                    let _ = chunks.send(bytes);
                                }
                            };
                            let mut failure = None;
                            while let Some(item) = output.next().await {
                                match item {
                                    Ok(Output::Stdout(bytes) | Output::Stderr(bytes)) => {
                                        show(bytes);
                                    }
                                    Ok(Output::Verdict(verdict)) => {
                                        out.emit(TerminalCommand::Verdict(verdict));
                                    }
                                    Err(error) => {
                                        failure = Some(error);
                                        break;
                                    }
                                }
                            }
                            drop(chunks);
                            (out, failure)
                        };
                        let ((out, failure), ()) = tokio::join!(read, forward);
                        let ended = match bridge::engine().await {
                            Ok(engine) => engine.wait(&name).await,
                            Err(error) => Err(error),
                        };
                        out.emit(TerminalCommand::Ended(ended.map_err(|wait| Lost {
                            stream: failure,
                            wait,
                        })));
                    })
                    .drop_on_shutdown()
            });
        }

        let model = SandboxTerminal {
            terminal,
            root: project_root,
            banner,
            exited: None,
            lost: false,
            settings,
            follows_settings,
        };
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, msg: TerminalMsg, sender: ComponentSender<Self>, _root: &Self::Root) {
        match msg {
            TerminalMsg::Zoom(factor) => {
                let scale = match factor {
                    Some(factor) => (self.terminal.font_scale() * factor)
                        .clamp(settings::ZOOM_RANGE.0, settings::ZOOM_RANGE.1),
                    None => settings::DEFAULTS.terminal_zoom,
                };
                // Applied here too, for when there are no settings to store it.
                self.terminal.set_font_scale(scale);
                self.settings.set_terminal_zoom(scale);
            }
            TerminalMsg::RunAgain => {
                let _ = sender.output(TerminalOutput::RunAgain);
            }
            TerminalMsg::CopyToInbox(paths) => {
                if self.is_live() {
                    terminal_inbox::copy_in(&self.root, paths, &sender);
                }
            }
            TerminalMsg::SaveImage(png) => {
                if self.is_live() {
                    terminal_inbox::save_image(&self.root, png, &sender);
                }
            }
            TerminalMsg::Toast(text) => {
                let _ = sender.output(TerminalOutput::Toast(text));
            }
            TerminalMsg::Close => {
                let _ = sender.output(TerminalOutput::Close);
            }
        }
    }

    fn update_cmd(
        &mut self,
        command: TerminalCommand,
        sender: ComponentSender<Self>,
        _root: &Self::Root,
    ) {
        match command {
            TerminalCommand::Output(bytes) => self.terminal.feed(&bytes),
            TerminalCommand::Inboxed(inboxed) => match inboxed.typed() {
                Ok((text, note)) => {
                    if self.is_live() {
                        self.terminal.paste_text(&text);
                    }
                    if let Some(note) = note {
                        let _ = sender.output(TerminalOutput::Toast(note));
                    }
                }
                Err(message) => {
                    let _ = sender.output(TerminalOutput::Toast(message));
                }
            },
            TerminalCommand::Verdict(verdict) => {
                let _ = sender.output(TerminalOutput::Verdict(verdict));
            }
            TerminalCommand::Ended(Ok(code)) => {
                self.exited = Some(code);
                // The page says how it ended, in its one banner and the
                // tab's title.
                self.terminal.set_input_enabled(false);
                let _ = sender.output(TerminalOutput::Exited(code));
            }
            TerminalCommand::Ended(Err(lost)) => {
                self.lost = true;
                self.terminal.set_input_enabled(false);
                self.banner.set_title(&escape_markup(&tr(
                    "The connection to the sandbox was lost: {error}",
                    &[("error", &lost)],
                )));
                self.banner.set_revealed(true);
                let _ = sender.output(TerminalOutput::Lost(lost));
            }
        }
    }

    fn shutdown(&mut self, _widgets: &mut Self::Widgets, _output: relm4::Sender<Self::Output>) {
        if let Some(handler) = self.follows_settings.take() {
            self.settings.disconnect(handler);
        }
    }
}

/// The user's zoom and font (the system's monospace font when none is set).
fn apply_settings(terminal: &vte4::Terminal, settings: &Settings) {
    terminal.set_font_scale(settings.terminal_zoom());
    terminal.set_font(settings.terminal_font().as_ref());
}

impl SandboxTerminal {
    /// Keyboard focus to the terminal, once it is on screen.
    pub fn focus(&self) {
        let terminal = self.terminal.downgrade();
        glib::idle_add_local_once(move || {
            if let Some(terminal) = terminal.upgrade() {
                terminal.grab_focus();
            }
        });
    }

    /// Still attached to a running sandbox: it has not exited and the
    /// connection to it holds.
    pub fn is_live(&self) -> bool {
        self.exited.is_none() && !self.lost
    }
}

/// Tells podman the new size, on the tokio side (`nudge`: one row less
/// first, so the agent sees a change and redraws); a failure (the sandbox
/// just ended) only means there is nothing left to resize.
fn resize(name: &str, columns: u16, rows: u16, nudge: bool) {
    let name = name.to_owned();
    relm4::spawn(async move {
        let Ok(engine) = bridge::engine().await else {
            return;
        };
        if nudge && rows > 1 {
            let _ = engine.resize(&name, columns, rows - 1).await;
        }
        if let Err(error) = engine.resize(&name, columns, rows).await {
            tracing::debug!("resize of {name} failed: {error}");
        }
    });
}

/// Ctrl+Shift+C/V copy and paste (a paste arrives as a commit, so it goes to
/// the sandbox like typing; an image or a file list goes to the inbox),
/// Ctrl+Shift+F search, Ctrl+Shift+W close; Ctrl +/-/0 zoom.
fn add_shortcuts(
    terminal: &vte4::Terminal,
    search: &SearchBar,
    sender: &ComponentSender<SandboxTerminal>,
) {
    let controller = gtk::ShortcutController::new();
    controller.set_scope(gtk::ShortcutScope::Local);
    let add = |accels: &str, action: gtk::CallbackAction| {
        controller.add_shortcut(gtk::Shortcut::new(
            gtk::ShortcutTrigger::parse_string(accels),
            Some(action),
        ));
    };
    add(
        "<Control><Shift>c",
        gtk::CallbackAction::new(|widget, _| {
            if let Some(terminal) = widget.downcast_ref::<vte4::Terminal>() {
                terminal.copy_clipboard_format(vte4::Format::Text);
            }
            glib::Propagation::Stop
        }),
    );
    {
        let sender = sender.clone();
        add(
            "<Control><Shift>v",
            gtk::CallbackAction::new(move |widget, _| {
                if let Some(terminal) = widget.downcast_ref::<vte4::Terminal>() {
                    terminal_inbox::paste(terminal, &sender);
                }
                glib::Propagation::Stop
            }),
        );
    }
    {
        let search = search.clone();
        add(
            "<Control><Shift>f",
            gtk::CallbackAction::new(move |_, _| {
                search.open();
                glib::Propagation::Stop
            }),
        );
    }
    {
        let sender = sender.clone();
        add(
            "<Control><Shift>w",
            gtk::CallbackAction::new(move |_, _| {
                sender.input(TerminalMsg::Close);
                glib::Propagation::Stop
            }),
        );
    }
    for (accels, factor) in [
        (
            "<Control>plus|<Control>equal|<Control>KP_Add",
            Some(ZOOM_STEP),
        ),
        ("<Control>minus|<Control>KP_Subtract", Some(1.0 / ZOOM_STEP)),
        ("<Control>0|<Control>KP_0", None),
    ] {
        let sender = sender.clone();
        add(
            accels,
            gtk::CallbackAction::new(move |_, _| {
                sender.input(TerminalMsg::Zoom(factor));
                glib::Propagation::Stop
            }),
        );
    }
    terminal.add_controller(controller);
}

/// Libadwaita's own light and dark colours, following the style as it changes.
fn follow_style(terminal: &vte4::Terminal) {
    add_padding();
    let manager = adw::StyleManager::default();
    apply_colours(terminal, manager.is_dark());
    let terminal = terminal.downgrade();
    manager.connect_dark_notify(move |manager| {
        if let Some(terminal) = terminal.upgrade() {
            apply_colours(&terminal, manager.is_dark());
        }
    });
}

fn apply_colours(terminal: &vte4::Terminal, dark: bool) {
    let (foreground, background) = if dark {
        ("#ffffff", "#1e1e1e")
    } else {
        ("#000000", "#ffffff")
    };
    let palette: Vec<gdk::RGBA> = if dark {
        [
            "#241f31", "#c01c28", "#2ec27e", "#f5c211", "#1e78e4", "#9841bb", "#0ab9dc", "#c0bfbc",
            "#5e5c64", "#ed333b", "#57e389", "#f8e45c", "#51a1ff", "#c061cb", "#4fd2fd", "#f6f5f4",
        ]
    } else {
        [
            "#241f31", "#c01c28", "#26a269", "#a2734c", "#1c71d8", "#813d9c", "#0b8aa0", "#c0bfbc",
            "#5e5c64", "#e01b24", "#2ec27e", "#e5a50a", "#3584e4", "#9141ac", "#1b9fb6", "#f6f5f4",
        ]
    }
    .iter()
    .filter_map(|c| gdk::RGBA::parse(*c).ok())
    .collect();
    let palette: Vec<&gdk::RGBA> = palette.iter().collect();
    let fg = gdk::RGBA::parse(foreground).ok();
    let bg = gdk::RGBA::parse(background).ok();
    terminal.set_colors(fg.as_ref(), bg.as_ref(), &palette);
}

/// Room around the text, as in Console and Ptyxis: once per display.
fn add_padding() {
    thread_local! {
        static ADDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if ADDED.with(|added| added.replace(true)) {
        return;
    }
    let Some(display) = gdk::Display::default() else {
        return;
    };
    let provider = gtk::CssProvider::new();
    provider.load_from_string("vte-terminal.paddock-terminal { padding: 12px; }");
    gtk::style_context_add_provider_for_display(
        &display,
        &provider,
        gtk::STYLE_PROVIDER_PRIORITY_APPLICATION,
    );
}
