//! The sidebar: every recent project with its state, and the way to add one.

use std::path::{Path, PathBuf};

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use crate::ui::status::ProjectStatus;
use crate::ui::text::{escape_markup, project_name};
use sandbox::messages::tr;

pub struct ProjectList {
    list: gtk::ListBox,
    rows: Vec<Row>,
}

struct Row {
    path: PathBuf,
    widget: adw::ActionRow,
    status: gtk::Label,
}

#[derive(Debug)]
pub enum ProjectListMsg {
    /// Shows a project (at the top when new) and selects it.
    Show(PathBuf),
    Remove(PathBuf),
    SetStatus(PathBuf, ProjectStatus),
    RowActivated(i32),
    RemoveClicked(PathBuf),
}

#[derive(Debug)]
pub enum ProjectListOutput {
    Selected(PathBuf),
    RemoveRequested(PathBuf),
}

impl SimpleComponent for ProjectList {
    type Init = Vec<PathBuf>;
    type Input = ProjectListMsg;
    type Output = ProjectListOutput;
    type Root = gtk::ScrolledWindow;
    type Widgets = ();

    fn init_root() -> Self::Root {
        gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .vexpand(true)
            .build()
    }

    fn init(
        projects: Vec<PathBuf>,
        root: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let list = gtk::ListBox::builder()
            .selection_mode(gtk::SelectionMode::Single)
            .css_classes(["navigation-sidebar"])
            .build();
        list.update_property(&[gtk::accessible::Property::Label(&gettext("Projects"))]);
        {
            let sender = sender.clone();
            list.connect_row_activated(move |_, row| {
                sender.input(ProjectListMsg::RowActivated(row.index()));
            });
        }
        root.set_child(Some(&list));
        let mut model = ProjectList {
            list,
            rows: Vec::new(),
        };
        for path in projects.iter().rev() {
            model.insert_top(path, &sender);
        }
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, msg: ProjectListMsg, sender: ComponentSender<Self>) {
        match msg {
            ProjectListMsg::Show(path) => {
                if self.position(&path).is_none() {
                    self.insert_top(&path, &sender);
                }
                if let Some(i) = self.position(&path) {
                    self.list.select_row(Some(&self.rows[i].widget));
                }
            }
            ProjectListMsg::Remove(path) => {
                if let Some(i) = self.position(&path) {
                    let row = self.rows.remove(i);
                    self.list.remove(&row.widget);
                }
            }
            ProjectListMsg::SetStatus(path, status) => {
                if let Some(i) = self.position(&path) {
                    let row = &self.rows[i];
                    row.status.set_label(&status.label());
                    set_status_style(&row.status, &status);
                }
            }
            ProjectListMsg::RowActivated(index) => {
                if let Some(row) = usize::try_from(index).ok().and_then(|i| self.rows.get(i)) {
                    let _ = sender.output(ProjectListOutput::Selected(row.path.clone()));
                }
            }
            ProjectListMsg::RemoveClicked(path) => {
                let _ = sender.output(ProjectListOutput::RemoveRequested(path));
            }
        }
    }
}

impl ProjectList {
    fn position(&self, path: &Path) -> Option<usize> {
        self.rows.iter().position(|row| row.path == path)
    }

    fn insert_top(&mut self, path: &Path, sender: &ComponentSender<Self>) {
        let name = project_name(path);
        let widget = adw::ActionRow::builder()
            .title(escape_markup(&name))
            .subtitle(escape_markup(&path.display().to_string()))
            .subtitle_lines(1)
            .activatable(true)
            .build();
        widget.set_tooltip_text(Some(&path.display().to_string()));
        let status = gtk::Label::builder()
            .label(ProjectStatus::NotBuilt.label())
            .css_classes(["caption", "dim-label"])
            .valign(gtk::Align::Center)
            .build();
        widget.add_suffix(&status);
        let remove = gtk::Button::builder()
            .icon_name("list-remove-symbolic")
            .valign(gtk::Align::Center)
            .css_classes(["flat"])
            .tooltip_text(gettext("Remove From List"))
            .build();
        remove.update_property(&[gtk::accessible::Property::Label(&tr(
            "Remove {name} from the list (the folder is kept)",
            &[("name", &name)],
        ))]);
        {
            let sender = sender.clone();
            let path = path.to_path_buf();
            remove.connect_clicked(move |_| {
                sender.input(ProjectListMsg::RemoveClicked(path.clone()));
            });
        }
        widget.add_suffix(&remove);
        self.list.prepend(&widget);
        self.rows.insert(
            0,
            Row {
                path: path.to_path_buf(),
                widget,
                status,
            },
        );
    }
}

fn set_status_style(label: &gtk::Label, status: &ProjectStatus) {
    for class in ["dim-label", "accent", "success", "error", "warning"] {
        label.remove_css_class(class);
    }
    label.add_css_class(match status {
        ProjectStatus::NotBuilt | ProjectStatus::Built => "dim-label",
        ProjectStatus::Building => "accent",
        ProjectStatus::Running => "success",
        ProjectStatus::Exited(0) => "dim-label",
        ProjectStatus::Exited(_) | ProjectStatus::BuildFailed => "error",
    });
}
