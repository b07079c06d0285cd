//! The Changes view: what the last run changed in the project (added,
//! changed, deleted since its sandbox started), the files the host's own
//! tools run pinned at the top and marked, the diff of the file clicked,
//! and Open Folder / Open in Editor through the portals.
//!
//! The lists come from [`sandbox::changes`], like `paddock changes`; every
//! name and every diff is the agent's text and is shown escaped.

use std::collections::BTreeSet;
use std::path::PathBuf;

use adw::prelude::*;
use gettextrs::gettext;
use gtk::{gio, glib};
use relm4::prelude::*;

use crate::ui::text::time_in_words;
use sandbox::changes::record::{Record, RecordError, Records};
use sandbox::changes::{ChangeKind, Changes};
use sandbox::messages::{tr, tr_n};
use sandbox::shown::{escape, escape_line};

/// How often a running sandbox's changes are looked at, for the
/// notification about a file the host runs.
const WHILE_RUNNING: u32 = 15;

pub struct ChangesView {
    project: PathBuf,
    record: Option<Record>,
    changes: Changes,
    selected: Option<usize>,
    running: bool,
    /// Flagged files already notified, so that each is said once.
    notified: BTreeSet<String>,
    /// A computation is under way.
    busy: bool,
    summary: gtk::Label,
    list: gtk::ListBox,
    diff: gtk::TextView,
    open_editor: gtk::Button,
}

#[derive(Debug)]
pub enum ChangesMsg {
    /// Look again (the Refresh button, the view shown).
    Refresh,
    /// A sandbox of this project started or was found running.
    Running,
    /// It ended: look, and notify about the files the host runs.
    Ended,
    /// The timer while it runs.
    Tick,
    Select(usize),
    OpenFolder,
    OpenInEditor,
}

#[derive(Debug)]
pub enum ChangesCommand {
    Computed {
        result: Result<(Record, Changes), String>,
        notify: bool,
    },
}

#[derive(Debug)]
pub enum ChangesOutput {
    /// Files the host runs changed: worth a notification.
    Notify {
        title: String,
        body: String,
    },
    Error {
        heading: String,
        body: String,
    },
}

impl Component for ChangesView {
    type Init = PathBuf;
    type Input = ChangesMsg;
    type Output = ChangesOutput;
    type CommandOutput = ChangesCommand;
    type Root = gtk::Box;
    type Widgets = ();

    fn init_root() -> gtk::Box {
        gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(6)
            .margin_start(12)
            .margin_end(12)
            .margin_top(6)
            .margin_bottom(12)
            .build()
    }

    fn init(
        project: PathBuf,
        root: gtk::Box,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let summary = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .hexpand(true)
            .label(gettext("No run recorded yet"))
            .build();
        let button = |label: &str, msg: fn() -> ChangesMsg| {
            let button = gtk::Button::builder()
                .label(label)
                .use_underline(true)
                .valign(gtk::Align::Center)
                .build();
            let sender = sender.clone();
            button.connect_clicked(move |_| sender.input(msg()));
            button
        };
        let refresh = button(&gettext("_Refresh"), || ChangesMsg::Refresh);
        let open_folder = button(&gettext("Open _Folder"), || ChangesMsg::OpenFolder);
        let open_editor = button(&gettext("Open in _Editor"), || ChangesMsg::OpenInEditor);
        open_editor.set_sensitive(false);
        // The summary above the buttons, which wrap onto a second line
        // where they do not fit side by side (a 360 px window, German).
        let buttons = adw::WrapBox::builder()
            .child_spacing(6)
            .line_spacing(6)
            .align(1.0)
            .build();
        buttons.append(&refresh);
        buttons.append(&open_folder);
        buttons.append(&open_editor);
        let top = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(6)
            .build();
        top.append(&summary);
        top.append(&buttons);

        let list = gtk::ListBox::builder()
            .selection_mode(gtk::SelectionMode::Single)
            .css_classes(["boxed-list"])
            .valign(gtk::Align::Start)
            .build();
        list.update_property(&[gtk::accessible::Property::Label(&gettext("Changed files"))]);
        {
            let sender = sender.clone();
            list.connect_row_activated(move |_, row| {
                sender.input(ChangesMsg::Select(row.index().max(0) as usize));
            });
        }
        let list_scroller = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .min_content_height(120)
            .vexpand(true)
            .child(&list)
            .build();
        let diff = gtk::TextView::builder()
            .editable(false)
            .cursor_visible(false)
            .monospace(true)
            .wrap_mode(gtk::WrapMode::WordChar)
            .top_margin(6)
            .bottom_margin(6)
            .left_margin(6)
            .right_margin(6)
            .build();
        diff.update_property(&[gtk::accessible::Property::Label(&gettext("Diff"))]);
        let diff_scroller = gtk::ScrolledWindow::builder()
            .min_content_height(120)
            .vexpand(true)
            .child(&diff)
            .css_classes(["card"])
            .build();
        root.append(&top);
        root.append(&list_scroller);
        root.append(&diff_scroller);

        {
            let sender = sender.clone();
            glib::timeout_add_seconds_local(WHILE_RUNNING, move || {
                sender.input(ChangesMsg::Tick);
                glib::ControlFlow::Continue
            });
        }
        let model = ChangesView {
            project,
            record: None,
            changes: Changes::default(),
            selected: None,
            running: false,
            notified: BTreeSet::new(),
            busy: false,
            summary,
            list,
            diff,
            open_editor,
        };
        model.compute(false, &sender);
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, msg: ChangesMsg, sender: ComponentSender<Self>, root: &gtk::Box) {
        match msg {
            ChangesMsg::Refresh => self.start(false, &sender),
            ChangesMsg::Running => {
                self.running = true;
                self.notified.clear();
            }
            ChangesMsg::Ended => {
                self.running = false;
                self.start(true, &sender);
            }
            ChangesMsg::Tick if self.running => self.start(true, &sender),
            ChangesMsg::Tick => {}
            ChangesMsg::Select(index) => self.select(index),
            ChangesMsg::OpenFolder => self.open(root, true, &sender),
            ChangesMsg::OpenInEditor => self.open(root, false, &sender),
        }
    }

    fn update_cmd(&mut self, command: ChangesCommand, sender: ComponentSender<Self>, _: &gtk::Box) {
        let ChangesCommand::Computed { result, notify } = command;
        self.busy = false;
        match result {
            Ok((record, changes)) => {
                if notify {
                    self.notify(&changes, &sender);
                }
                self.show(record, changes, &sender);
            }
            Err(message) => {
                self.record = None;
                self.changes = Changes::default();
                self.summary.set_label(&message);
                self.fill(&sender);
            }
        }
    }
}

impl ChangesView {
    fn start(&mut self, notify: bool, sender: &ComponentSender<Self>) {
        if !self.busy {
            self.busy = true;
            self.compute(notify, sender);
        }
    }

    /// Reads the record and compares it with the project, off the main loop.
    fn compute(&self, notify: bool, sender: &ComponentSender<Self>) {
        let project = self.project.clone();
        sender.oneshot_command(async move {
            let result = tokio::task::spawn_blocking(move || {
                let record = Records::for_user()
                    .and_then(|records| records.last(&project))
                    .map_err(|error| match error {
                        // The header already names the project (by a
                        // path the window shortens), and Run is right there.
                        RecordError::NoRecord { .. } => gettext(
                            "No run recorded yet: run the sandbox, and what it changes in the project is listed here",
                        ),
                        error => error.to_string(),
                    })?;
                let changes = record.changes().map_err(|error| error.to_string())?;
                Ok((record, changes))
            })
            .await
            .unwrap_or_else(|error| Err(error.to_string()));
            ChangesCommand::Computed { result, notify }
        });
    }

    fn show(&mut self, record: Record, changes: Changes, sender: &ComponentSender<Self>) {
        let started = glib::DateTime::from_unix_local(record.started as i64)
            .ok()
            .zip(glib::DateTime::now_local().ok())
            .and_then(|(time, now)| time_in_words(&time, &now))
            .unwrap_or_default();
        let flagged = changes
            .files
            .iter()
            .filter(|c| c.host_run.is_some())
            .count();
        let changed = tr_n(
            "{count} file changed since the sandbox started ({time})",
            "{count} files changed since the sandbox started ({time})",
            changes.files.len() as u64,
            &[("time", &started)],
        );
        self.summary.set_label(&if changes.is_empty() {
            tr(
                "Nothing changed since the sandbox started ({time})",
                &[("time", &started)],
            )
        } else if flagged > 0 {
            let host_run = tr_n(
                "{count} of them is run by your own tools outside the sandbox: read it before you run anything here",
                "{count} of them are run by your own tools outside the sandbox: read them before you run anything here",
                flagged as u64,
                &[],
            );
            tr(
                "{changed}; {host_run}",
                &[("changed", &changed), ("host_run", &host_run)],
            )
        } else {
            changed
        });
        let path = self
            .selected
            .and_then(|i| self.changes.files.get(i))
            .map(|c| c.path.clone());
        self.record = Some(record);
        self.changes = changes;
        self.fill(sender);
        let again = path.and_then(|path| self.changes.files.iter().position(|c| c.path == path));
        match again {
            Some(index) => self.select(index),
            None => {
                self.selected = None;
                self.open_editor.set_sensitive(false);
                self.diff
                    .buffer()
                    .set_text(&if self.changes.files.is_empty() {
                        String::new()
                    } else {
                        gettext("Click a file to see what changed in it.")
                    });
            }
        }
    }

    fn fill(&self, sender: &ComponentSender<Self>) {
        self.list.remove_all();
        for (index, change) in self.changes.files.iter().enumerate() {
            let row = adw::ActionRow::builder()
                .title(escape_line(&change.path))
                .use_markup(false)
                .activatable(true)
                .build();
            let kind = change.kind.label();
            let subtitle = match change.host_run {
                Some(host_run) => tr(
                    "{kind} · {what}: runs outside the sandbox",
                    &[("kind", &kind), ("what", &host_run.label())],
                ),
                None => kind,
            };
            row.set_subtitle(&subtitle);
            let icon = match (change.host_run.is_some(), change.kind) {
                (true, _) => "dialog-warning-symbolic",
                (false, ChangeKind::Added) => "list-add-symbolic",
                (false, ChangeKind::Changed) => "document-edit-symbolic",
                (false, ChangeKind::Deleted) => "user-trash-symbolic",
            };
            let image = gtk::Image::from_icon_name(icon);
            if change.host_run.is_some() {
                image.add_css_class("warning");
                row.add_css_class("host-run");
            }
            row.add_prefix(&image);
            let show = gtk::Button::builder()
                .icon_name("go-next-symbolic")
                .valign(gtk::Align::Center)
                .css_classes(["flat"])
                .tooltip_text(tr(
                    "Show the diff of {path}",
                    &[("path", &escape_line(&change.path))],
                ))
                .build();
            let sender = sender.clone();
            show.connect_clicked(move |_| sender.input(ChangesMsg::Select(index)));
            row.add_suffix(&show);
            self.list.append(&row);
        }
        for head in &self.changes.heads {
            let short = |commit: &Option<String>| {
                commit.as_deref().map_or_else(
                    || gettext("none"),
                    |c| escape_line(&c.chars().take(12).collect::<String>()),
                )
            };
            let row = adw::ActionRow::builder()
                .title(tr(
                    "git HEAD of {repo}: {from} -> {to}",
                    &[
                        ("repo", &escape_line(&head.repo)),
                        ("from", &short(&head.from)),
                        ("to", &short(&head.to)),
                    ],
                ))
                .use_markup(false)
                .activatable(false)
                .selectable(false)
                .build();
            self.list.append(&row);
        }
    }

    fn select(&mut self, index: usize) {
        let (Some(record), Some(change)) = (&self.record, self.changes.files.get(index)) else {
            return;
        };
        self.selected = Some(index);
        if let Some(row) = self.list.row_at_index(index as i32) {
            self.list.select_row(Some(&row));
        }
        self.open_editor
            .set_sensitive(change.kind != ChangeKind::Deleted);
        self.diff.buffer().set_text(&escape(&record.diff(change)));
    }

    /// The notification about files the host runs that changed and were
    /// not said yet.
    fn notify(&mut self, changes: &Changes, sender: &ComponentSender<Self>) {
        let new: Vec<String> = changes
            .files
            .iter()
            .filter(|c| c.host_run.is_some() && !self.notified.contains(&c.path))
            .map(|c| c.path.clone())
            .collect();
        if new.is_empty() {
            return;
        }
        self.notified.extend(new.iter().cloned());
        let name = self
            .project
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let listed: Vec<String> = new.iter().map(|p| escape_line(p)).collect();
        let _ = sender.output(ChangesOutput::Notify {
            title: tr(
                "The agent changed files your own tools run in {name}",
                &[("name", &name)],
            ),
            body: tr(
                "{files}: read them in the Changes view before you run git, make or your editor there.",
                &[("files", &listed.join(", "))],
            ),
        });
    }

    /// Open Folder (the selected file's folder, else the project's) or
    /// Open in Editor (the selected file), through the portals.
    fn open(&self, root: &gtk::Box, folder: bool, sender: &ComponentSender<Self>) {
        let selected = self
            .selected
            .and_then(|i| self.changes.files.get(i))
            .map(|c| self.project.join(&c.path));
        let window = root.root().and_downcast::<gtk::Window>();
        let sender = sender.clone();
        let done = move |result: Result<(), glib::Error>| {
            if let Err(error) = result {
                let _ = sender.output(ChangesOutput::Error {
                    heading: gettext("The File Could Not Be Opened"),
                    body: error.to_string(),
                });
            }
        };
        match (folder, selected) {
            (true, Some(file)) => gtk::FileLauncher::new(Some(&gio::File::for_path(file)))
                .open_containing_folder(window.as_ref(), gio::Cancellable::NONE, done),
            (true, None) => gtk::FileLauncher::new(Some(&gio::File::for_path(&self.project)))
                .launch(window.as_ref(), gio::Cancellable::NONE, done),
            (false, Some(file)) => {
                let launcher = gtk::FileLauncher::new(Some(&gio::File::for_path(file)));
                // The agent wrote it: the user picks the program, so that
                // a script is opened to be read, not run.
                launcher.set_always_ask(true);
                launcher.launch(window.as_ref(), gio::Cancellable::NONE, done);
            }
            (false, None) => {}
        }
    }
}
