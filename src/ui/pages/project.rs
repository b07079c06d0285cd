//! One project: its sandbox definition as preference rows, the build, and the
//! terminals of its running sandbox.

use std::path::PathBuf;

use adw::prelude::*;
use gettextrs::gettext;
use gtk::{gio, glib};
use relm4::prelude::*;
use tokio_util::sync::CancellationToken;

use crate::ui::bridge;
use crate::ui::components::api_keys::{ApiKeys, ApiKeysInit, ApiKeysMsg};
use crate::ui::components::build_log::BuildLog;
use crate::ui::components::definition_form::{
    DefinitionForm, DefinitionFormInit, DefinitionFormOutput, Limits,
};
use crate::ui::components::header_actions::HeaderActions;
use crate::ui::components::invalid_definition;
use crate::ui::components::review_dialog::{self, AfterReview};
use crate::ui::components::terminal::{SandboxTerminal, TerminalInit, TerminalOutput};
use crate::ui::project_plan::{self, Prepared};
use crate::ui::settings::Settings;
use crate::ui::status::ProjectStatus;
use crate::ui::text::{escape_markup, project_name};
use engine::{BuildEvent, BuildOutcome, Change, SandboxState, Session};
use host::launch;
use sandbox::approval::{Review, Status};
use sandbox::definition::{Definition, FieldError};
use sandbox::guest::{NotAReport, Verdict};
use sandbox::messages::tr;
use sandbox::presets::{DEFAULT_PRESET, Presets};
use sandbox::project::Project;
use sandbox::project::{DEFINITION_FILE, ProjectError};
use sandbox::salvage::salvage;
use sandbox::secret::SecretVars;

pub struct ProjectPage {
    path: PathBuf,
    project: Project,
    stack: adw::ViewStack,
    /// Offers to reattach to a sandbox that runs without a terminal here.
    detached: adw::Banner,
    /// Says that the definition is new or changed since the user approved
    /// it, and offers the review.
    review_banner: adw::Banner,
    tabs: adw::TabView,
    terminals: Vec<(adw::TabPage, Controller<SandboxTerminal>)>,
    /// The definition shown when the folder has none yet; written on Build.
    fresh: Option<Definition>,
    /// The sandbox container runs (attached here or not).
    running: bool,
    run_after_build: bool,
    /// The user's GSettings: new projects' resources, the terminals' zoom and font.
    preferences: Settings,
    header: HeaderActions,
    build_log: BuildLog,
    building: Option<CancellationToken>,
    /// Holds the form, or what is wrong with `paddock.toml`.
    settings: adw::Bin,
    /// `None` while the definition cannot be read.
    form: Option<Controller<DefinitionForm>>,
    /// Reloads the definition when something else writes it.
    _monitor: Option<gio::FileMonitor>,
    /// The API keys group, shown in the form after the agent's.
    keys: Option<Controller<ApiKeys>>,
}

/// Where a press of Run got to.
enum RunStep {
    Attached(Attached),
    NeedsBuild,
    /// The definition changed between the review check and the plan.
    Review(Box<Review>),
}

/// An attached sandbox on its way from tokio to the terminal tab.
pub struct Attached {
    name: String,
    session: Session,
    /// Attached before the start: the output begins with the isolation report.
    expects_report: bool,
}

impl std::fmt::Debug for Attached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attached")
            .field("name", &self.name)
            .finish()
    }
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
    DefinitionSaved,
    SaveFailed(String),
    /// `paddock.toml` changed on disk (an editor, an agent, or the form).
    DefinitionChanged,
    /// Opens the invalid `paddock.toml` in the user's text editor.
    OpenDefinition,
    /// Replaces the invalid `paddock.toml` with a valid one that keeps its
    /// valid settings; the old file is kept beside it.
    ResetDefinition,
    /// podman reported a change of this project's sandbox.
    Sandbox(Change),
    /// podman is back after an outage: look at the image and sandbox again.
    Recheck,
    CloseTab(adw::TabPage),
    /// The user's answer to "stop the sandbox?" when closing its tab.
    CloseTabAnswered(adw::TabPage, CloseAnswer),
    Terminal(TerminalOutput),
    /// Show the review of the definition (the banner's button).
    Review,
    /// The user's answer to the review dialog.
    ReviewAnswered {
        review: Box<Review>,
        after: AfterReview,
        approved: bool,
    },
}

#[derive(Debug, Clone, Copy)]
pub enum CloseAnswer {
    Cancel,
    Detach,
    Stop,
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
        let review_banner = adw::Banner::builder()
            .button_label(gettext("_Review"))
            .revealed(false)
            .build();
        review_banner.add_css_class("warning");
        {
            let sender = sender.clone();
            review_banner.connect_button_clicked(move |_| sender.input(ProjectPageMsg::Review));
        }
        root.append(&review_banner);
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

        // The form, or what is wrong with the file: see `load_settings`.
        let settings = adw::Bin::new();
        stack.add_titled_with_icon(
            &settings,
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

        let tabs = adw::TabView::new();
        tabs.set_vexpand(true);
        let tab_bar = adw::TabBar::builder().view(&tabs).autohide(false).build();
        {
            let sender = sender.clone();
            tabs.connect_close_page(move |_, page| {
                sender.input(ProjectPageMsg::CloseTab(page.clone()));
                glib::Propagation::Stop
            });
        }
        let no_terminal = adw::StatusPage::builder()
            .icon_name("utilities-terminal-symbolic")
            .title(gettext("Not Running"))
            .description(gettext("Run the sandbox to get the agent’s terminal here"))
            .vexpand(true)
            .build();
        let terminal_box = gtk::Box::new(gtk::Orientation::Vertical, 0);
        terminal_box.append(&tab_bar);
        terminal_box.append(&tabs);
        terminal_box.append(&no_terminal);
        tabs.bind_property("n-pages", &no_terminal, "visible")
            .transform_to(|_, n: i32| Some(n == 0))
            .sync_create()
            .build();
        tabs.bind_property("n-pages", &tab_bar, "visible")
            .transform_to(|_, n: i32| Some(n > 0))
            .sync_create()
            .build();
        tabs.bind_property("n-pages", &tabs, "visible")
            .transform_to(|_, n: i32| Some(n > 0))
            .sync_create()
            .build();
        stack.add_titled_with_icon(
            &terminal_box,
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

        let path_for_monitor = project.definition_path();
        let mut model = ProjectPage {
            path,
            project,
            stack,
            detached,
            review_banner,
            tabs,
            terminals: Vec::new(),
            fresh: None,
            running: false,
            run_after_build: false,
            preferences,
            header,
            build_log,
            building: None,
            settings,
            form: None,
            _monitor: watch_definition(&path_for_monitor, &sender),
            keys: None,
        };
        model.load_settings(&sender);
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
            ProjectPageMsg::SaveFailed(message) => {
                let _ = sender.output(ProjectPageOutput::Error {
                    heading: gettext("The Sandbox Definition Cannot Be Saved"),
                    body: message,
                });
            }
            ProjectPageMsg::DefinitionSaved => {
                self.fresh = None;
                if let (Some(keys), Ok((definition, presets))) =
                    (&self.keys, definition_of(&self.project, &self.preferences))
                {
                    keys.emit(ApiKeysMsg::Show(secret_vars(&definition, &presets)));
                }
                self.check_image(&sender);
            }
            ProjectPageMsg::DefinitionChanged => {
                // The form's own saves leave the file valid: the form stays.
                if self.form.is_none()
                    || (self.project.has_definition()
                        && definition_of(&self.project, &self.preferences).is_err())
                {
                    self.load_settings(&sender);
                }
                // Whoever wrote it, the image and the approval may differ now.
                self.check_image(&sender);
            }
            ProjectPageMsg::OpenDefinition => self.open_definition(&sender),
            ProjectPageMsg::ResetDefinition => self.reset_definition(&sender),
            ProjectPageMsg::Sandbox(change) => self.sandbox_changed(change, &sender),
            ProjectPageMsg::Recheck => self.check_image(&sender),
            ProjectPageMsg::CloseTab(page) => self.ask_close(page, &sender),
            ProjectPageMsg::CloseTabAnswered(page, answer) => {
                let stop = matches!(answer, CloseAnswer::Stop);
                let close = !matches!(answer, CloseAnswer::Cancel);
                if close {
                    // Dropping the terminal detaches; the sandbox keeps running.
                    self.terminals.retain(|(tab, _)| tab != &page);
                    if self.running && !stop {
                        self.offer_reattach();
                    }
                }
                self.tabs.close_page_finish(&page, close);
                if stop {
                    self.stop(&sender);
                }
            }
            ProjectPageMsg::Terminal(output) => self.terminal_output(output, &sender),
            ProjectPageMsg::Review => {
                self.review(AfterReview::Nothing, &sender);
            }
            ProjectPageMsg::ReviewAnswered {
                review,
                after,
                approved,
            } => {
                self.header.build.button.set_sensitive(true);
                self.header.run.button.set_sensitive(true);
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
                self.review_banner.set_revealed(false);
                match after {
                    AfterReview::Build => self.build(&sender),
                    AfterReview::Run => self.run(&sender),
                    AfterReview::Nothing => self.check_image(&sender),
                }
            }
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
                review,
            } => {
                self.show_review_needed(review);
                if let Some(verdict) = verdict
                    && !self.header.has_verdict()
                {
                    self.show_verdict(&Ok(verdict), &sender, false);
                }
                if running {
                    self.set_running(true, &sender);
                    self.offer_reattach();
                } else if let Some(code) = exited
                    && self.terminals.is_empty()
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
            ProjectPageCommand::NeedsReview(review, after) => {
                self.show_review_needed(Some(review.status));
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

    /// The terminal of the sandbox's current run, if it is still attached.
    fn live_terminal(&self) -> Option<&(adw::TabPage, Controller<SandboxTerminal>)> {
        self.terminals
            .iter()
            .find(|(_, terminal)| terminal.model().is_live())
    }

    /// Presents the review when the definition needs one; `true` when it
    /// is approved and unchanged, so that `after` can go ahead now.
    fn review(&mut self, after: AfterReview, sender: &ComponentSender<Self>) -> bool {
        match project_plan::pending_review(&self.project) {
            Ok(None) => {
                self.show_review_needed(None);
                if after == AfterReview::Nothing {
                    let _ = sender.output(ProjectPageOutput::Toast(gettext(
                        "The sandbox definition is approved",
                    )));
                }
                true
            }
            Ok(Some(review)) => {
                sender.oneshot_command(async move {
                    ProjectPageCommand::NeedsReview(Box::new(review), after)
                });
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

    /// The banner saying the definition waits for the user's review.
    fn show_review_needed(&self, status: Option<Status>) {
        let Some(status) = status else {
            self.review_banner.set_revealed(false);
            return;
        };
        self.review_banner.set_title(&match status {
            Status::NeverApproved => gettext("You have not approved this sandbox definition yet"),
            Status::Changed => gettext("The sandbox definition changed since you approved it"),
            Status::MountMoved => {
                gettext("A folder the sandbox mounts is not the one you approved")
            }
        });
        self.review_banner.set_revealed(true);
    }

    /// The banner over a sandbox that runs with no terminal here.
    fn offer_reattach(&self) {
        if self.live_terminal().is_some() {
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

    /// Run: bring up the live terminal, reattach to a sandbox running
    /// without one, or start a new run (building first when needed).
    fn run(&mut self, sender: &ComponentSender<Self>) {
        if let Some((tab, terminal)) = self.live_terminal() {
            self.tabs.set_selected_page(tab);
            self.stack.set_visible_child_name("terminal");
            terminal.model().focus();
            return;
        }
        if self.building.is_some() {
            self.run_after_build = true;
            return;
        }
        if let Err(message) = self.ensure_definition() {
            let _ = sender.output(ProjectPageOutput::Error {
                heading: gettext("The Sandbox Definition Cannot Be Saved"),
                body: message,
            });
            return;
        }
        // Joining a sandbox that already runs builds and creates nothing.
        if !self.running && !self.review(AfterReview::Run, sender) {
            return;
        }
        self.header.run.button.set_sensitive(false);
        let project = self.project.clone();
        sender.oneshot_command(async move {
            let result = async {
                let engine = bridge::engine().await.map_err(|e| e.to_string())?;
                let existing = engine
                    .sandbox_of(project.root())
                    .await
                    .map_err(|e| e.to_string())?;
                if let Some(sandbox) = &existing
                    && sandbox.state.is_running()
                {
                    let session = engine
                        .attach(&sandbox.name, false)
                        .await
                        .map_err(|e| e.to_string())?;
                    return Ok(RunStep::Attached(Attached {
                        name: sandbox.name.clone(),
                        session,
                        expects_report: false,
                    }));
                }
                let plan = match project_plan::prepare(&project, &engine, true)
                    .await
                    .map_err(|e| e.to_string())?
                {
                    Prepared::Ready(plan) => plan,
                    Prepared::Review(review) => return Ok(RunStep::Review(review)),
                };
                // Before building: an image is no use when the sandbox cannot start.
                engine
                    .refuse_unisolated(&plan.container)
                    .await
                    .map_err(|e| e.to_string())?;
                if !engine
                    .image_exists(&plan.build.image)
                    .await
                    .map_err(|e| e.to_string())?
                {
                    return Ok(RunStep::NeedsBuild);
                }
                let (session, keys) = launch::start(&engine, &project, &plan, true, true)
                    .await
                    .map_err(|e| e.to_string())?;
                if let Some(problem) = keys.problem {
                    tracing::warn!("no API keys for the sandbox: {problem}");
                }
                let session = session.ok_or_else(|| gettext("The sandbox was not attached"))?;
                Ok(RunStep::Attached(Attached {
                    name: plan.container.name.clone(),
                    session,
                    expects_report: true,
                }))
            };
            match result.await {
                Ok(RunStep::Attached(attached)) => ProjectPageCommand::Attached(Ok(attached)),
                Ok(RunStep::NeedsBuild) => ProjectPageCommand::NeedsBuild,
                Ok(RunStep::Review(review)) => {
                    ProjectPageCommand::NeedsReview(review, AfterReview::Run)
                }
                Err(message) => ProjectPageCommand::Attached(Err(message)),
            }
        });
    }

    fn attach(&mut self, attached: Attached, sender: &ComponentSender<Self>) {
        let Attached {
            name,
            session,
            expects_report,
        } = attached;
        let terminal = SandboxTerminal::builder()
            .launch(TerminalInit {
                name: name.clone(),
                session,
                expects_report,
                settings: self.preferences.clone(),
            })
            .forward(sender.input_sender(), ProjectPageMsg::Terminal);
        let tab = self.tabs.append(terminal.widget());
        tab.set_title(&self.name());
        tab.set_tooltip(&name);
        self.tabs.set_selected_page(&tab);
        self.detached.set_revealed(false);
        self.stack.set_visible_child_name("terminal");
        terminal.model().focus();
        self.terminals.push((tab, terminal));
        self.set_running(true, sender);
    }

    fn stop(&mut self, sender: &ComponentSender<Self>) {
        if !self.running {
            return;
        }
        self.header.run.button.set_sensitive(false);
        let name = self.project.names().container();
        sender.oneshot_command(async move {
            let result = async {
                let engine = bridge::engine().await.map_err(|e| e.to_string())?;
                engine.stop(&name).await.map_err(|e| e.to_string())
            };
            ProjectPageCommand::Stopped(result.await)
        });
    }

    fn terminal_output(&mut self, output: TerminalOutput, sender: &ComponentSender<Self>) {
        let name = self.name();
        match output {
            TerminalOutput::Verdict(verdict) => self.show_verdict(&verdict, sender, true),
            TerminalOutput::Exited(code) => {
                self.set_running(false, sender);
                self.status(sender, ProjectStatus::Exited(code));
                if let Some((tab, _)) = self.terminals.iter().find(|(_, t)| !t.model().is_live()) {
                    tab.set_title(&tr(
                        "{name} (exited: {code})",
                        &[("name", &name), ("code", &code)],
                    ));
                }
                let _ = sender.output(ProjectPageOutput::Notify {
                    path: self.path.clone(),
                    title: tr(
                        "{name} exited with code {code}",
                        &[("name", &name), ("code", &code)],
                    ),
                    body: gettext("The agent’s sandbox has stopped."),
                });
            }
            TerminalOutput::Lost(message) => {
                // The terminal shows why, with a button to reattach; the
                // sandbox itself may well run on (podman went away).
                tracing::warn!("terminal of {name} lost: {message}");
                self.check_image(sender);
            }
            TerminalOutput::RunAgain => self.run(sender),
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
        let attached = self.live_terminal().is_some();
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

    fn ask_close(&mut self, page: adw::TabPage, sender: &ComponentSender<Self>) {
        let live = self
            .terminals
            .iter()
            .any(|(tab, terminal)| tab == &page && terminal.model().is_live());
        if !live {
            sender.input(ProjectPageMsg::CloseTabAnswered(page, CloseAnswer::Detach));
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
            sender.input(ProjectPageMsg::CloseTabAnswered(page.clone(), answer));
        });
        dialog.present(Some(&self.tabs));
    }

    /// Shows the definition form, or what is wrong with `paddock.toml`
    /// and how to fix it.
    fn load_settings(&mut self, sender: &ComponentSender<Self>) {
        self.fresh = None;
        self.form = None;
        self.keys = None;
        let view: gtk::Widget = match definition_of(&self.project, &self.preferences) {
            Ok((definition, presets)) => {
                if !self.project.has_definition() {
                    self.fresh = Some(definition.clone());
                }
                let keys = ApiKeys::builder()
                    .launch(ApiKeysInit {
                        project: self.path.clone(),
                        vars: secret_vars(&definition, &presets),
                    })
                    .detach();
                let form = DefinitionForm::builder()
                    .launch(DefinitionFormInit {
                        project: self.project.clone(),
                        presets,
                        definition,
                        limits: Limits::of_host(),
                        after_agent: Some(keys.widget().clone()),
                    })
                    .forward(sender.input_sender(), |output| match output {
                        DefinitionFormOutput::Saved => ProjectPageMsg::DefinitionSaved,
                        DefinitionFormOutput::Error(message) => ProjectPageMsg::SaveFailed(message),
                    });
                let widget = form.widget().clone().upcast();
                self.form = Some(form);
                self.keys = Some(keys);
                widget
            }
            Err(Unusable::Invalid(errors)) => {
                let open = sender.clone();
                let reset = sender.clone();
                invalid_definition::view(
                    DEFINITION_FILE,
                    &errors,
                    move || open.input(ProjectPageMsg::OpenDefinition),
                    move || reset.input(ProjectPageMsg::ResetDefinition),
                )
            }
            Err(Unusable::Other(message)) => adw::StatusPage::builder()
                .icon_name("dialog-warning-symbolic")
                .title(gettext("The Sandbox Definition Cannot Be Read"))
                .description(escape_markup(&message))
                .build()
                .upcast(),
        };
        self.settings.set_child(Some(&view));
    }

    fn open_definition(&self, sender: &ComponentSender<Self>) {
        let file = gio::File::for_path(self.project.definition_path());
        let window = self.settings.root().and_downcast::<gtk::Window>();
        let sender = sender.clone();
        gtk::FileLauncher::new(Some(&file)).launch(
            window.as_ref(),
            gio::Cancellable::NONE,
            move |result| {
                if let Err(error) = result {
                    let _ = sender.output(ProjectPageOutput::Error {
                        heading: gettext("The Definition Could Not Be Opened"),
                        body: tr(
                            "{error}\n\nOpen {file} in any text editor: this page reloads it when it is saved.",
                            &[("error", &error), ("file", &file.uri())],
                        ),
                    });
                }
            },
        );
    }

    fn reset_definition(&mut self, sender: &ComponentSender<Self>) {
        let result = (|| {
            let presets =
                Presets::load(Presets::user_dir().as_deref()).map_err(|e| e.to_string())?;
            let text = self
                .project
                .read_sandbox_file(DEFINITION_FILE)
                .map_err(|e| e.to_string())?;
            let kept = self
                .project
                .set_aside_definition()
                .map_err(|e| e.to_string())?;
            let definition = salvage(&text, &presets, &default_definition(&self.preferences));
            self.project
                .save_definition(&definition)
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(kept)
        })();
        match result {
            Ok(kept) => {
                let name = kept
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let _ = sender.output(ProjectPageOutput::Toast(tr(
                    "Definition reset; the old one is kept as {file}",
                    &[("file", &name)],
                )));
                self.load_settings(sender);
                self.check_image(sender);
            }
            Err(message) => {
                let _ = sender.output(ProjectPageOutput::Error {
                    heading: gettext("The Sandbox Definition Cannot Be Saved"),
                    body: message,
                });
            }
        }
    }

    /// A folder without a definition gets the one the form shows.
    fn ensure_definition(&mut self) -> Result<(), String> {
        if let Some(definition) = &self.fresh
            && !self.project.has_definition()
        {
            project_plan::save_definition(&self.project, definition).map_err(|e| e.to_string())?;
        }
        self.fresh = None;
        Ok(())
    }

    fn name(&self) -> String {
        project_name(self.project.root())
    }

    fn status(&self, sender: &ComponentSender<Self>, status: ProjectStatus) {
        let _ = sender.output(ProjectPageOutput::Status(self.path.clone(), status));
    }

    /// Finds out, in the background, whether the image for the saved
    /// definition exists and whether the sandbox runs.
    fn check_image(&self, sender: &ComponentSender<Self>) {
        let project = self.project.clone();
        sender.oneshot_command(async move {
            let Ok(engine) = bridge::engine().await else {
                return ProjectPageCommand::Unknown;
            };
            let Ok(sandbox) = engine.sandbox_of(project.root()).await else {
                return ProjectPageCommand::Unknown;
            };
            let running = sandbox.as_ref().is_some_and(|s| s.state.is_running());
            let exited = match sandbox.as_ref().map(|s| &s.state) {
                Some(SandboxState::Exited { code }) => Some(i64::from(*code)),
                _ => None,
            };
            let verdict = match &sandbox {
                Some(sandbox) => engine.last_verdict(&sandbox.name).await.ok().flatten(),
                None => None,
            };
            let (built, review) = match project.has_definition() {
                true => match project_plan::prepare(&project, &engine, false).await {
                    Ok(Prepared::Ready(plan)) => (
                        engine
                            .image_exists(&plan.build.image)
                            .await
                            .unwrap_or(false),
                        None,
                    ),
                    Ok(Prepared::Review(review)) => (false, Some(review.status)),
                    Err(_) => (false, None),
                },
                false => (false, None),
            };
            ProjectPageCommand::Checked {
                built,
                running,
                exited,
                verdict,
                review,
            }
        });
    }

    fn build(&mut self, sender: &ComponentSender<Self>) {
        if self.building.is_some() {
            return;
        }
        if let Err(message) = self.ensure_definition() {
            let _ = sender.output(ProjectPageOutput::Error {
                heading: gettext("The Sandbox Definition Cannot Be Saved"),
                body: message,
            });
            return;
        }
        if !self.review(AfterReview::Build, sender) {
            self.run_after_build = false;
            return;
        }
        let cancel = CancellationToken::new();
        self.building = Some(cancel.clone());
        self.header.build.button.set_sensitive(false);
        self.build_log.start();
        self.stack.set_visible_child_name("build");
        self.status(sender, ProjectStatus::Building);
        let project = self.project.clone();
        sender.command(move |out, _shutdown| async move {
            let result = async {
                let engine = bridge::engine().await.map_err(|e| e.to_string())?;
                let plan = match project_plan::prepare(&project, &engine, true)
                    .await
                    .map_err(|e| e.to_string())?
                {
                    Prepared::Ready(plan) => plan,
                    Prepared::Review(_) => {
                        return Err(gettext(
                            "The sandbox definition changed just now; build again to review it.",
                        ));
                    }
                };
                let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
                let forward = {
                    let out = out.clone();
                    async move {
                        while let Some(first) = received.recv().await {
                            out.emit(ProjectPageCommand::BuildEvents(bridge::batch(
                                first,
                                &mut received,
                                512,
                            )));
                        }
                    }
                };
                let work = async move {
                    let result = engine.build(&plan.build, &events, &cancel).await;
                    drop(events);
                    result
                };
                let (result, ()) = tokio::join!(work, forward);
                result.map_err(|e| e.to_string())
            };
            out.emit(ProjectPageCommand::BuildDone(result.await));
        });
    }
}

/// Why the form cannot show a project's definition.
enum Unusable {
    /// `paddock.toml` is not valid: each problem with its key.
    Invalid(Vec<FieldError>),
    /// Anything else (a link where the file should be, unreadable presets).
    Other(String),
}

/// The project's definition, or a new one with the defaults when the folder
/// has none yet (written on the first change or build).
fn definition_of(
    project: &Project,
    settings: &Settings,
) -> Result<(Definition, Presets), Unusable> {
    let presets = Presets::load(Presets::user_dir().as_deref())
        .map_err(|e| Unusable::Other(e.to_string()))?;
    if project.has_definition() {
        match project.load_definition(&presets) {
            Ok(definition) => Ok((definition, presets)),
            Err(ProjectError::Definition { errors, .. }) => Err(Unusable::Invalid(errors.0)),
            Err(error) => Err(Unusable::Other(error.to_string())),
        }
    } else {
        Ok((default_definition(settings), presets))
    }
}

/// The variables the definition's sandbox takes from the keyring (none when
/// its agent is unknown: the form shows that problem).
fn secret_vars(definition: &Definition, presets: &Presets) -> SecretVars {
    definition
        .resolve_agent(presets)
        .map(|agent| SecretVars::of(&agent, definition))
        .unwrap_or_default()
}

/// The definition of a folder that has none, with the resources the user
/// chose for new projects.
fn default_definition(settings: &Settings) -> Definition {
    let os_release = std::fs::read_to_string("/etc/os-release").ok();
    let base = sandbox::host_facts::default_base_image(os_release.as_deref());
    let mut definition = Definition::new(DEFAULT_PRESET, &base);
    definition.resources = settings.new_project_resources();
    definition
}

/// Tells the page when `paddock.toml` is written, replaced or removed.
fn watch_definition(
    file: &std::path::Path,
    sender: &ComponentSender<ProjectPage>,
) -> Option<gio::FileMonitor> {
    let monitor = gio::File::for_path(file)
        .monitor_file(gio::FileMonitorFlags::WATCH_MOVES, gio::Cancellable::NONE)
        .map_err(|error| tracing::warn!("not watching {}: {error}", file.display()))
        .ok()?;
    let sender = sender.clone();
    monitor.connect_changed(move |_, _, _, event| {
        if !matches!(
            event,
            gio::FileMonitorEvent::Changed | gio::FileMonitorEvent::AttributeChanged
        ) {
            sender.input(ProjectPageMsg::DefinitionChanged);
        }
    });
    Some(monitor)
}
