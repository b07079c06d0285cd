//! The sidebar: every recent project with its state as a badge, a context
//! menu per row (right click, long press, Menu or Shift+F10) that removes
//! it from the list, and a note while the list is empty.

use std::path::{Path, PathBuf};

use adw::prelude::*;
use gettextrs::gettext;
use gtk::{gdk, gio, glib};
use relm4::prelude::*;

use crate::app_actions::REMOVE_PROJECT;
use crate::ui::status::ProjectStatus;
use crate::ui::text::{escape_markup, project_name, shown_path};

pub struct ProjectList {
    list: gtk::ListBox,
    rows: Vec<Row>,
}

struct Row {
    path: PathBuf,
    widget: adw::ActionRow,
    badge: Badge,
}

/// A project's state in a word, in a pill that leaves its name the room.
struct Badge {
    root: gtk::Box,
    spinner: adw::Spinner,
    label: gtk::Label,
}

#[derive(Debug)]
pub enum ProjectListMsg {
    /// Shows a project (at the top when new) and selects it.
    Show(PathBuf),
    /// Puts a removed project back where it was (Undo), with its badge.
    Restore(PathBuf, usize, ProjectStatus),
    Remove(PathBuf),
    SetStatus(PathBuf, ProjectStatus),
    RowActivated(i32),
}

#[derive(Debug)]
pub enum ProjectListOutput {
    Selected(PathBuf),
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
        list.set_placeholder(Some(
            &gtk::Label::builder()
                .label(gettext("Projects you add appear here"))
                .wrap(true)
                .justify(gtk::Justification::Center)
                .margin_top(24)
                .margin_start(12)
                .margin_end(12)
                .css_classes(["dim-label"])
                .build(),
        ));
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
            model.insert(0, path);
        }
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, msg: ProjectListMsg, sender: ComponentSender<Self>) {
        match msg {
            ProjectListMsg::Show(path) => {
                if self.position(&path).is_none() {
                    self.insert(0, &path);
                }
                if let Some(i) = self.position(&path) {
                    self.list.select_row(Some(&self.rows[i].widget));
                }
            }
            ProjectListMsg::Restore(path, index, status) => {
                if self.position(&path).is_none() {
                    self.insert(index.min(self.rows.len()), &path);
                }
                self.set_status(&path, status);
            }
            ProjectListMsg::Remove(path) => {
                if let Some(i) = self.position(&path) {
                    let row = self.rows.remove(i);
                    self.list.remove(&row.widget);
                }
            }
            ProjectListMsg::SetStatus(path, status) => self.set_status(&path, status),
            ProjectListMsg::RowActivated(index) => {
                if let Some(row) = usize::try_from(index).ok().and_then(|i| self.rows.get(i)) {
                    let _ = sender.output(ProjectListOutput::Selected(row.path.clone()));
                }
            }
        }
    }
}

impl ProjectList {
    fn position(&self, path: &Path) -> Option<usize> {
        self.rows.iter().position(|row| row.path == path)
    }

    fn set_status(&self, path: &Path, status: ProjectStatus) {
        if let Some(i) = self.position(path) {
            self.rows[i].badge.show(status);
        }
    }

    fn insert(&mut self, index: usize, path: &Path) {
        let name = project_name(path);
        let widget = adw::ActionRow::builder()
            .title(escape_markup(&name))
            .title_lines(1)
            .subtitle(escape_markup(&shown_path(path)))
            .subtitle_lines(1)
            .activatable(true)
            .build();
        widget.set_tooltip_text(Some(&shown_path(path)));
        let badge = Badge::new();
        badge.show(ProjectStatus::NotBuilt);
        widget.add_suffix(&badge.root);
        add_context_menu(&widget, path);
        self.list
            .insert(&widget, i32::try_from(index).unwrap_or(-1));
        self.rows.insert(
            index,
            Row {
                path: path.to_path_buf(),
                widget,
                badge,
            },
        );
    }
}

impl Badge {
    fn new() -> Badge {
        let spinner = adw::Spinner::builder()
            .width_request(12)
            .height_request(12)
            .build();
        let label = gtk::Label::new(None);
        let root = gtk::Box::builder()
            .spacing(4)
            .valign(gtk::Align::Center)
            .css_classes(["badge", "caption-heading"])
            .build();
        root.append(&spinner);
        root.append(&label);
        Badge {
            root,
            spinner,
            label,
        }
    }

    fn show(&self, status: ProjectStatus) {
        for tone in ["neutral", "accent", "success", "error"] {
            self.root.remove_css_class(tone);
        }
        self.root.add_css_class(status.tone());
        self.label.set_label(&status.label());
        self.spinner.set_visible(status.busy());
        self.root.set_tooltip_text(status.detail().as_deref());
    }
}

/// "Remove From List" on the row, away from the Tab order and from clicks
/// meant to open the project.
fn add_context_menu(row: &adw::ActionRow, path: &Path) {
    let menu = gio::Menu::new();
    let item = gio::MenuItem::new(Some(&gettext("_Remove From List")), None);
    item.set_action_and_target_value(
        Some(&format!("app.{REMOVE_PROJECT}")),
        Some(&path.to_string_lossy().to_variant()),
    );
    menu.append_item(&item);
    let popup = move |row: &gtk::Widget, x: f64, y: f64| {
        let popover = gtk::PopoverMenu::from_model(Some(&menu));
        popover.set_parent(row);
        popover.set_has_arrow(false);
        popover.set_halign(gtk::Align::Start);
        // The pixel the pointer is on.
        popover.set_pointing_to(Some(&gdk::Rectangle::new(x as i32, y as i32, 1, 1)));
        // Unparented once closed, after the chosen item's action ran.
        popover.connect_closed(|popover| {
            let popover = popover.clone();
            glib::idle_add_local_once(move || popover.unparent());
        });
        popover.popup();
    };
    let popup = std::rc::Rc::new(popup);

    let click = gtk::GestureClick::builder()
        .button(gdk::BUTTON_SECONDARY)
        .build();
    {
        let popup = popup.clone();
        click.connect_pressed(move |gesture, _, x, y| {
            if let Some(row) = gesture.widget() {
                popup(&row, x, y);
            }
        });
    }
    row.add_controller(click);
    let press = gtk::GestureLongPress::builder().touch_only(true).build();
    {
        let popup = popup.clone();
        press.connect_pressed(move |gesture, x, y| {
            if let Some(row) = gesture.widget() {
                popup(&row, x, y);
            }
        });
    }
    row.add_controller(press);
    let keys = gtk::ShortcutController::new();
    keys.add_shortcut(gtk::Shortcut::new(
        gtk::ShortcutTrigger::parse_string("Menu|<Shift>F10"),
        Some(gtk::CallbackAction::new(move |row, _| {
            popup(
                row,
                f64::from(row.width()) / 2.0,
                f64::from(row.height()) / 2.0,
            );
            glib::Propagation::Stop
        })),
    ));
    row.add_controller(keys);
}
