//! One project: its sandbox definition as preference rows, the build, and the
//! terminals of its running sandbox.
//!
//! The page holds the project's [`Phase`] and what last happened, and shows
//! them through [`look`] (which derives every label, the one banner, the
//! sidebar's badge and the views' empty pages from them); its Sandbox view
//! ([`definition`]), Terminal view ([`terminals`]), Changes view
//! ([`changes`]) and Network view ([`network`]) are components of their
//! own, and what it asks of podman runs on tokio ([`jobs`]).

mod changes;
mod definition;
mod header;
mod jobs;
pub mod look;
mod network;
mod phase;
mod terminals;

use std::path::PathBuf;

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;
use tokio_util::sync::CancellationToken;

use crate::settings::Settings;
use crate::ui::components::build_log::{BuildLog, BuildRequest};
use crate::ui::components::review_dialog::{self, AfterReview};
use crate::ui::error::Error;
use crate::ui::project_plan;
use crate::ui::status::ProjectStatus;
use changes::{ChangesMsg, ChangesOutput, ChangesView};
use definition::{DefinitionEditor, DefinitionInit, DefinitionOutput};
use engine::{BuildEvent, BuildOutcome, Change};
use header::VerdictLook;
use look::BannerLook;
use network::{NetworkMsg, NetworkOutput, NetworkView};
use phase::{Outcome, Phase};
use sandbox::approval::{Review, Status};
use sandbox::exit::ExitKind;
use sandbox::guest::{NotAReport, Verdict};
use sandbox::messages::tr;
use sandbox::project::Project;
use terminals::{Attached, Terminals, TerminalsInit, TerminalsMsg, TerminalsOutput};

pub struct ProjectPage {
    path: PathBuf,
    project: Project,
    phase: Phase,
    /// Whether the image for the saved definition exists (`None`: podman
    /// has not answered yet).
    built: Option<bool>,
    /// How the last build or run ended.
    outcome: Option<Outcome>,
    /// The Sandbox, Build and Terminal views.
    stack: adw::ViewStack,
    /// Why the definition waits for the user's review, if it does.
    review: Option<Status>,
    /// The banner's last words, kept while it hides.
    banner: Option<BannerLook>,
    banner_revealed: bool,
    /// The badge the sidebar was last told.
    shown_status: Option<ProjectStatus>,
    /// What the sandbox's last start reported about its isolation.
    verdict: Option<VerdictLook>,
    /// Icons instead of labels in the header, for narrow windows.
    compact: bool,
    /// The definition cannot be built or run as it stands: `paddock.toml`
    /// is broken or the form holds a value that is not valid.
    unusable: bool,
    build_log: BuildLog,
    definition: Controller<DefinitionEditor>,
    terminals: Controller<Terminals>,
    changes: Controller<ChangesView>,
    network: Controller<NetworkView>,
}

pub struct ProjectPageInit {
    pub project: Project,
    pub settings: Settings,
}

#[derive(Debug)]
pub enum ProjectPageMsg {
    Build,
    /// A button of the Build view.
    BuildView(BuildRequest),
    Run,
    Stop,
    /// The header button: Run, or Stop while the sandbox runs.
    RunOrStop,
    /// The window became narrow (or wide again).
    Compact(bool),
    /// podman reported a change of this project's sandbox.
    Sandbox(Change),
    /// podman is back after an outage: look at the image and sandbox again.
    Recheck,
    Definition(DefinitionOutput),
    Terminals(TerminalsOutput),
    /// Show what the last run changed.
    ShowChanges,
    Changes(ChangesOutput),
    Network(NetworkOutput),
    /// A blocked-host notification's Allow (`host` or `host:port`).
    AllowHost(String),
    /// The banner's button.
    BannerClicked,
    /// Brings up the view at this place of the switcher (Alt+1, Alt+2, ...)
    /// and moves the keyboard focus into it, out of the terminal.
    ShowView(u32),
    /// The user's answer to the review dialog.
    ReviewAnswered {
        review: Box<Review>,
        after: AfterReview,
        approved: bool,
    },
}

#[derive(Debug)]
pub enum ProjectPageCommand {
    /// Whether the image for the current definition exists, and whether the
    /// sandbox runs.
    Checked {
        built: bool,
        running: bool,
        /// The exit code of a sandbox that ended (maybe while Paddock was
        /// not running).
        exited: Option<i64>,
        /// The verdict of the sandbox's last start, read back from podman.
        verdict: Option<Verdict>,
        /// Why the definition needs the user's review first, if it does.
        review: Option<Status>,
    },
    /// The definition must be reviewed before it is built or run.
    NeedsReview(Box<Review>, AfterReview),
    /// podman could not be asked: what the page shows stays as it is.
    Unknown,
    /// The image must be built before the sandbox can run.
    NeedsBuild,
    Attached(Result<Attached, Error>),
    Stopped(Result<(), engine::Error>),
    BuildEvents(Vec<BuildEvent>),
    BuildDone(Result<BuildOutcome, Error>),
}

#[derive(Debug)]
pub enum ProjectPageOutput {
    Status(PathBuf, ProjectStatus),
    Toast(String),
    Error {
        heading: String,
        body: String,
    },
    /// Worth a desktop notification when the window is in the background.
    Notify {
        path: PathBuf,
        title: String,
        body: String,
    },
    /// The sandbox was refused `entry` for the first time in its run: a
    /// notification with Allow and Ignore when the window is in the
    /// background.
    Blocked {
        path: PathBuf,
        entry: String,
    },
}

#[relm4::component(pub)]
impl Component for ProjectPage {
    type Init = ProjectPageInit;
    type Input = ProjectPageMsg;
    type Output = ProjectPageOutput;
    type CommandOutput = ProjectPageCommand;

    view! {
        #[root]
        gtk::Box {
            set_orientation: gtk::Orientation::Vertical,

            adw::Banner {
                #[watch]
                set_title: model.banner.as_ref().map_or("", |banner| banner.title.as_str()),
                #[watch]
                set_button_label: model.banner.as_ref().map(|banner| banner.button.as_str()),
                #[watch]
                set_class_active: ("warning", model.banner.as_ref().is_some_and(|banner| banner.warning)),
                #[watch]
                set_revealed: model.banner_revealed,
                connect_button_clicked => ProjectPageMsg::BannerClicked,
            },

            #[name = "switcher"]
            adw::InlineViewSwitcher {
                set_stack: Some(stack),
                set_halign: gtk::Align::Center,
                // Icons alone in a narrow window: five labels do not fit in 360 px.
                #[watch]
                set_display_mode: if model.compact {
                    adw::InlineViewSwitcherDisplayMode::Icons
                } else {
                    adw::InlineViewSwitcherDisplayMode::Labels
                },
                set_margin_top: 6,
                set_margin_bottom: 6,
            },

            // Sized by the visible view alone, so that a short window fits.
            #[local_ref]
            stack -> adw::ViewStack {
                set_vexpand: true,
                set_vhomogeneous: false,
                set_hhomogeneous: false,

                #[local_ref]
                add_titled_with_icon[Some("settings"), &gettext("Sandbox"), "preferences-system-symbolic"] =
                    settings_view -> adw::Bin {},
                #[local_ref]
                add_titled_with_icon[Some("build"), &gettext("Build"), "package-x-generic-symbolic"] =
                    build_view -> gtk::Stack {},
                add_titled_with_icon[Some("terminal"), &gettext("Terminal"), "utilities-terminal-symbolic"] =
                    &gtk::Stack {
                        #[local_ref]
                        add_named[Some("tabs")] = terminal_tabs -> gtk::Box {},
                        add_named[Some("empty")] = &adw::StatusPage {
                            set_vexpand: true,
                            #[watch]
                            set_icon_name: Some(model.look().terminal_page().icon),
                            #[watch]
                            set_title: &model.look().terminal_page().title,
                            #[watch]
                            set_description: Some(&model.look().terminal_page().description),

                            #[wrap(Some)]
                            set_child = &gtk::Button {
                                set_halign: gtk::Align::Center,
                                set_use_underline: true,
                                add_css_class: "pill",
                                add_css_class: "suggested-action",
                                #[watch]
                                set_label: &model.look().terminal_page().button.unwrap_or_default(),
                                #[watch]
                                set_visible: model.look().terminal_page().button.is_some(),
                                connect_clicked => ProjectPageMsg::Run,
                            },
                        },
                        #[watch]
                        set_visible_child_name: if model.terminals.model().has_tabs() { "tabs" } else { "empty" },
                    },
                #[local_ref]
                add_titled_with_icon[Some("changes"), &gettext("Changes"), "document-edit-symbolic"] =
                    changes_view -> gtk::Box {},
                #[local_ref]
                add_titled_with_icon[Some("network"), &gettext("Network"), "network-wired-symbolic"] =
                    network_view -> gtk::Stack {},
            },
        },

        // The isolation verdict and the Build and Run buttons, which the
        // window puts into its header bar while the project is shown.
        #[name = "header"]
        gtk::Box {
            set_spacing: 6,

            // A button, as Epiphany's security indicator is: its popover
            // says what the isolation means for this project.
            gtk::MenuButton {
                set_valign: gtk::Align::Center,
                add_css_class: "flat",
                add_css_class: "isolation",
                #[watch]
                set_visible: model.verdict.is_some(),
                #[watch]
                set_class_active: ("success", model.verdict_class() == Some("success")),
                #[watch]
                set_class_active: ("warning", model.verdict_class() == Some("warning")),
                #[watch]
                set_class_active: ("error", model.verdict_class() == Some("error")),
                #[watch]
                set_tooltip_text: model.verdict.as_ref().map(|look| look.detail.as_str()),
                #[watch]
                update_property: &[gtk::accessible::Property::Label(
                    model.verdict.as_ref().map_or("", |look| look.accessible.as_str()),
                )],

                #[wrap(Some)]
                set_child = &gtk::Box {
                    set_spacing: 6,

                    gtk::Image {
                        #[watch]
                        set_icon_name: model.verdict.as_ref().map(|look| look.icon),
                    },
                    gtk::Label {
                        add_css_class: "caption-heading",
                        #[watch]
                        set_label?: model.verdict.as_ref().map(|look| look.text.as_str()),
                        #[watch]
                        set_visible: !model.compact,
                    },
                },

                #[wrap(Some)]
                set_popover = &gtk::Popover {
                    #[wrap(Some)]
                    set_child = &gtk::Box {
                        set_orientation: gtk::Orientation::Vertical,
                        set_spacing: 6,
                        set_margin_all: 6,

                        gtk::Label {
                            add_css_class: "heading",
                            set_xalign: 0.0,
                            set_wrap: true,
                            #[watch]
                            set_label?: model.verdict.as_ref().map(|look| look.heading.as_str()),
                        },
                        gtk::Label {
                            set_xalign: 0.0,
                            set_wrap: true,
                            set_max_width_chars: 40,
                            #[watch]
                            set_label?: model.verdict.as_ref().map(|look| look.explanation.as_str()),
                        },
                        gtk::Label {
                            add_css_class: "dim-label",
                            set_xalign: 0.0,
                            set_wrap: true,
                            set_max_width_chars: 40,
                            #[watch]
                            set_visible: model.verdict.as_ref().and_then(VerdictLook::extra_detail).is_some(),
                            #[watch]
                            set_label: model.verdict.as_ref().and_then(VerdictLook::extra_detail).unwrap_or_default(),
                        },
                    },
                },
            },

            gtk::Button {
                #[watch]
                set_tooltip_text: Some(&if model.unusable {
                    header::fix_first()
                } else {
                    header::build_button().tooltip
                }),
                update_property: &[gtk::accessible::Property::Label(&header::build_button().accessible)],
                #[watch]
                set_sensitive: model.phase.can_build() && !model.unusable,
                // A 360 px header has no room for it beside the title, Run
                // and the window's buttons: the Build view has its own
                // Build button, and Ctrl+Shift+B builds from anywhere.
                #[watch]
                set_visible: !model.compact,
                #[wrap(Some)]
                set_child = &adw::ButtonContent {
                    set_label: &header::build_button().label,
                    set_icon_name: header::build_button().icon,
                    set_use_underline: true,
                },
                connect_clicked => ProjectPageMsg::Build,
            },

            gtk::Button {
                #[watch]
                set_tooltip_text: Some(&if model.unusable && !model.phase.is_running() {
                    header::fix_first()
                } else {
                    header::run_button(&model.phase).tooltip
                }),
                #[watch]
                update_property: &[gtk::accessible::Property::Label(
                    &header::run_button(&model.phase).accessible,
                )],
                // Stop stays: a running sandbox can always be stopped.
                #[watch]
                set_sensitive: model.phase.can_run_or_stop()
                    && (model.phase.is_running() || !model.unusable),
                #[watch]
                set_child: Some(if matches!(model.phase, Phase::Stopping { .. }) {
                    stopping_content.upcast_ref::<gtk::Widget>()
                } else if model.compact {
                    run_icon.upcast_ref()
                } else {
                    run_content.upcast_ref()
                }),
                #[watch]
                set_class_active: ("image-button", model.compact),
                #[watch]
                set_class_active: ("suggested-action", !model.phase.is_running()),
                #[watch]
                set_class_active: ("destructive-action", model.phase.is_running()),
                connect_clicked => ProjectPageMsg::RunOrStop,
            },
        },

        // Run's content, labelled or (compact) an icon alone.
        #[name = "run_content"]
        adw::ButtonContent {
            set_use_underline: true,
            #[watch]
            set_label: &header::run_button(&model.phase).label,
            #[watch]
            set_icon_name: header::run_button(&model.phase).icon,
        },
        #[name = "run_icon"]
        gtk::Image {
            #[watch]
            set_icon_name: Some(header::run_button(&model.phase).icon),
        },
        // Stop was pressed: a spinner until the sandbox's end is reported.
        #[name = "stopping_content"]
        gtk::Box {
            set_spacing: 6,
            adw::Spinner {},
            gtk::Label {
                set_label: &header::run_button(&Phase::Stopping { build: None }).label,
                #[watch]
                set_visible: !model.compact,
            },
        },
    }

    fn init(
        init: ProjectPageInit,
        root: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let ProjectPageInit {
            project,
            settings: preferences,
        } = init;
        let definition = DefinitionEditor::builder()
            .launch(DefinitionInit {
                project: project.clone(),
                preferences: preferences.clone(),
            })
            .forward(sender.input_sender(), ProjectPageMsg::Definition);
        let build_log = {
            let sender = sender.clone();
            BuildLog::new(move |request| sender.input(ProjectPageMsg::BuildView(request)))
        };
        let terminals = Terminals::builder()
            .launch(TerminalsInit {
                title: project.folder_name(),
                root: project.root().to_path_buf(),
                settings: preferences,
            })
            .forward(sender.input_sender(), ProjectPageMsg::Terminals);
        let changes = ChangesView::builder()
            .launch(project.root().to_path_buf())
            .forward(sender.input_sender(), ProjectPageMsg::Changes);
        let network = NetworkView::builder()
            .launch(project.clone())
            .forward(sender.input_sender(), ProjectPageMsg::Network);
        let mut model = ProjectPage {
            path: project.root().to_path_buf(),
            project,
            phase: Phase::Idle,
            built: None,
            outcome: None,
            stack: adw::ViewStack::new(),
            review: None,
            banner: None,
            banner_revealed: false,
            shown_status: None,
            verdict: None,
            compact: false,
            unusable: false,
            build_log,
            definition,
            terminals,
            changes,
            network,
        };
        let stack = &model.stack;
        let settings_view = model.definition.widget();
        let build_view = &model.build_log.root;
        let terminal_tabs = model.terminals.widget();
        let changes_view = model.changes.widget();
        let network_view = model.network.widget();
        let widgets = view_output!();
        widgets
            .switcher
            .upcast_ref::<gtk::Widget>()
            .update_property(&[gtk::accessible::Property::Label(&gettext("Project views"))]);
        model.check_image(&sender);
        model.publish(&sender);
        ComponentParts { model, widgets }
    }

    fn update(&mut self, msg: ProjectPageMsg, sender: ComponentSender<Self>, _root: &Self::Root) {
        self.handle(msg, &sender);
        self.publish(&sender);
    }

    fn update_cmd(
        &mut self,
        command: ProjectPageCommand,
        sender: ComponentSender<Self>,
        _root: &Self::Root,
    ) {
        self.handle_command(command, &sender);
        self.publish(&sender);
    }
}

impl ProjectPage {
    fn handle(&mut self, msg: ProjectPageMsg, sender: &ComponentSender<Self>) {
        let sender = sender.clone();
        match msg {
            ProjectPageMsg::Build | ProjectPageMsg::BuildView(BuildRequest::Build) => {
                if self.phase.can_build() {
                    self.build(false, &sender);
                }
            }
            ProjectPageMsg::BuildView(BuildRequest::Cancel) => {
                if let Some(build) = self.phase.build() {
                    build.cancel.cancel();
                    self.build_log.cancelling();
                }
            }
            ProjectPageMsg::BuildView(BuildRequest::OpenSettings) => {
                self.stack.set_visible_child_name("settings");
            }
            ProjectPageMsg::Run => self.run(&sender),
            ProjectPageMsg::Stop => self.stop(&sender),
            ProjectPageMsg::RunOrStop => {
                if self.phase.is_running() {
                    self.stop(&sender);
                } else {
                    self.run(&sender);
                }
            }
            ProjectPageMsg::Compact(compact) => self.compact = compact,
            ProjectPageMsg::Sandbox(change) => self.sandbox_changed(change, &sender),
            ProjectPageMsg::Recheck => self.check_image(&sender),
            ProjectPageMsg::Definition(output) => match output {
                DefinitionOutput::Changed => {
                    self.network.emit(NetworkMsg::Changed);
                    self.check_image(&sender);
                }
                DefinitionOutput::Usable(usable) => self.unusable = !usable,
                DefinitionOutput::Toast(text) => {
                    let _ = sender.output(ProjectPageOutput::Toast(text));
                }
                DefinitionOutput::Error { heading, body } => {
                    let _ = sender.output(ProjectPageOutput::Error { heading, body });
                }
            },
            ProjectPageMsg::Terminals(output) => self.terminals_output(output, &sender),
            ProjectPageMsg::ShowView(index) => self.show_view(index),
            ProjectPageMsg::ShowChanges => {
                self.stack.set_visible_child_name("changes");
                self.changes.emit(ChangesMsg::Refresh);
            }
            ProjectPageMsg::Changes(ChangesOutput::Notify { title, body }) => {
                let _ = sender.output(ProjectPageOutput::Notify {
                    path: self.path.clone(),
                    title,
                    body,
                });
            }
            ProjectPageMsg::Changes(ChangesOutput::Error { heading, body })
            | ProjectPageMsg::Network(NetworkOutput::Error { heading, body }) => {
                let _ = sender.output(ProjectPageOutput::Error { heading, body });
            }
            ProjectPageMsg::Network(NetworkOutput::Toast(text)) => {
                let _ = sender.output(ProjectPageOutput::Toast(text));
            }
            // Publishing after every message brings the banner in line.
            ProjectPageMsg::Network(NetworkOutput::GatewayChanged) => {}
            ProjectPageMsg::Network(NetworkOutput::Blocked(entry)) => {
                let _ = sender.output(ProjectPageOutput::Blocked {
                    path: self.path.clone(),
                    entry,
                });
            }
            ProjectPageMsg::AllowHost(entry) => self.network.emit(NetworkMsg::Allow(entry)),
            ProjectPageMsg::BannerClicked => match self.banner.as_ref().map(|b| b.action) {
                Some(look::Action::Review) => {
                    self.review(AfterReview::Nothing, &sender);
                }
                Some(look::Action::Run) => self.run(&sender),
                Some(look::Action::RestartGateway) => {
                    self.network.emit(NetworkMsg::RestartGateway);
                }
                None => {}
            },
            ProjectPageMsg::ReviewAnswered {
                review,
                after,
                approved,
            } => {
                if !approved {
                    return;
                }
                if let Err(error) = project_plan::approve(&self.project, &review) {
                    let _ = sender.output(ProjectPageOutput::Error {
                        heading: gettext("The Definition Was Not Approved"),
                        body: error.to_string(),
                    });
                    self.check_image(&sender);
                    return;
                }
                self.review = None;
                match after {
                    AfterReview::Build => self.build(false, &sender),
                    AfterReview::Run => self.run(&sender),
                    AfterReview::Nothing => self.check_image(&sender),
                }
            }
        }
    }

    fn handle_command(&mut self, command: ProjectPageCommand, sender: &ComponentSender<Self>) {
        let sender = sender.clone();
        match command {
            ProjectPageCommand::Unknown => {}
            ProjectPageCommand::Checked {
                built,
                running,
                exited,
                verdict,
                review,
            } => {
                let first = self.built.is_none();
                self.built = Some(built);
                self.review = review;
                if let Some(verdict) = verdict
                    && self.verdict.is_none()
                {
                    self.show_verdict(&Ok(verdict), &sender, false);
                }
                let live = self.terminals.model().has_live();
                if running {
                    self.phase.seen_running();
                    self.network.emit(NetworkMsg::Running);
                } else if matches!(self.phase, Phase::Running { .. } | Phase::Stopping { .. })
                    && !live
                {
                    // Its end was not reported (podman was away).
                    self.run_ended(exited, None, &sender);
                } else if first && let Some(code) = exited {
                    // It ended while Paddock was not looking: say how.
                    self.outcome = Some(Outcome::Exited(code));
                }
            }
            ProjectPageCommand::NeedsReview(review, after) => {
                if after == AfterReview::Run {
                    self.phase.start_failed();
                }
                self.present_review(review, after, &sender);
            }
            ProjectPageCommand::NeedsBuild => self.build(true, &sender),
            ProjectPageCommand::Attached(Ok(attached)) => self.attach(attached),
            ProjectPageCommand::Attached(Err(error)) => {
                self.phase.start_failed();
                let _ = sender.output(ProjectPageOutput::Error {
                    heading: gettext("The Sandbox Could Not Start"),
                    body: error.to_string(),
                });
                self.check_image(&sender);
            }
            ProjectPageCommand::Stopped(Ok(())) => {
                // Stopping until the end is reported: by the terminal, an
                // event, or (should both be missed) this check.
                self.check_image(&sender);
            }
            ProjectPageCommand::Stopped(Err(error)) => {
                self.phase.stop_failed();
                let _ = sender.output(ProjectPageOutput::Error {
                    heading: gettext("The Sandbox Could Not Be Stopped"),
                    body: error.to_string(),
                });
            }
            ProjectPageCommand::BuildEvents(events) => {
                let mut lines = Vec::new();
                for event in events {
                    match event {
                        BuildEvent::Log(line) => lines.push(line),
                        BuildEvent::Step(step) => {
                            self.build_log.append(&lines);
                            lines.clear();
                            self.build_log.step(&step);
                        }
                    }
                }
                self.build_log.append(&lines);
            }
            ProjectPageCommand::BuildDone(result) => {
                let then_run = self.phase.build_ended();
                let name = self.name();
                match result {
                    Ok(outcome) => {
                        self.build_log
                            .finished(outcome == BuildOutcome::AlreadyBuilt);
                        self.built = Some(true);
                        self.outcome = None;
                        if then_run {
                            self.run(&sender);
                        }
                        let _ = sender.output(ProjectPageOutput::Notify {
                            path: self.path.clone(),
                            title: tr("{name} is built", &[("name", &name)]),
                            body: gettext("The sandbox is ready to run."),
                        });
                    }
                    Err(Error::Engine(engine::Error::Cancelled)) => {
                        self.build_log.cancelled();
                        self.outcome = None;
                        let _ = sender.output(ProjectPageOutput::Toast(gettext("Build cancelled")));
                    }
                    Err(error) => {
                        let message = error.to_string();
                        self.build_log.failed(&message);
                        self.outcome = Some(Outcome::BuildFailed);
                        let _ = sender.output(ProjectPageOutput::Notify {
                            path: self.path.clone(),
                            title: tr("Building {name} failed", &[("name", &name)]),
                            body: message,
                        });
                    }
                }
            }
        }
    }

    fn verdict_class(&self) -> Option<&'static str> {
        self.verdict.as_ref().map(|look| look.class)
    }

    /// Everything the window shows about the project derives from this.
    fn look(&self) -> look::State<'_> {
        look::State {
            phase: &self.phase,
            built: self.built,
            outcome: self.outcome,
            live_terminal: self.terminals.model().has_live(),
            review: self.review,
            gateway_stopped: self.network.model().gateway_stopped(),
        }
    }

    /// The project's badge in the sidebar, as the page last told it.
    pub fn status(&self) -> ProjectStatus {
        self.look().status()
    }

    /// The sandbox runs (or is being started or stopped).
    pub fn is_running(&self) -> bool {
        self.phase.is_running() || matches!(self.phase, Phase::Starting { .. })
    }

    /// Brings what the page does not redraw by itself (the sidebar's
    /// badge, the Build view, the banner) in line with the state.
    fn publish(&mut self, sender: &ComponentSender<Self>) {
        let look = self.look();
        let status = look.status();
        let banner = look.banner();
        let build_page = look.build_page();
        if self.shown_status != Some(status) {
            self.shown_status = Some(status);
            let _ = sender.output(ProjectPageOutput::Status(self.path.clone(), status));
        }
        self.build_log.show_empty(build_page);
        self.banner_revealed = banner.is_some();
        if banner.is_some() {
            self.banner = banner;
        }
    }

    /// The sandbox's run ended: with `code` if known, in terminal `tab` if
    /// one was attached.
    fn run_ended(&mut self, code: Option<i64>, tab: Option<u64>, sender: &ComponentSender<Self>) {
        // The end can be reported twice (an image check that finds it gone
        // while the terminal's own report is on its way): the first says
        // how it ended, a later one only names its tab.
        let first = self.phase.is_running();
        let stopped = if first {
            self.phase.ended()
        } else {
            self.outcome == Some(Outcome::Stopped)
        };
        if let Some(tab) = tab {
            let (title, detail) =
                look::ended_tab(self.terminals.model().title(), stopped, code.unwrap_or(0));
            self.terminals.model().ended(tab, &title, &detail);
        }
        if !first {
            return;
        }
        self.changes.emit(ChangesMsg::Ended);
        self.network.emit(NetworkMsg::Ended);
        let name = self.name();
        if stopped {
            self.outcome = Some(Outcome::Stopped);
            return;
        }
        let Some(code) = code else {
            self.outcome = None;
            self.check_image(sender);
            return;
        };
        self.outcome = Some(Outcome::Exited(code));
        let _ = sender.output(ProjectPageOutput::Notify {
            path: self.path.clone(),
            title: tr(
                "{name}: {how}",
                &[("name", &name), ("how", &ExitKind::of(code).label())],
            ),
            body: sandbox::exit::describe(code),
        });
    }

    fn name(&self) -> String {
        self.project.folder_name()
    }

    /// Writes what the user typed into the Sandbox view and `paddock.toml`
    /// does not hold yet (the user leaves the project, or the window).
    pub fn save_edit(&self) -> Result<(), Error> {
        self.definition.state().get_mut().model.save_edit()
    }

    /// Writes the definition a build or a run is about to use; false (after
    /// telling the user) when it cannot be written.
    fn definition_saved(&self, sender: &ComponentSender<Self>) -> bool {
        match self.definition.state().get_mut().model.save_for_use() {
            Ok(()) => true,
            Err(error) => {
                let _ = sender.output(ProjectPageOutput::Error {
                    heading: gettext("The Sandbox Definition Cannot Be Saved"),
                    body: error.to_string(),
                });
                false
            }
        }
    }

    /// Finds out, in the background, whether the image for the saved
    /// definition exists and whether the sandbox runs.
    fn check_image(&self, sender: &ComponentSender<Self>) {
        sender.oneshot_command(jobs::check(self.project.clone()));
    }

    /// Builds the image; `then_run`: a run asked for it.
    fn build(&mut self, then_run: bool, sender: &ComponentSender<Self>) {
        // What the buttons say while they are insensitive; the keyboard
        // shortcuts and the Build view's button end here too.
        if self.unusable {
            if then_run {
                self.phase.start_failed();
            }
            return;
        }
        let after = if then_run {
            AfterReview::Run
        } else {
            AfterReview::Build
        };
        if !self.definition_saved(sender) || !self.review(after, sender) {
            if then_run {
                self.phase.start_failed();
            }
            return;
        }
        let cancel = CancellationToken::new();
        self.phase.build_began(cancel.clone(), then_run);
        self.build_log.start();
        self.stack.set_visible_child_name("build");
        let project = self.project.clone();
        sender.command(move |out, _shutdown| jobs::build(project, out, cancel));
    }

    fn show_view(&self, index: u32) {
        let Some(page) = self
            .stack
            .pages()
            .item(index)
            .and_downcast::<adw::ViewStackPage>()
        else {
            return;
        };
        let child = page.child();
        self.stack.set_visible_child(&child);
        if child == *self.terminals.widget().upcast_ref::<gtk::Widget>() {
            self.terminals.emit(TerminalsMsg::Focus);
        } else {
            child.child_focus(gtk::DirectionType::TabForward);
        }
    }

    /// Run: bring up the live terminal, reattach to a sandbox running
    /// without one, or start a new run (building first when needed).
    fn run(&mut self, sender: &ComponentSender<Self>) {
        if self.terminals.model().has_live() {
            self.stack.set_visible_child_name("terminal");
            self.terminals.emit(TerminalsMsg::Focus);
            return;
        }
        if !self.phase.can_run_or_stop() || self.phase.run_after_build() || self.unusable {
            return;
        }
        if !self.definition_saved(sender) {
            return;
        }
        // Joining a sandbox that already runs builds and creates nothing.
        if !self.phase.is_running() && !self.review(AfterReview::Run, sender) {
            return;
        }
        self.phase.starting();
        sender.oneshot_command(jobs::start(self.project.clone()));
    }

    /// Presents the review when the definition needs one; `true` when it
    /// is approved and unchanged, so that `after` can go ahead now.
    fn review(&mut self, after: AfterReview, sender: &ComponentSender<Self>) -> bool {
        match project_plan::pending_review(&self.project) {
            Ok(None) => {
                self.review = None;
                if after == AfterReview::Nothing {
                    let _ = sender.output(ProjectPageOutput::Toast(gettext(
                        "The sandbox definition is approved",
                    )));
                }
                true
            }
            Ok(Some(review)) => {
                self.present_review(Box::new(review), after, sender);
                false
            }
            Err(error) => {
                let _ = sender.output(ProjectPageOutput::Error {
                    heading: gettext("The Sandbox Definition Cannot Be Used"),
                    body: error.to_string(),
                });
                false
            }
        }
    }

    fn present_review(
        &mut self,
        review: Box<Review>,
        after: AfterReview,
        sender: &ComponentSender<Self>,
    ) {
        self.review = Some(review.status);
        let sender = sender.clone();
        let shown = review.clone();
        review_dialog::present(
            &self.stack,
            &self.project,
            &review,
            after,
            move |approved| {
                sender.input(ProjectPageMsg::ReviewAnswered {
                    review: shown.clone(),
                    after,
                    approved,
                });
            },
        );
    }

    fn attach(&mut self, attached: Attached) {
        self.terminals.state().get_mut().model.attach(attached);
        self.phase.attached();
        self.changes.emit(ChangesMsg::Running);
        self.network.emit(NetworkMsg::Running);
        self.stack.set_visible_child_name("terminal");
    }

    fn stop(&mut self, sender: &ComponentSender<Self>) {
        if !matches!(self.phase, Phase::Running { .. }) {
            return;
        }
        self.phase.stopping();
        sender.oneshot_command(jobs::stop(self.project.names().container()));
    }

    fn terminals_output(&mut self, output: TerminalsOutput, sender: &ComponentSender<Self>) {
        let name = self.name();
        match output {
            TerminalsOutput::Verdict(verdict) => self.show_verdict(&verdict, sender, true),
            TerminalsOutput::Exited { tab, code } => self.run_ended(Some(code), Some(tab), sender),
            TerminalsOutput::Lost(lost) => {
                // The terminal shows why, with a button to reattach; the
                // sandbox itself may well run on (podman went away).
                tracing::warn!("terminal of {name} lost: {lost}");
                self.check_image(sender);
            }
            TerminalsOutput::RunAgain => self.run(sender),
            TerminalsOutput::Toast(text) => {
                let _ = sender.output(ProjectPageOutput::Toast(text));
            }
            TerminalsOutput::Closed { stop: true } => self.stop(sender),
            // The banner offers to reattach.
            TerminalsOutput::Closed { stop: false } => {}
        }
    }

    /// The isolation the sandbox reported about itself, in the header.
    /// `fresh`: from a run that just started (a failure is worth a dialog).
    fn show_verdict(
        &mut self,
        verdict: &Result<Verdict, NotAReport>,
        sender: &ComponentSender<Self>,
        fresh: bool,
    ) {
        let network = std::fs::read_to_string(self.project.definition_path())
            .ok()
            .and_then(|text| toml::from_str::<sandbox::definition::Definition>(&text).ok())
            .map(|definition| definition.network_mode());
        self.verdict = Some(VerdictLook::of(verdict, network));
        if !fresh {
            return;
        }
        let heading = match verdict {
            Ok(Verdict::NotIsolated { .. } | Verdict::Unconfirmed { .. }) => {
                gettext("The Sandbox Is Not a microVM")
            }
            Err(NotAReport::VmFailed { .. }) => gettext("The microVM Could Not Start"),
            Err(NotAReport::Other { .. }) => gettext("The Sandbox Was Stopped"),
            Ok(_) => return,
        };
        let body = match verdict {
            Ok(verdict) => verdict.to_string(),
            Err(error) => error.to_string(),
        };
        let _ = sender.output(ProjectPageOutput::Error { heading, body });
    }

    fn sandbox_changed(&mut self, change: Change, sender: &ComponentSender<Self>) {
        // An attached terminal reports its own sandbox's exit, with the code.
        let attached = self.terminals.model().has_live();
        match change {
            Change::Started if !self.phase.is_running() => {
                self.phase.seen_running();
                self.changes.emit(ChangesMsg::Running);
                self.network.emit(NetworkMsg::Running);
            }
            Change::Died { exit_code } if !attached && self.phase.is_running() => {
                self.run_ended(exit_code.map(i64::from), None, sender);
            }
            Change::Removed if !attached => {
                if self.phase.is_running() {
                    self.run_ended(None, None, sender);
                } else {
                    self.check_image(sender);
                }
            }
            _ => {}
        }
    }
}
