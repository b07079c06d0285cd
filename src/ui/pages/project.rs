//! One project: its sandbox definition as preference rows, the build, and the
//! terminals of its running sandbox.

use std::path::{Path, PathBuf};

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;
use tokio_util::sync::CancellationToken;

use crate::engine::{BuildEvent, BuildOutcome};
use crate::sandbox::definition::Definition;
use crate::sandbox::presets::{DEFAULT_PRESET, Presets};
use crate::sandbox::project::Project;
use crate::ui::bridge;
use crate::ui::components::build_log::BuildLog;
use crate::ui::components::definition_form::{
    DefinitionForm, DefinitionFormInit, DefinitionFormOutput, Limits,
};
use crate::ui::project_plan;
use crate::ui::status::ProjectStatus;
use crate::ui::text::fill;

pub struct ProjectPage {
    path: PathBuf,
    project: Project,
    root: gtk::Box,
    stack: adw::ViewStack,
    header: gtk::Box,
    build_button: gtk::Button,
    run_button: gtk::Button,
    verdict: gtk::Label,
    build_log: BuildLog,
    building: Option<CancellationToken>,
    _form: Option<Controller<DefinitionForm>>,
}

#[derive(Debug)]
pub enum ProjectPageMsg {
    Build,
    CancelBuild,
    Run,
    Stop,
    DefinitionSaved,
}

#[derive(Debug)]
pub enum ProjectPageCommand {
    /// Whether the image for the current definition exists.
    Checked(bool),
    BuildEvents(Vec<BuildEvent>),
    BuildDone(Result<BuildOutcome, String>),
}

#[derive(Debug)]
pub enum ProjectPageOutput {
    Status(PathBuf, ProjectStatus),
    Toast(String),
    Error { heading: String, body: String },
    /// Worth a desktop notification when the window is in the background.
    Notify { path: PathBuf, title: String, body: String },
}

impl Component for ProjectPage {
    type Init = Project;
    type Input = ProjectPageMsg;
    type Output = ProjectPageOutput;
    type CommandOutput = ProjectPageCommand;
    type Root = gtk::Box;
    type Widgets = ();

    fn init_root() -> Self::Root {
        gtk::Box::new(gtk::Orientation::Vertical, 0)
    }

    fn init(project: Project, root: Self::Root, sender: ComponentSender<Self>) -> ComponentParts<Self> {
        let path = project.root().to_path_buf();
        let stack = adw::ViewStack::builder().vexpand(true).build();
        let switcher = adw::InlineViewSwitcher::builder()
            .stack(&stack)
            .halign(gtk::Align::Center)
            .margin_top(6)
            .margin_bottom(6)
            .build();
        switcher.update_property(&[gtk::accessible::Property::Label(&gettext("Project views"))]);
        root.append(&switcher);
        root.append(&stack);

        let (form, settings): (Option<Controller<DefinitionForm>>, gtk::Widget) =
            match definition_of(&project) {
                Ok((definition, presets)) => {
                    let form = DefinitionForm::builder()
                        .launch(DefinitionFormInit {
                            project: project.clone(),
                            presets,
                            definition,
                            limits: Limits::of_host(),
                        })
                        .forward(sender.input_sender(), |output| match output {
                            DefinitionFormOutput::Saved => ProjectPageMsg::DefinitionSaved,
                            DefinitionFormOutput::Error(message) => {
                                // Shown by the page as a dialog, below.
                                tracing::warn!("{message}");
                                ProjectPageMsg::DefinitionSaved
                            }
                        });
                    let widget = form.widget().clone().upcast();
                    (Some(form), widget)
                }
                Err(message) => (
                    None,
                    adw::StatusPage::builder()
                        .icon_name("dialog-warning-symbolic")
                        .title(gettext("The Sandbox Definition Cannot Be Read"))
                        .description(glib_escape(&message))
                        .build()
                        .upcast(),
                ),
            };
        stack.add_titled_with_icon(&settings, Some("settings"), &gettext("Sandbox"), "emblem-system-symbolic");

        let build_log = {
            let sender = sender.clone();
            BuildLog::new(move || sender.input(ProjectPageMsg::CancelBuild))
        };
        stack.add_titled_with_icon(&build_log.root, Some("build"), &gettext("Build"), "system-run-symbolic");

        let verdict = gtk::Label::builder()
            .visible(false)
            .valign(gtk::Align::Center)
            .css_classes(["caption-heading"])
            .build();
        let build_button = gtk::Button::builder()
            .label(gettext("_Build"))
            .use_underline(true)
            .tooltip_text(gettext("Build the sandbox image (Ctrl+B)"))
            .build();
        build_button.update_property(&[gtk::accessible::Property::Label(&gettext("Build the sandbox image"))]);
        {
            let sender = sender.clone();
            build_button.connect_clicked(move |_| sender.input(ProjectPageMsg::Build));
        }
        let run_button = gtk::Button::builder()
            .label(gettext("_Run"))
            .use_underline(true)
            .css_classes(["suggested-action"])
            .tooltip_text(gettext("Run the agent in its sandbox (Ctrl+R)"))
            .build();
        run_button.update_property(&[gtk::accessible::Property::Label(&gettext("Run the agent in its sandbox"))]);
        {
            let sender = sender.clone();
            run_button.connect_clicked(move |_| sender.input(ProjectPageMsg::Run));
        }
        let header = gtk::Box::builder().spacing(6).build();
        header.append(&verdict);
        header.append(&build_button);
        header.append(&run_button);

        let model = ProjectPage {
            path,
            project,
            root,
            stack,
            header,
            build_button,
            run_button,
            verdict,
            build_log,
            building: None,
            _form: form,
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
            ProjectPageMsg::Run | ProjectPageMsg::Stop => {}
            ProjectPageMsg::DefinitionSaved => self.check_image(&sender),
        }
    }

    fn update_cmd(
        &mut self,
        command: ProjectPageCommand,
        sender: ComponentSender<Self>,
        _root: &Self::Root,
    ) {
        match command {
            ProjectPageCommand::Checked(exists) => {
                if self.building.is_none() {
                    self.status(&sender, if exists { ProjectStatus::Built } else { ProjectStatus::NotBuilt });
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
                self.build_button.set_sensitive(true);
                let name = self.name();
                match result {
                    Ok(outcome) => {
                        self.build_log.finished(outcome == BuildOutcome::AlreadyBuilt);
                        self.status(&sender, ProjectStatus::Built);
                        let _ = sender.output(ProjectPageOutput::Notify {
                            path: self.path.clone(),
                            title: fill(&gettext("{name} is built"), &[("name", &name)]),
                            body: gettext("The sandbox is ready to run."),
                        });
                    }
                    Err(_) if cancelled => {
                        self.build_log.cancelled();
                        self.status(&sender, ProjectStatus::NotBuilt);
                        let _ = sender.output(ProjectPageOutput::Toast(gettext("Build cancelled")));
                    }
                    Err(message) => {
                        self.build_log.failed(&message);
                        self.status(&sender, ProjectStatus::BuildFailed);
                        let _ = sender.output(ProjectPageOutput::Notify {
                            path: self.path.clone(),
                            title: fill(&gettext("Building {name} failed"), &[("name", &name)]),
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
        self.header.clone().upcast()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn name(&self) -> String {
        self.project.folder_name()
    }

    fn status(&self, sender: &ComponentSender<Self>, status: ProjectStatus) {
        let _ = sender.output(ProjectPageOutput::Status(self.path.clone(), status));
    }

    fn check_image(&self, sender: &ComponentSender<Self>) {
        let project = self.project.clone();
        sender.oneshot_command(async move {
            let exists = async {
                let engine = bridge::engine().await.ok()?;
                let plan = project_plan::plan(&project, &engine).await.ok()?;
                engine.image_exists(&plan.build.image).await.ok()
            };
            ProjectPageCommand::Checked(exists.await.unwrap_or(false))
        });
    }

    fn build(&mut self, sender: &ComponentSender<Self>) {
        if self.building.is_some() {
            return;
        }
        let cancel = CancellationToken::new();
        self.building = Some(cancel.clone());
        self.build_button.set_sensitive(false);
        self.build_log.start();
        self.stack.set_visible_child_name("build");
        self.status(sender, ProjectStatus::Building);
        let project = self.project.clone();
        sender.command(move |out, _shutdown| async move {
            let result = async {
                let engine = bridge::engine().await.map_err(|e| e.to_string())?;
                let plan = project_plan::plan(&project, &engine).await?;
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

/// The project's definition, or a new one with the defaults when the folder
/// has none yet (written on the first change or build).
fn definition_of(project: &Project) -> Result<(Definition, Presets), String> {
    let presets = Presets::load(Presets::user_dir().as_deref()).map_err(|e| e.to_string())?;
    if project.has_definition() {
        let definition = project.load_definition(&presets).map_err(|e| e.to_string())?;
        Ok((definition, presets))
    } else {
        let os_release = std::fs::read_to_string("/etc/os-release").ok();
        let base = crate::sandbox::host_facts::default_base_image(os_release.as_deref());
        Ok((Definition::new(DEFAULT_PRESET, &base), presets))
    }
}

fn glib_escape(text: &str) -> String {
    gtk::glib::markup_escape_text(text).to_string()
}
