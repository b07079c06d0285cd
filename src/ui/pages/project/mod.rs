//! One project: its sandbox definition as preference rows, the build, and the
//! terminals of its running sandbox.
//!
//! The page holds the header's actions and the build; its Sandbox view
//! ([`definition`]) and Terminal view ([`terminals`]) are components of
//! their own, and what it asks of podman runs on tokio ([`jobs`]).

mod definition;
mod jobs;
mod terminals;

use std::path::PathBuf;

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;
use tokio_util::sync::CancellationToken;

use crate::ui::components::build_log::BuildLog;
use crate::ui::components::header_actions::HeaderActions;
use crate::ui::settings::Settings;
use crate::ui::status::ProjectStatus;
use definition::{DefinitionEditor, DefinitionInit, DefinitionOutput};
use engine::{BuildEvent, BuildOutcome, Change};
use sandbox::guest::{NotAReport, Verdict};
use sandbox::messages::tr;
use sandbox::project::Project;
use terminals::{Attached, Terminals, TerminalsInit, TerminalsMsg, TerminalsOutput};

pub struct ProjectPage {
    path: PathBuf,
    project: Project,
    stack: adw::ViewStack,
    /// Offers to reattach to a sandbox that runs without a terminal here.
    detached: adw::Banner,
    terminals: Controller<Terminals>,
    /// The sandbox container runs (attached here or not).
    running: bool,
    run_after_build: bool,
    header: HeaderActions,
    build_log: BuildLog,
    building: Option<CancellationToken>,
    definition: Controller<DefinitionEditor>,
}

pub struct ProjectPageInit {
    pub project: Project,
    pub settings: Settings,
}

#[derive(Debug)]
pub enum ProjectPageMsg {
    Build,
    CancelBuild,
    Run,
    Stop,
    /// The header button: Run, or Stop while the sandbox runs.
    RunOrStop,
    /// podman reported a change of this project's sandbox.
    Sandbox(Change),
    /// podman is back after an outage: look at the image and sandbox again.
    Recheck,
    Definition(DefinitionOutput),
    Terminals(TerminalsOutput),
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
    },
    /// podman could not be asked: what the page shows stays as it is.
    Unknown,
    /// The image must be built before the sandbox can run.
    NeedsBuild,
    Attached(Result<Attached, String>),
    Stopped(Result<(), String>),
    BuildEvents(Vec<BuildEvent>),
    BuildDone(Result<BuildOutcome, String>),
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
}

impl Component for ProjectPage {
    type Init = ProjectPageInit;
    type Input = ProjectPageMsg;
    type Output = ProjectPageOutput;
    type CommandOutput = ProjectPageCommand;
    type Root = gtk::Box;
    type Widgets = ();

    fn init_root() -> Self::Root {
        gtk::Box::new(gtk::Orientation::Vertical, 0)
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
        let path = project.root().to_path_buf();
        let detached = adw::Banner::builder()
            .title(gettext("The sandbox is running without a terminal here"))
            .button_label(gettext("_Reattach"))
            .revealed(false)
            .build();
        {
            let sender = sender.clone();
            detached.connect_button_clicked(move |_| sender.input(ProjectPageMsg::Run));
        }
        root.append(&detached);
        // Sized by the visible view alone, so that a short window fits.
        let stack = adw::ViewStack::builder()
            .vexpand(true)
            .vhomogeneous(false)
            .build();
        let switcher = adw::InlineViewSwitcher::builder()
            .stack(&stack)
            .halign(gtk::Align::Center)
            .margin_top(6)
            .margin_bottom(6)
            .build();
        switcher
            .upcast_ref::<gtk::Widget>()
            .update_property(&[gtk::accessible::Property::Label(&gettext("Project views"))]);
        root.append(&switcher);
        root.append(&stack);

        let definition = DefinitionEditor::builder()
            .launch(DefinitionInit {
                project: project.clone(),
                preferences: preferences.clone(),
            })
            .forward(sender.input_sender(), ProjectPageMsg::Definition);
        stack.add_titled_with_icon(
            definition.widget(),
            Some("settings"),
            &gettext("Sandbox"),
            "emblem-system-symbolic",
        );

        let build_log = {
            let sender = sender.clone();
            BuildLog::new(move || sender.input(ProjectPageMsg::CancelBuild))
        };
        stack.add_titled_with_icon(
            &build_log.root,
            Some("build"),
            &gettext("Build"),
            "system-run-symbolic",
        );

        let terminals = Terminals::builder()
            .launch(TerminalsInit {
                title: project.folder_name(),
                settings: preferences,
            })
            .forward(sender.input_sender(), ProjectPageMsg::Terminals);
        stack.add_titled_with_icon(
            terminals.widget(),
            Some("terminal"),
            &gettext("Terminal"),
            "utilities-terminal-symbolic",
        );

        let header = HeaderActions::new();
        {
            let sender = sender.clone();
            header
                .build
                .button
                .connect_clicked(move |_| sender.input(ProjectPageMsg::Build));
        }
        {
            let sender = sender.clone();
            header
                .run
                .button
                .connect_clicked(move |_| sender.input(ProjectPageMsg::RunOrStop));
        }

        let model = ProjectPage {
            path,
            project,
            stack,
            detached,
            terminals,
            running: false,
            run_after_build: false,
            header,
            build_log,
            building: None,
            definition,
        };
        model.check_image(&sender);
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, msg: ProjectPageMsg, sender: ComponentSender<Self>, _root: &Self::Root) {
        match msg {
            ProjectPageMsg::Build => self.build(&sender),
            ProjectPageMsg::CancelBuild => {
                if let Some(cancel) = &self.building {
                    cancel.cancel();
                }
            }
            ProjectPageMsg::Run => self.run(&sender),
            ProjectPageMsg::Stop => self.stop(&sender),
            ProjectPageMsg::RunOrStop => {
                if self.running {
                    self.stop(&sender);
                } else {
                    self.run(&sender);
                }
            }
            ProjectPageMsg::Sandbox(change) => self.sandbox_changed(change, &sender),
            ProjectPageMsg::Recheck => self.check_image(&sender),
            ProjectPageMsg::Definition(output) => match output {
                DefinitionOutput::Changed => self.check_image(&sender),
                DefinitionOutput::Toast(text) => {
                    let _ = sender.output(ProjectPageOutput::Toast(text));
                }
                DefinitionOutput::Error { heading, body } => {
                    let _ = sender.output(ProjectPageOutput::Error { heading, body });
                }
            },
            ProjectPageMsg::Terminals(output) => self.terminals_output(output, &sender),
        }
    }

    fn update_cmd(
        &mut self,
        command: ProjectPageCommand,
        sender: ComponentSender<Self>,
        _root: &Self::Root,
    ) {
        match command {
            ProjectPageCommand::Unknown => {}
            ProjectPageCommand::Checked {
                built,
                running,
                exited,
                verdict,
            } => {
                if let Some(verdict) = verdict
                    && !self.header.has_verdict()
                {
                    self.show_verdict(&Ok(verdict), &sender, false);
                }
                if running {
                    self.set_running(true, &sender);
                    self.offer_reattach();
                } else if let Some(code) = exited
                    && !self.terminals.model().has_tabs()
                    && self.building.is_none()
                {
                    // It ended with no terminal here to tell (Paddock was
                    // closed or killed): say how.
                    self.set_running(false, &sender);
                    self.status(&sender, ProjectStatus::Exited(code));
                    self.detached.set_title(&tr(
                        "The sandbox exited with code {code}",
                        &[("code", &code)],
                    ));
                    self.detached.set_button_label(Some(&gettext("_Run Again")));
                    self.detached.set_revealed(true);
                } else if self.building.is_none() && !self.running {
                    self.status(
                        &sender,
                        if built {
                            ProjectStatus::Built
                        } else {
                            ProjectStatus::NotBuilt
                        },
                    );
                }
            }
            ProjectPageCommand::NeedsBuild => {
                self.header.run.button.set_sensitive(true);
                self.run_after_build = true;
                self.build(&sender);
            }
            ProjectPageCommand::Attached(Ok(attached)) => {
                self.header.run.button.set_sensitive(true);
                self.attach(attached, &sender);
            }
            ProjectPageCommand::Attached(Err(message)) => {
                self.header.run.button.set_sensitive(true);
                let _ = sender.output(ProjectPageOutput::Error {
                    heading: gettext("The Sandbox Could Not Start"),
                    body: message,
                });
                self.check_image(&sender);
            }
            ProjectPageCommand::Stopped(result) => {
                self.header.run.button.set_sensitive(true);
                if let Err(message) = result {
                    let _ = sender.output(ProjectPageOutput::Error {
                        heading: gettext("The Sandbox Could Not Be Stopped"),
                        body: message,
                    });
                }
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
                let cancelled = self.building.take().is_some_and(|c| c.is_cancelled());
                self.header.build.button.set_sensitive(true);
                let name = self.name();
                match result {
                    Ok(outcome) => {
                        self.build_log
                            .finished(outcome == BuildOutcome::AlreadyBuilt);
                        self.status(&sender, ProjectStatus::Built);
                        if std::mem::take(&mut self.run_after_build) {
                            self.run(&sender);
                        }
                        let _ = sender.output(ProjectPageOutput::Notify {
                            path: self.path.clone(),
                            title: tr("{name} is built", &[("name", &name)]),
                            body: gettext("The sandbox is ready to run."),
                        });
                    }
                    Err(_) if cancelled => {
                        self.run_after_build = false;
                        self.build_log.cancelled();
                        self.status(&sender, ProjectStatus::NotBuilt);
                        let _ = sender.output(ProjectPageOutput::Toast(gettext("Build cancelled")));
                    }
                    Err(message) => {
                        self.run_after_build = false;
                        self.build_log.failed(&message);
                        self.status(&sender, ProjectStatus::BuildFailed);
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
}

impl ProjectPage {
    /// The Build and Run buttons and the isolation verdict, for the header.
    pub fn header_actions(&self) -> gtk::Widget {
        self.header.root.clone().upcast()
    }

    /// Icons instead of labels in the header, for narrow windows.
    pub fn set_compact(&self, compact: bool) {
        self.header.set_compact(compact);
    }

    /// The banner over a sandbox that runs with no terminal here.
    fn offer_reattach(&self) {
        if self.terminals.model().has_live() {
            return;
        }
        self.detached
            .set_title(&gettext("The sandbox is running without a terminal here"));
        self.detached.set_button_label(Some(&gettext("_Reattach")));
        self.detached.set_revealed(true);
    }

    fn set_running(&mut self, running: bool, sender: &ComponentSender<Self>) {
        self.running = running;
        self.header.set_running(running);
        if running {
            self.status(sender, ProjectStatus::Running);
        } else {
            self.detached.set_revealed(false);
        }
    }

    fn name(&self) -> String {
        self.project.folder_name()
    }

    fn status(&self, sender: &ComponentSender<Self>, status: ProjectStatus) {
        let _ = sender.output(ProjectPageOutput::Status(self.path.clone(), status));
    }

    /// A folder without a definition gets the one the form shows; false
    /// (after telling the user) when it cannot be written.
    fn ensure_definition(&self, sender: &ComponentSender<Self>) -> bool {
        match self.definition.state().get_mut().model.ensure_saved() {
            Ok(()) => true,
            Err(message) => {
                let _ = sender.output(ProjectPageOutput::Error {
                    heading: gettext("The Sandbox Definition Cannot Be Saved"),
                    body: message,
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

    fn build(&mut self, sender: &ComponentSender<Self>) {
        if self.building.is_some() || !self.ensure_definition(sender) {
            return;
        }
        let cancel = CancellationToken::new();
        self.building = Some(cancel.clone());
        self.header.build.button.set_sensitive(false);
        self.build_log.start();
        self.stack.set_visible_child_name("build");
        self.status(sender, ProjectStatus::Building);
        let project = self.project.clone();
        sender.command(move |out, _shutdown| jobs::build(project, out, cancel));
    }

    /// Run: bring up the live terminal, reattach to a sandbox running
    /// without one, or start a new run (building first when needed).
    fn run(&mut self, sender: &ComponentSender<Self>) {
        if self.terminals.model().has_live() {
            self.stack.set_visible_child_name("terminal");
            self.terminals.emit(TerminalsMsg::Focus);
            return;
        }
        if self.building.is_some() {
            self.run_after_build = true;
            return;
        }
        if !self.ensure_definition(sender) {
            return;
        }
        self.header.run.button.set_sensitive(false);
        sender.oneshot_command(jobs::start(self.project.clone()));
    }

    fn attach(&mut self, attached: Attached, sender: &ComponentSender<Self>) {
        self.terminals.emit(TerminalsMsg::Attach(attached));
        self.detached.set_revealed(false);
        self.stack.set_visible_child_name("terminal");
        self.set_running(true, sender);
    }

    fn stop(&mut self, sender: &ComponentSender<Self>) {
        if !self.running {
            return;
        }
        self.header.run.button.set_sensitive(false);
        sender.oneshot_command(jobs::stop(self.project.names().container()));
    }

    fn terminals_output(&mut self, output: TerminalsOutput, sender: &ComponentSender<Self>) {
        let name = self.name();
        match output {
            TerminalsOutput::Verdict(verdict) => self.show_verdict(&verdict, sender, true),
            TerminalsOutput::Exited(code) => {
                self.set_running(false, sender);
                self.status(sender, ProjectStatus::Exited(code));
                let _ = sender.output(ProjectPageOutput::Notify {
                    path: self.path.clone(),
                    title: tr(
                        "{name} exited with code {code}",
                        &[("name", &name), ("code", &code)],
                    ),
                    body: gettext("The agent’s sandbox has stopped."),
                });
            }
            TerminalsOutput::Lost(message) => {
                // The terminal shows why, with a button to reattach; the
                // sandbox itself may well run on (podman went away).
                tracing::warn!("terminal of {name} lost: {message}");
                self.check_image(sender);
            }
            TerminalsOutput::RunAgain => self.run(sender),
            TerminalsOutput::Closed { stop } => {
                if stop {
                    self.stop(sender);
                } else if self.running {
                    self.offer_reattach();
                }
            }
        }
    }

    /// The isolation the sandbox reported about itself, in the header.
    /// `fresh`: from a run that just started (a failure is worth a dialog).
    fn show_verdict(
        &self,
        verdict: &Result<Verdict, NotAReport>,
        sender: &ComponentSender<Self>,
        fresh: bool,
    ) {
        self.header.show_verdict(verdict);
        if fresh && let Ok(verdict @ Verdict::NotIsolated { .. }) = verdict {
            let _ = sender.output(ProjectPageOutput::Error {
                heading: gettext("The Sandbox Is Not a microVM"),
                body: verdict.to_string(),
            });
        }
    }

    fn sandbox_changed(&mut self, change: Change, sender: &ComponentSender<Self>) {
        // An attached terminal reports its own sandbox's exit, with the code.
        let attached = self.terminals.model().has_live();
        match change {
            Change::Started if !self.running => {
                self.set_running(true, sender);
                if !attached {
                    self.offer_reattach();
                }
            }
            Change::Died { exit_code } if !attached && self.running => {
                self.set_running(false, sender);
                match exit_code {
                    Some(code) => self.status(sender, ProjectStatus::Exited(i64::from(code))),
                    None => self.check_image(sender),
                }
            }
            Change::Removed if !attached => {
                self.set_running(false, sender);
                self.check_image(sender);
            }
            _ => {}
        }
    }
}
