//! The root component: the window, the sidebar of projects, one page per
//! project, and the application actions other programs use over D-Bus.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use adw::prelude::*;
use gettextrs::{gettext, ngettext};
use gtk::{gdk, gio, glib};
use relm4::prelude::*;

use super::actions;
use super::bridge::{self, Link};
use super::components::project_list::{ProjectList, ProjectListMsg, ProjectListOutput};
use super::dialogs;
use super::folder;
#[cfg(feature = "test-hooks")]
use super::introspection;
use super::notify;
use super::pages::project::{ProjectPage, ProjectPageInit, ProjectPageMsg, ProjectPageOutput};
use super::pages::system_check::{Blocking, SystemCheck, SystemCheckMsg, SystemCheckOutput};
use super::preferences::Preferences;
use super::state::UiState;
use super::status::ProjectStatus;
use super::text::{project_name, shown_path};
use crate::settings::Settings;
use host::document_portal::{self, FolderError};
use sandbox::messages::tr;
use sandbox::project::Project;

/// The narrowest width (sp) at which sidebar and content still fit side by side.
const COLLAPSE_BELOW: f64 = 400.0;
/// Below this width (sp) the header's buttons show icons only.
const COMPACT_BELOW: f64 = 700.0;

fn narrower_than(width: f64) -> adw::Breakpoint {
    adw::Breakpoint::new(adw::BreakpointCondition::new_length(
        adw::BreakpointConditionLengthType::MaxWidth,
        width,
        adw::LengthUnit::Sp,
    ))
}

pub struct App {
    state: UiState,
    state_path: PathBuf,
    settings: Settings,
    window: adw::ApplicationWindow,
    toasts: adw::ToastOverlay,
    split: adw::NavigationSplitView,
    content_page: adw::NavigationPage,
    title: adw::WindowTitle,
    header: adw::HeaderBar,
    /// The current project's Build / Run buttons, swapped into the header.
    header_actions: Option<gtk::Widget>,
    stack: gtk::Stack,
    sidebar: Controller<ProjectList>,
    system_check: Controller<SystemCheck>,
    /// Shown while podman is unreachable or a host check blocks microVMs,
    /// with the fix.
    banner: adw::Banner,
    blocking: Option<Blocking>,
    /// The host problem whose banner the user closed: it stays closed until
    /// the problem changes (or Paddock starts again).
    dismissed: Option<HostProblem>,
    /// podman went away after answering; reconnecting.
    disconnected: bool,
    pages: HashMap<PathBuf, Controller<ProjectPage>>,
    current: Option<PathBuf>,
    /// The project last removed, until its toast's Undo is gone.
    removed: Option<Removed>,
    /// The Preferences dialog last opened.
    preferences: Option<Preferences>,
}

/// What the banner over a project is about.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HostProblem {
    /// podman stopped answering.
    Disconnected,
    Blocking(Blocking),
}

/// A project taken off the list, kept whole (its page, and the terminal of
/// a sandbox that runs) so that Undo puts it back as it was.
struct Removed {
    path: PathBuf,
    /// Where it was in the list.
    index: usize,
    page: Option<Controller<ProjectPage>>,
}

#[derive(Debug)]
pub enum AppMsg {
    /// Adds (or brings up) a project folder: from the `app.open-project`
    /// action or `paddock open`.
    Open(PathBuf),
    /// A folder from the chooser or a drop, which may be a document-portal
    /// path to resolve first.
    OpenChosen(PathBuf),
    ShowSystemCheck,
    BannerClicked,
    /// The banner's close button.
    BannerDismissed,
    /// The window became narrow (or wide again): icons in the header.
    Compact(bool),
    Blocking(Option<Blocking>),
    Select(PathBuf),
    /// Opens a project and raises the window (a notification was activated).
    Show(PathBuf),
    /// Remove From List was chosen: asks first while the sandbox runs.
    RemoveAsked(PathBuf),
    /// Forgets a project; its folder is never touched.
    Remove(PathBuf),
    /// The removal toast's Undo.
    UndoRemove,
    /// The removal toast is gone: Undo no longer can be.
    RemovalFinal(PathBuf),
    ChooseFolder,
    Build(Option<PathBuf>),
    Run(Option<PathBuf>),
    Stop(Option<PathBuf>),
    /// The project's Changes view.
    Changes(Option<PathBuf>),
    /// A blocked-host notification's Allow: onto the project's allowlist.
    AllowHost(PathBuf, String),
    /// A blocked-host notification's Ignore: it goes, and since each host
    /// is told once per run, nothing more comes about it.
    IgnoreHost(PathBuf, String),
    /// The project's sandbox was refused a host for the first time in its
    /// run: a notification when the window is in the background.
    Blocked {
        path: PathBuf,
        entry: String,
    },
    StatusChanged(PathBuf, ProjectStatus),
    Toast(String),
    /// A desktop notification, sent only when the window is not focused.
    Notify {
        path: PathBuf,
        title: String,
        body: String,
    },
    Error {
        heading: String,
        body: String,
    },
    About,
    Preferences,
    Shortcuts,
    /// The next (1) or previous (-1) project of the sidebar.
    CycleProject(i32),
    /// The current project's view at this place (Alt+1, Alt+2, ...).
    ShowView(u32),
    /// Leaves the window (closed, or the quit action); sandboxes keep
    /// running and are reattached next time.
    Quit,
}

#[derive(Debug)]
pub enum AppCommand {
    FolderChosen(Result<Option<PathBuf>, folder::ChooseError>),
    Resolved(Result<PathBuf, FolderError>),
    Podman(Link),
}

impl AsyncComponent for App {
    type Init = ();
    type Input = AppMsg;
    type Output = ();
    type CommandOutput = AppCommand;
    type Root = adw::ApplicationWindow;
    type Widgets = ();

    /// Sized here, before the window is first shown (the async `init` runs
    /// after that).
    fn init_root() -> Self::Root {
        let (width, height, maximized) = Settings::open().window();
        adw::ApplicationWindow::builder()
            .title(gettext("Paddock"))
            .width_request(360)
            .height_request(294)
            .default_width(width)
            .default_height(height)
            .maximized(maximized)
            .build()
    }

    async fn init(
        _: (),
        window: Self::Root,
        sender: AsyncComponentSender<Self>,
    ) -> AsyncComponentParts<Self> {
        let state_path = UiState::default_path();
        let (state, damaged) = UiState::load(&state_path);
        if let Some(aside) = damaged {
            sender.input(AppMsg::Toast(tr(
                "Paddock could not read its list of projects and starts with an empty one; the damaged file was kept as {path}",
                &[("path", &aside.display())],
            )));
        }
        if crate::config::APP_ID.ends_with(".Devel") {
            window.add_css_class("devel");
        }
        relm4::set_global_css(include_str!("style.css"));

        let sidebar = ProjectList::builder()
            .launch(state.projects.clone())
            .forward(sender.input_sender(), |output| match output {
                ProjectListOutput::Selected(path) => AppMsg::Select(path),
            });

        // Sidebar: header with "Add Project", the list.
        let add_button = gtk::Button::builder()
            .icon_name("list-add-symbolic")
            .tooltip_text(gettext("Add Project…"))
            .action_name("app.add-project")
            .build();
        add_button.update_property(&[gtk::accessible::Property::Label(&gettext(
            "Add a project folder",
        ))]);
        let menu_button = gtk::MenuButton::builder()
            .icon_name("open-menu-symbolic")
            .menu_model(&main_menu())
            .primary(true)
            .tooltip_text(gettext("Main Menu"))
            .build();
        menu_button.update_property(&[gtk::accessible::Property::Label(&gettext("Main menu"))]);
        let sidebar_header = adw::HeaderBar::new();
        sidebar_header.pack_start(&add_button);
        sidebar_header.pack_end(&menu_button);
        let sidebar_view = adw::ToolbarView::new();
        sidebar_view.add_top_bar(&sidebar_header);
        sidebar_view.set_content(Some(sidebar.widget()));
        let sidebar_page = adw::NavigationPage::builder()
            .title(gettext("Projects"))
            .tag("sidebar")
            .child(&sidebar_view)
            .build();

        // Content: header with the current project's actions, one page per project.
        let title = adw::WindowTitle::new(&gettext("Paddock"), "");
        let header = adw::HeaderBar::builder().title_widget(&title).build();
        let stack = gtk::Stack::builder()
            .transition_type(gtk::StackTransitionType::Crossfade)
            .build();
        stack.add_named(&empty_state(), Some("empty"));
        let system_check = SystemCheck::builder().launch(()).forward(
            sender.input_sender(),
            |output| match output {
                SystemCheckOutput::Blocking(blocking) => AppMsg::Blocking(blocking),
                SystemCheckOutput::Toast(text) => AppMsg::Toast(text),
                SystemCheckOutput::Error { heading, body } => AppMsg::Error { heading, body },
            },
        );
        stack.add_named(system_check.widget(), Some("system-check"));
        let banner = adw::Banner::builder().revealed(false).build();
        banner.add_css_class("dismissible");
        {
            let sender = sender.clone();
            banner.connect_button_clicked(move |_| sender.input(AppMsg::BannerClicked));
        }
        // A banner has no close button of its own: one over its end.
        let dismiss = gtk::Button::builder()
            .icon_name("window-close-symbolic")
            .tooltip_text(gettext("Dismiss"))
            .halign(gtk::Align::End)
            .valign(gtk::Align::Center)
            .margin_end(6)
            .css_classes(["flat", "circular"])
            .visible(false)
            .build();
        dismiss.update_property(&[gtk::accessible::Property::Label(&gettext(
            "Dismiss this message",
        ))]);
        {
            let sender = sender.clone();
            dismiss.connect_clicked(move |_| sender.input(AppMsg::BannerDismissed));
        }
        banner
            .bind_property("revealed", &dismiss, "visible")
            .sync_create()
            .build();
        let banner_bar = gtk::Overlay::builder().child(&banner).build();
        banner_bar.add_overlay(&dismiss);
        let content_view = adw::ToolbarView::new();
        content_view.add_top_bar(&header);
        content_view.add_top_bar(&banner_bar);
        content_view.set_content(Some(&stack));
        let content_page = adw::NavigationPage::builder()
            .title(gettext("Paddock"))
            .tag("content")
            .child(&content_view)
            .build();

        let split = adw::NavigationSplitView::builder()
            .sidebar(&sidebar_page)
            .content(&content_page)
            .min_sidebar_width(220.0)
            .build();
        let drop_hint = drop_hint();
        let dropping = gtk::Overlay::builder().child(&split).build();
        dropping.add_overlay(&drop_hint);
        let toasts = adw::ToastOverlay::new();
        toasts.set_child(Some(&dropping));
        window.set_content(Some(&toasts));

        // Breakpoints apply one at a time, the last matching one: the
        // narrower one also keeps the header compact.
        let compact = narrower_than(COMPACT_BELOW);
        window.add_breakpoint(compact);
        let collapse = narrower_than(COLLAPSE_BELOW);
        collapse.add_setter(&split, "collapsed", Some(&true.to_value()));
        window.add_breakpoint(collapse);
        {
            let sender = sender.clone();
            window.connect_current_breakpoint_notify(move |window| {
                sender.input(AppMsg::Compact(window.current_breakpoint().is_some()));
            });
        }

        window.add_controller(drop_target(&sender, &drop_hint));
        {
            // Through Quit, which writes what the pages have not yet.
            let sender = sender.clone();
            window.connect_close_request(move |_| {
                sender.input(AppMsg::Quit);
                glib::Propagation::Stop
            });
        }

        let app = relm4::main_adw_application();
        actions::install(&app, &sender);
        #[cfg(feature = "test-hooks")]
        introspection::install(&app, &window);

        let model = App {
            state,
            state_path,
            settings: Settings::open(),
            window,
            toasts,
            split,
            content_page,
            title,
            header,
            header_actions: None,
            stack,
            sidebar,
            system_check,
            banner,
            blocking: None,
            dismissed: None,
            disconnected: false,
            pages: HashMap::new(),
            current: None,
            removed: None,
            preferences: None,
        };
        match model.state.projects.first() {
            Some(first) => sender.input(AppMsg::Select(first.clone())),
            // A narrow window shows the empty state, not an empty list.
            None => model.split.set_show_content(true),
        }
        watch_sandboxes(&sender);
        AsyncComponentParts { model, widgets: () }
    }

    async fn update(
        &mut self,
        msg: AppMsg,
        sender: AsyncComponentSender<Self>,
        _root: &Self::Root,
    ) {
        match msg {
            AppMsg::Open(path) => {
                self.open(path, &sender);
            }
            AppMsg::Select(path) => self.select(&path, &sender),
            AppMsg::OpenChosen(path) => {
                sender.oneshot_command(async move {
                    AppCommand::Resolved(document_portal::resolve_folder(&path).await)
                });
            }
            AppMsg::ShowSystemCheck => self.show_system_check(),
            AppMsg::Compact(compact) => {
                for page in self.pages.values() {
                    page.emit(ProjectPageMsg::Compact(compact));
                }
            }
            AppMsg::BannerClicked => match self.blocking.as_ref().and_then(|b| b.action) {
                Some(action) if !self.disconnected => {
                    self.system_check.emit(SystemCheckMsg::Perform(action))
                }
                _ => self.show_system_check(),
            },
            AppMsg::BannerDismissed => {
                self.dismissed = self.host_problem();
                self.show_banner();
            }
            AppMsg::Blocking(blocking) => {
                self.blocking = blocking;
                self.show_banner();
            }
            AppMsg::RemoveAsked(path) => self.ask_remove(path, &sender),
            AppMsg::Remove(path) => self.remove(&path, &sender),
            AppMsg::UndoRemove => self.undo_remove(),
            AppMsg::RemovalFinal(path) => {
                if self
                    .removed
                    .as_ref()
                    .is_some_and(|removed| removed.path == path)
                {
                    self.removed = None;
                }
            }
            AppMsg::ChooseFolder => {
                // The dialog is GTK's, so it is awaited on the main loop.
                let window = self.window.clone().upcast::<gtk::Window>();
                let commands = sender.command_sender().clone();
                relm4::spawn_local(async move {
                    commands.emit(AppCommand::FolderChosen(folder::choose(&window).await));
                });
            }
            AppMsg::Build(path) => self.forward(path, ProjectPageMsg::Build, &sender),
            AppMsg::Run(path) => self.forward(path, ProjectPageMsg::Run, &sender),
            AppMsg::Stop(path) => self.forward(path, ProjectPageMsg::Stop, &sender),
            AppMsg::Changes(path) => self.forward(path, ProjectPageMsg::ShowChanges, &sender),
            AppMsg::AllowHost(path, entry) => {
                notify::withdraw_blocked(&path, &entry);
                self.forward(Some(path), ProjectPageMsg::AllowHost(entry), &sender);
            }
            AppMsg::IgnoreHost(path, entry) => notify::withdraw_blocked(&path, &entry),
            AppMsg::Blocked { path, entry } => {
                if !self.window.is_active() {
                    notify::send_blocked(&path, &entry);
                }
            }
            AppMsg::StatusChanged(path, status) => {
                self.sidebar.emit(ProjectListMsg::SetStatus(path, status));
            }
            AppMsg::Toast(text) => self.toasts.add_toast(dialogs::toast(&text)),
            AppMsg::Notify { path, title, body } => {
                if self.window.is_active() {
                    self.toasts.add_toast(dialogs::toast(&title));
                } else {
                    notify::send(&path, &title, &body);
                }
            }
            AppMsg::Error { heading, body } => dialogs::error(&self.window, &heading, &body),
            AppMsg::About => dialogs::about(&self.window),
            // Once: the key again while it is open does not stack another.
            AppMsg::Preferences => {
                if !self.preferences.as_ref().is_some_and(Preferences::is_open) {
                    self.preferences = Some(Preferences::present(&self.window, &self.settings));
                }
            }
            AppMsg::Shortcuts => dialogs::shortcuts(&self.window),
            AppMsg::CycleProject(step) => self.cycle_project(step, &sender),
            AppMsg::ShowView(index) => {
                if let Some(page) = self.current.as_ref().and_then(|path| self.pages.get(path)) {
                    page.emit(ProjectPageMsg::ShowView(index));
                }
            }
            AppMsg::Show(path) => {
                self.open(path, &sender);
                self.window.present();
            }
            AppMsg::Quit => {
                for (path, page) in &self.pages {
                    // The window is going, so a failure can only be logged
                    // (one while typing was shown then).
                    if let Err(error) = page.model().save_edit() {
                        tracing::warn!(
                            "the definition of {} is not saved: {error}",
                            path.display()
                        );
                    }
                }
                self.save_window();
                relm4::main_adw_application().quit();
            }
        }
    }

    async fn update_cmd(
        &mut self,
        command: AppCommand,
        sender: AsyncComponentSender<Self>,
        _root: &Self::Root,
    ) {
        match command {
            AppCommand::FolderChosen(Ok(Some(path))) => sender.input(AppMsg::OpenChosen(path)),
            AppCommand::Resolved(Ok(path)) => {
                self.open(path, &sender);
            }
            AppCommand::Resolved(Err(error)) => {
                dialogs::error(
                    &self.window,
                    &gettext("Cannot Add This Folder"),
                    &error.to_string(),
                );
            }
            AppCommand::FolderChosen(Ok(None)) => {}
            AppCommand::FolderChosen(Err(error)) => {
                dialogs::error(
                    &self.window,
                    &gettext("Could Not Choose a Folder"),
                    &error.to_string(),
                );
            }
            AppCommand::Podman(Link::Down(reason)) => {
                tracing::info!("podman unreachable: {reason}");
                self.disconnected = true;
                self.show_banner();
            }
            AppCommand::Podman(Link::Up { running }) => {
                // At start too: podman may have come up after the window.
                self.disconnected = false;
                self.system_check.emit(SystemCheckMsg::Refresh);
                self.show_banner();
                for page in self.pages.values() {
                    page.emit(ProjectPageMsg::Recheck);
                }
                self.still_running(running, &sender);
            }
            AppCommand::Podman(Link::Sandbox(event)) => {
                if let Some(page) = self.pages.get(&event.project) {
                    page.emit(ProjectPageMsg::Sandbox(event.change));
                }
            }
        }
    }
}

impl App {
    /// Reopens the projects whose sandboxes run without a terminal here,
    /// leaving the project the user is looking at in view. A folder that
    /// is gone (or no longer acceptable) is skipped: it is no news to the
    /// user, who may have removed it long ago.
    fn still_running(&mut self, projects: Vec<PathBuf>, sender: &AsyncComponentSender<Self>) {
        if projects.is_empty() {
            return;
        }
        for project in &projects {
            match folder::accept(project) {
                Ok(project) => {
                    // A page checks for its running sandbox when created.
                    let path = self.add_page(project, sender);
                    if !self.state.projects.contains(&path) {
                        self.state.remember(&path);
                        self.sidebar.emit(ProjectListMsg::Show(path.clone()));
                    }
                    if self.current.is_none() {
                        self.show(&path);
                    }
                }
                Err(error) => {
                    tracing::warn!("a sandbox runs for {}: {error}", project.display());
                }
            }
        }
        self.save_state();
        if let Some(current) = self.current.clone() {
            // The list selects what it adds: back to what is in view.
            self.sidebar.emit(ProjectListMsg::Show(current));
        }
        let count = projects.len();
        self.toasts.add_toast(dialogs::toast(
            &ngettext(
                "{count} sandbox is still running; reattach from its project",
                "{count} sandboxes are still running; reattach from their projects",
                u32::try_from(count).unwrap_or(u32::MAX),
            )
            .replace("{count}", &count.to_string()),
        ));
    }

    /// What the banner is about now: a lost podman first (nothing runs or
    /// builds without it), else a blocking host check that stops what is
    /// in view.
    fn host_problem(&self) -> Option<HostProblem> {
        if self.disconnected {
            return Some(HostProblem::Disconnected);
        }
        self.blocking
            .as_ref()
            .filter(|b| self.blocked(b))
            .map(|b| HostProblem::Blocking(b.clone()))
    }

    /// The banner of [`App::host_problem`], unless the user closed it.
    fn show_banner(&self) {
        let problem = self
            .host_problem()
            .filter(|p| self.dismissed.as_ref() != Some(p));
        if problem == Some(HostProblem::Disconnected) {
            self.banner.set_title(&gettext(
                "Podman stopped answering. Running sandboxes are unaffected; Paddock reconnects when it is back.",
            ));
            self.banner.set_button_label(Some(&gettext("Show Fix")));
            self.banner.set_revealed(true);
        } else if let Some(HostProblem::Blocking(blocking)) = &problem {
            self.banner.set_title(&if blocking.microvm_only {
                gettext("This computer cannot start microVMs yet, so this project cannot run")
            } else {
                gettext("Sandboxes cannot run on this computer yet")
            });
            self.banner.set_button_label(Some(&match blocking.action {
                Some(action) => action.label(),
                None => gettext("Show Fix"),
            }));
            self.banner.set_revealed(true);
        } else {
            // Emptied too: a hidden banner must not say what no longer holds.
            self.banner.set_title("");
            self.banner.set_revealed(false);
        }
    }
    /// Whether the host problem stops what is in view: not the System
    /// Check itself (which shows it in full), not the empty window, and not
    /// a container-only project when only microVMs are blocked.
    fn blocked(&self, blocking: &Blocking) -> bool {
        let Some(current) = &self.current else {
            return false;
        };
        if !blocking.microvm_only {
            return true;
        }
        let presets =
            sandbox::presets::Presets::load(sandbox::presets::Presets::user_dir().as_deref());
        let Ok(project) = folder::accept(current) else {
            return true;
        };
        // No paddock.toml yet means the default, a microVM. A broken one
        // cannot run anyway: its own problems are what the page shows.
        if !project.definition_path().exists() {
            return true;
        }
        presets
            .ok()
            .and_then(|presets| project.load_definition(&presets).ok())
            .is_some_and(|d| d.sandbox.runtime != sandbox::definition::Runtime::Container)
    }

    /// Returns the project's path as Paddock keeps it, or `None` after
    /// telling the user why the folder cannot be a project.
    fn open(&mut self, path: PathBuf, sender: &AsyncComponentSender<Self>) -> Option<PathBuf> {
        let project = match folder::accept(&path) {
            Ok(project) => project,
            Err(error) => {
                dialogs::error(
                    &self.window,
                    &gettext("Cannot Add This Folder"),
                    &error.to_string(),
                );
                return None;
            }
        };
        let path = project.root().to_path_buf();
        self.state.remember(&path);
        self.save_state();
        self.sidebar.emit(ProjectListMsg::Show(path.clone()));
        self.show_page(project, sender);
        Some(path)
    }

    /// Selecting a project from the list: it is checked again, since the
    /// folder may have moved or gone since it was added.
    fn select(&mut self, path: &Path, sender: &AsyncComponentSender<Self>) {
        if self.pages.contains_key(path) {
            self.show(path);
            return;
        }
        match folder::accept(path) {
            Ok(project) => self.show_page(project, sender),
            Err(error) => dialogs::error(
                &self.window,
                &gettext("This Project Cannot Be Opened"),
                &tr(
                    "{error}\n\nRemove it from the list, or put the folder back.",
                    &[("error", &error)],
                ),
            ),
        }
    }

    fn show_page(&mut self, project: Project, sender: &AsyncComponentSender<Self>) {
        let path = self.add_page(project, sender);
        self.show(&path);
    }

    /// The project's page, made if it is not there yet; not brought into view.
    fn add_page(&mut self, project: Project, sender: &AsyncComponentSender<Self>) -> PathBuf {
        let path = project.root().to_path_buf();
        if !self.pages.contains_key(&path) {
            let page = ProjectPage::builder()
                .launch(ProjectPageInit {
                    project,
                    settings: self.settings.clone(),
                })
                .forward(sender.input_sender(), |output| match output {
                    ProjectPageOutput::Status(path, status) => AppMsg::StatusChanged(path, status),
                    ProjectPageOutput::Toast(text) => AppMsg::Toast(text),
                    ProjectPageOutput::Error { heading, body } => AppMsg::Error { heading, body },
                    ProjectPageOutput::Notify { path, title, body } => {
                        AppMsg::Notify { path, title, body }
                    }
                    ProjectPageOutput::Blocked { path, entry } => AppMsg::Blocked { path, entry },
                });
            self.stack
                .add_named(page.widget(), Some(&path.display().to_string()));
            self.pages.insert(path.clone(), page);
        }
        path
    }

    fn show(&mut self, path: &Path) {
        if self.current.as_deref() != Some(path) {
            self.leave_current();
        }
        let Some(page) = self.pages.get(path) else {
            return;
        };
        self.stack.set_visible_child(page.widget());
        if let Some(old) = self.header_actions.take() {
            self.header.remove(&old);
        }
        page.emit(ProjectPageMsg::Compact(
            self.window.current_breakpoint().is_some(),
        ));
        let actions: gtk::Widget = page.widgets().header.clone().upcast();
        self.header.pack_end(&actions);
        self.header_actions = Some(actions);
        let name = project_name(path);
        self.title.set_title(&name);
        self.title.set_subtitle(&shown_path(path));
        self.content_page.set_title(&name);
        self.current = Some(path.to_path_buf());
        self.show_banner();
        self.sidebar.emit(ProjectListMsg::Show(path.to_path_buf()));
        self.split.set_show_content(true);
    }

    /// The project `step` places down (up when negative) the sidebar from
    /// the current one, wrapping around; the first one when none is shown.
    fn cycle_project(&mut self, step: i32, sender: &AsyncComponentSender<Self>) {
        let projects = &self.state.projects;
        if projects.is_empty() {
            return;
        }
        let count = i64::try_from(projects.len()).unwrap_or(i64::MAX);
        let next = match self
            .current
            .as_ref()
            .and_then(|current| projects.iter().position(|p| p == current))
        {
            Some(index) => (i64::try_from(index).unwrap_or(0) + i64::from(step)).rem_euclid(count),
            None => 0,
        };
        let Some(path) = usize::try_from(next)
            .ok()
            .and_then(|next| projects.get(next))
            .cloned()
        else {
            return;
        };
        self.select(&path, sender);
    }

    fn show_system_check(&mut self) {
        self.leave_current();
        self.system_check.emit(SystemCheckMsg::Refresh);
        self.stack.set_visible_child_name("system-check");
        if let Some(old) = self.header_actions.take() {
            self.header.remove(&old);
        }
        self.title.set_title(&gettext("System Check"));
        self.title.set_subtitle("");
        self.content_page.set_title(&gettext("System Check"));
        self.current = None;
        self.show_banner();
        self.split.set_show_content(true);
    }

    /// Removing a project whose sandbox runs closes its terminal (the
    /// sandbox runs on): worth a question.
    fn ask_remove(&self, path: PathBuf, sender: &AsyncComponentSender<Self>) {
        let running = self
            .pages
            .get(&path)
            .is_some_and(|page| page.model().is_running());
        if !running {
            sender.input(AppMsg::Remove(path));
            return;
        }
        let dialog = adw::AlertDialog::new(
            Some(&gettext("Remove Running Project?")),
            Some(&tr(
                "The sandbox of {name} is running. It keeps running without a terminal here; adding the folder again reattaches to it. The folder is untouched.",
                &[("name", &project_name(&path))],
            )),
        );
        dialog.add_responses(&[
            ("cancel", &gettext("_Cancel")),
            ("remove", &gettext("_Remove")),
        ]);
        dialog.set_response_appearance("remove", adw::ResponseAppearance::Destructive);
        dialog.set_default_response(Some("cancel"));
        dialog.set_close_response("cancel");
        let sender = sender.clone();
        dialog.connect_response(Some("remove"), move |_, _| {
            sender.input(AppMsg::Remove(path.clone()));
        });
        dialog.present(Some(&self.window));
    }

    fn remove(&mut self, path: &Path, sender: &AsyncComponentSender<Self>) {
        let Some(index) = self.state.projects.iter().position(|p| p == path) else {
            return;
        };
        if self.current.as_deref() == Some(path) {
            self.leave_current();
        }
        self.state.forget(path);
        self.save_state();
        self.sidebar
            .emit(ProjectListMsg::Remove(path.to_path_buf()));
        let page = self.pages.remove(path);
        if let Some(page) = &page {
            self.stack.remove(page.widget());
        }
        if self.current.as_deref() == Some(path) {
            self.current = None;
            self.show_banner();
            if let Some(old) = self.header_actions.take() {
                self.header.remove(&old);
            }
            self.stack.set_visible_child_name("empty");
            self.title.set_title(&gettext("Paddock"));
            self.title.set_subtitle("");
            self.content_page.set_title(&gettext("Paddock"));
            // Back to the list, or to the empty state when it is empty.
            self.split.set_show_content(self.state.projects.is_empty());
        }
        // An earlier removal can no longer be undone.
        self.removed = Some(Removed {
            path: path.to_path_buf(),
            index,
            page,
        });
        let toast = dialogs::toast(&tr(
            "Removed {name} from the list; the folder is untouched",
            &[("name", &project_name(path))],
        ));
        toast.set_button_label(Some(&gettext("_Undo")));
        toast.set_priority(adw::ToastPriority::High);
        {
            let sender = sender.clone();
            toast.connect_button_clicked(move |_| sender.input(AppMsg::UndoRemove));
        }
        {
            let sender = sender.clone();
            let path = path.to_path_buf();
            toast.connect_dismissed(move |_| sender.input(AppMsg::RemovalFinal(path.clone())));
        }
        self.toasts.add_toast(toast);
    }

    /// Puts the last removed project back where it was, as it was.
    fn undo_remove(&mut self) {
        let Some(Removed { path, index, page }) = self.removed.take() else {
            return;
        };
        if self.state.projects.contains(&path) {
            return;
        }
        let index = index.min(self.state.projects.len());
        self.state.projects.insert(index, path.clone());
        self.save_state();
        let status = page
            .as_ref()
            .map_or(ProjectStatus::NotBuilt, |page| page.model().status());
        self.sidebar
            .emit(ProjectListMsg::Restore(path.clone(), index, status));
        if let Some(page) = page {
            self.stack
                .add_named(page.widget(), Some(&path.display().to_string()));
            self.pages.insert(path.clone(), page);
            self.show(&path);
        }
    }

    /// The project in view is left: what its form holds is written.
    fn leave_current(&self) {
        let Some(page) = self.current.as_ref().and_then(|path| self.pages.get(path)) else {
            return;
        };
        if let Err(error) = page.model().save_edit() {
            dialogs::error(
                &self.window,
                &gettext("The Sandbox Definition Cannot Be Saved"),
                &error.to_string(),
            );
        }
    }

    /// Sends a page message to the named project (opening it first), or to
    /// the current one.
    fn forward(
        &mut self,
        path: Option<PathBuf>,
        msg: ProjectPageMsg,
        sender: &AsyncComponentSender<Self>,
    ) {
        let path = match path {
            Some(path) => match self.open(path, sender) {
                Some(path) => path,
                None => return,
            },
            None => match self.current.clone() {
                Some(path) => path,
                None => {
                    self.toasts
                        .add_toast(dialogs::toast(&gettext("Add a project first")));
                    return;
                }
            },
        };
        if let Some(page) = self.pages.get(&path) {
            page.emit(msg);
        }
    }

    fn save_state(&self) {
        if let Err(error) = self.state.save(&self.state_path) {
            tracing::warn!("could not save {}: {error}", self.state_path.display());
        }
    }

    /// The size the window returns to next time (the unmaximized one).
    fn save_window(&self) {
        let (width, height) = self.window.default_size();
        self.settings
            .save_window(width, height, self.window.is_maximized());
        self.settings.flush();
    }
}

/// Finds the sandboxes left running by an earlier session, then follows
/// podman's events so that every project's state stays current without
/// polling, through podman's restarts.
fn watch_sandboxes(sender: &AsyncComponentSender<App>) {
    sender.command(|out, shutdown| {
        shutdown
            .register(bridge::follow_podman(move |link| {
                out.emit(AppCommand::Podman(link))
            }))
            .drop_on_shutdown()
    });
}

fn empty_state() -> adw::StatusPage {
    let add = gtk::Button::builder()
        .label(gettext("_Add Project…"))
        .use_underline(true)
        .halign(gtk::Align::Center)
        .action_name("app.add-project")
        .css_classes(["pill", "suggested-action"])
        .build();
    add.update_property(&[gtk::accessible::Property::Label(&gettext(
        "Add a project folder",
    ))]);
    adw::StatusPage::builder()
        .icon_name("folder-open-symbolic")
        .title(gettext("No Projects"))
        .description(gettext(
            "Drop a project folder here, or add one to run an agent in its own microVM",
        ))
        .child(&add)
        .build()
}

fn main_menu() -> gio::Menu {
    let menu = gio::Menu::new();
    let checks = gio::Menu::new();
    checks.append(Some(&gettext("_System Check")), Some("app.system-check"));
    menu.append_section(None, &checks);
    let section = gio::Menu::new();
    section.append(Some(&gettext("_Preferences")), Some("app.preferences"));
    section.append(Some(&gettext("_Keyboard Shortcuts")), Some("app.shortcuts"));
    section.append(Some(&gettext("_About Paddock")), Some("app.about"));
    menu.append_section(None, &section);
    menu
}

/// Shown over the window while a folder is dragged over it. It takes no
/// pointer events, so that what lies under the pointer can be found.
fn drop_hint() -> gtk::Widget {
    let page = adw::StatusPage::builder()
        .icon_name("list-add-symbolic")
        .title(gettext("Drop Folder to Add Project"))
        .build();
    page.add_css_class("drop-hint");
    page.set_can_target(false);
    page.set_visible(false);
    page.upcast()
}

/// Whether the point of `window` lies on a terminal, whose drops are its
/// own (files for the sandbox's inbox, not projects).
fn over_terminal(window: &gtk::Widget, x: f64, y: f64) -> bool {
    window
        .pick(x, y, gtk::PickFlags::DEFAULT)
        .is_some_and(|picked| {
            picked.is::<vte4::Terminal>()
                || picked.ancestor(vte4::Terminal::static_type()).is_some()
        })
}

/// Folders dropped from Files (or any file manager) become projects; the
/// hint shows while one is dragged over the window, not over a terminal.
fn drop_target(sender: &AsyncComponentSender<App>, hint: &gtk::Widget) -> gtk::DropTarget {
    let target = gtk::DropTarget::new(gdk::FileList::static_type(), gdk::DragAction::COPY);
    target.connect_motion(glib::clone!(
        #[weak]
        hint,
        #[upgrade_or]
        gdk::DragAction::empty(),
        move |target, x, y| {
            let blocked = target
                .widget()
                .is_some_and(|window| over_terminal(&window, x, y));
            hint.set_visible(!blocked);
            if blocked {
                gdk::DragAction::empty()
            } else {
                gdk::DragAction::COPY
            }
        }
    ));
    target.connect_leave(glib::clone!(
        #[weak]
        hint,
        move |_| hint.set_visible(false)
    ));
    let sender = sender.clone();
    let hint = hint.downgrade();
    target.connect_drop(move |target, value, x, y| {
        if let Some(hint) = hint.upgrade() {
            hint.set_visible(false);
        }
        if target
            .widget()
            .is_some_and(|window| over_terminal(&window, x, y))
        {
            return false;
        }
        let Ok(files) = value.get::<gdk::FileList>() else {
            return false;
        };
        let mut any = false;
        for file in files.files() {
            if let Some(path) = file.path() {
                sender.input(AppMsg::OpenChosen(path));
                any = true;
            }
        }
        any
    });
    target
}
