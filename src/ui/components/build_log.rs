//! The Build view: before a build, a status page (with Build when there is
//! no image); during one, progress from podman's "STEP n/m" lines and the
//! log as it arrives (monospace, ANSI colours), following its end until the
//! user scrolls up; Cancel that says "Cancelling…" at once; a failure with
//! its step, Retry and the way to the setting at fault.
//!
//! The log stays a text view with `ui::ansi` rather than a read-only VTE:
//! podman hands the build's output over line by line with colours at most
//! (no cursor movement to render), and a text view wraps to the width,
//! is read by screen readers as one document, selects and copies like any
//! text, and costs no second terminal per project; the few other escape
//! sequences are dropped, never shown as garbage.

use std::cell::Cell;
use std::rc::Rc;

use adw::prelude::*;
use gettextrs::gettext;

use crate::ui::ansi::{self, Style};
use crate::ui::pages::project::look::EmptyLook;
use crate::ui::text::code_markup;
use engine::BuildStep;
use sandbox::messages::tr;

/// The 16 terminal colours as they read on both light and dark backgrounds.
const PALETTE: [&str; 16] = [
    "#5e5c64", "#c01c28", "#26a269", "#a2734c", "#1c71d8", "#a347ba", "#2aa1b3", "#9a9996",
    "#77767b", "#e01b24", "#2ec27e", "#e5a50a", "#3584e4", "#c061cb", "#33c7de", "#c0bfbc",
];

/// What the view's buttons ask of the project page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildRequest {
    Build,
    Cancel,
    /// Show the Sandbox view, where the setting at fault is.
    OpenSettings,
}

pub struct BuildLog {
    pub root: gtk::Stack,
    empty: adw::StatusPage,
    empty_button: gtk::Button,
    empty_look: Option<EmptyLook>,
    status: gtk::Box,
    progress: gtk::ProgressBar,
    step: gtk::Label,
    /// Cancel during a build, Build Again after a cancelled one.
    action: gtk::Button,
    action_does: Rc<Cell<BuildRequest>>,
    failure: gtk::Box,
    failure_text: gtk::Label,
    settings: gtk::Button,
    view: gtk::TextView,
    style: Style,
    /// The step podman was at: a failure happened there.
    last_step: Option<BuildStep>,
}

impl BuildLog {
    pub fn new(on_request: impl Fn(BuildRequest) + 'static) -> BuildLog {
        let on_request = Rc::new(on_request);
        let request = |what: BuildRequest| {
            let on_request = on_request.clone();
            move |_: &gtk::Button| on_request(what)
        };

        let empty_button = gtk::Button::builder()
            .use_underline(true)
            .halign(gtk::Align::Center)
            .css_classes(["pill", "suggested-action"])
            .build();
        empty_button.connect_clicked(request(BuildRequest::Build));
        let empty = adw::StatusPage::builder()
            .vexpand(true)
            .child(&empty_button)
            .build();

        let progress = gtk::ProgressBar::builder()
            .hexpand(true)
            .valign(gtk::Align::Center)
            .build();
        progress.update_property(&[gtk::accessible::Property::Label(&gettext("Build progress"))]);
        let step = gtk::Label::builder()
            .xalign(0.0)
            .ellipsize(gtk::pango::EllipsizeMode::End)
            .css_classes(["heading"])
            .build();
        let action = gtk::Button::builder().use_underline(true).build();
        let action_does = Rc::new(Cell::new(BuildRequest::Cancel));
        {
            let on_request = on_request.clone();
            let action_does = action_does.clone();
            action.connect_clicked(move |_| on_request(action_does.get()));
        }
        let labels = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(6)
            .hexpand(true)
            .build();
        labels.append(&step);
        labels.append(&progress);
        let status = gtk::Box::builder()
            .spacing(12)
            .margin_start(12)
            .margin_end(12)
            .margin_top(12)
            .margin_bottom(6)
            .build();
        status.append(&labels);
        status.append(&action);

        // The failure, with the step it happened at (the engine's message
        // names it), selectable so that it can be searched for; the one
        // heading of a failed build.
        let failure_text = gtk::Label::builder()
            .wrap(true)
            .wrap_mode(gtk::pango::WrapMode::WordChar)
            .xalign(0.0)
            .selectable(true)
            .use_markup(true)
            .build();
        let failure_heading = gtk::Label::builder()
            .label(gettext("Build Failed"))
            .xalign(0.0)
            .css_classes(["heading", "error"])
            .build();
        let retry = gtk::Button::builder()
            .label(gettext("_Retry"))
            .use_underline(true)
            .css_classes(["suggested-action"])
            .build();
        retry.connect_clicked(request(BuildRequest::Build));
        let settings = gtk::Button::builder().use_underline(true).build();
        settings.connect_clicked(request(BuildRequest::OpenSettings));
        let buttons = gtk::FlowBox::builder()
            .selection_mode(gtk::SelectionMode::None)
            .column_spacing(6)
            .row_spacing(6)
            .max_children_per_line(2)
            .homogeneous(false)
            .build();
        buttons.append(&retry);
        buttons.append(&settings);
        let failure_labels = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(6)
            .hexpand(true)
            .margin_top(12)
            .margin_bottom(12)
            .margin_end(12)
            .build();
        failure_labels.append(&failure_heading);
        failure_labels.append(&failure_text);
        failure_labels.append(&buttons);
        let failure_icon = gtk::Image::builder()
            .icon_name("dialog-error-symbolic")
            .pixel_size(32)
            .valign(gtk::Align::Start)
            .margin_start(12)
            .margin_top(12)
            .css_classes(["error"])
            .build();
        let failure = gtk::Box::builder()
            .spacing(12)
            .margin_start(12)
            .margin_end(12)
            .margin_top(12)
            .margin_bottom(6)
            .visible(false)
            .css_classes(["card"])
            .build();
        failure.append(&failure_icon);
        failure.append(&failure_labels);

        let view = gtk::TextView::builder()
            .editable(false)
            .cursor_visible(false)
            .monospace(true)
            .wrap_mode(gtk::WrapMode::WordChar)
            .top_margin(8)
            .bottom_margin(8)
            .left_margin(12)
            .right_margin(12)
            .build();
        view.update_property(&[gtk::accessible::Property::Label(&gettext("Build log"))]);
        let buffer = view.buffer();
        for (i, colour) in PALETTE.iter().enumerate() {
            buffer.create_tag(Some(&format!("fg{i}")), &[("foreground", colour)]);
        }
        buffer.create_tag(Some("bold"), &[("weight", &700)]);
        let scroller = gtk::ScrolledWindow::builder()
            .vexpand(true)
            .child(&view)
            .build();
        let to_end = gtk::Button::builder()
            .icon_name("go-bottom-symbolic")
            .tooltip_text(gettext("Scroll to End"))
            .halign(gtk::Align::End)
            .valign(gtk::Align::End)
            .margin_end(18)
            .margin_bottom(18)
            .visible(false)
            .css_classes(["osd", "circular"])
            .build();
        follow_end(&scroller, &to_end);
        let log = gtk::Overlay::builder()
            .child(&scroller)
            .css_classes(["card"])
            .margin_start(12)
            .margin_end(12)
            .margin_bottom(12)
            .overflow(gtk::Overflow::Hidden)
            .build();
        log.add_overlay(&to_end);

        let running = gtk::Box::new(gtk::Orientation::Vertical, 0);
        running.append(&status);
        running.append(&failure);
        running.append(&log);
        let root = gtk::Stack::builder().vhomogeneous(false).build();
        root.add_named(&empty, Some("empty"));
        root.add_named(&running, Some("log"));
        BuildLog {
            root,
            empty,
            empty_button,
            empty_look: None,
            status,
            progress,
            step,
            action,
            action_does,
            failure,
            failure_text,
            settings,
            view,
            style: Style::default(),
            last_step: None,
        }
    }

    /// What the view says before its first build here (it keeps the log
    /// of the last build after that).
    pub fn show_empty(&mut self, look: EmptyLook) {
        if self.empty_look.as_ref() == Some(&look) {
            return;
        }
        self.empty.set_icon_name(Some(look.icon));
        self.empty.set_title(&look.title);
        self.empty.set_description(Some(&look.description));
        match &look.button {
            Some(label) => {
                self.empty_button.set_label(label);
                self.empty_button.set_visible(true);
            }
            None => self.empty_button.set_visible(false),
        }
        self.empty_look = Some(look);
    }

    pub fn start(&mut self) {
        self.root.set_visible_child_name("log");
        self.view.buffer().set_text("");
        self.style = Style::default();
        self.last_step = None;
        self.failure.set_visible(false);
        self.status.set_visible(true);
        self.progress.set_fraction(0.0);
        self.step.set_label(&gettext("Starting the build…"));
        self.action.set_label(&gettext("_Cancel"));
        self.action_does.set(BuildRequest::Cancel);
        self.action.set_sensitive(true);
        self.action.set_visible(true);
        self.action
            .update_property(&[gtk::accessible::Property::Label(&gettext(
                "Cancel the build",
            ))]);
    }

    /// Cancel was pressed: said at once, podman takes a moment.
    pub fn cancelling(&mut self) {
        self.action.set_label(&gettext("Cancelling…"));
        self.action.set_sensitive(false);
        self.step.set_label(&gettext("Cancelling the build…"));
    }

    pub fn step(&mut self, step: &BuildStep) {
        if step.total > 0 {
            // A step is done when the next one starts: n-1 of m finished.
            self.progress
                .set_fraction(f64::from(step.number.saturating_sub(1)) / f64::from(step.total));
        }
        if self.action.is_sensitive() {
            self.step.set_label(&tr(
                "Step {number} of {total}: {instruction}",
                &[
                    ("number", &step.number),
                    ("total", &step.total),
                    ("instruction", &sandbox::shown::escape(&step.instruction)),
                ],
            ));
        }
        self.last_step = Some(step.clone());
    }

    pub fn append(&mut self, lines: &[String]) {
        let buffer = self.view.buffer();
        let mut end = buffer.end_iter();
        for line in lines {
            for (text, style) in ansi::parse(line, &mut self.style) {
                let mut tags = Vec::new();
                if let Some(colour) = style.foreground
                    && let Some(tag) = buffer.tag_table().lookup(&format!("fg{colour}"))
                {
                    tags.push(tag);
                }
                if style.bold
                    && let Some(tag) = buffer.tag_table().lookup("bold")
                {
                    tags.push(tag);
                }
                let tags: Vec<&gtk::TextTag> = tags.iter().collect();
                buffer.insert_with_tags(&mut end, &text, &tags);
            }
            buffer.insert(&mut end, "\n");
        }
    }

    pub fn finished(&mut self, already_built: bool) {
        self.action.set_visible(false);
        self.progress.set_fraction(1.0);
        self.step.set_label(&if already_built {
            gettext("Up to date: the definition has not changed since the last build")
        } else {
            gettext("Built")
        });
    }

    pub fn failed(&mut self, message: &str) {
        self.status.set_visible(false);
        self.failure_text.set_markup(&code_markup(message));
        let from = self
            .last_step
            .as_ref()
            .is_some_and(|step| step.instruction.trim_start().starts_with("FROM"));
        self.settings.set_label(&if from {
            gettext("Change _Base Image")
        } else {
            gettext("Edit Sandbox _Settings")
        });
        self.failure.set_visible(true);
    }

    pub fn cancelled(&mut self) {
        self.step.set_label(&gettext("Build cancelled"));
        self.action.set_label(&gettext("_Build Again"));
        self.action_does.set(BuildRequest::Build);
        self.action.set_sensitive(true);
        self.action
            .update_property(&[gtk::accessible::Property::Label(&gettext(
                "Build the sandbox image again",
            ))]);
    }
}

/// Keeps the log's end in view while it grows, until the user scrolls up;
/// then `to_end` appears and brings it back. Only the user's own scrolling
/// (wheel, a drag of the scroll bar, keys) lets go of the end: the text
/// view moves the position itself while it lays out lines, above all when
/// it is first shown or the window's width changes, and the log must stay
/// at its end through that.
fn follow_end(scroller: &gtk::ScrolledWindow, to_end: &gtk::Button) {
    let adjustment = scroller.vadjustment();
    let follow = Rc::new(Cell::new(true));
    let to_bottom = |adjustment: &gtk::Adjustment| {
        adjustment.set_value(adjustment.upper() - adjustment.page_size());
    };
    {
        let follow = follow.clone();
        adjustment.connect_changed(move |adjustment| {
            if follow.get() {
                to_bottom(adjustment);
            }
        });
    }
    {
        let follow = follow.clone();
        let to_end = to_end.clone();
        adjustment.connect_value_changed(move |adjustment| {
            let at_end = adjustment.value() + adjustment.page_size() >= adjustment.upper() - 4.0;
            if at_end {
                follow.set(true);
            } else if follow.get() {
                to_bottom(adjustment);
            }
            to_end.set_visible(!follow.get());
        });
    }
    let let_go = {
        let follow = follow.clone();
        move || follow.set(false)
    };
    let wheel = gtk::EventControllerScroll::new(gtk::EventControllerScrollFlags::VERTICAL);
    wheel.set_propagation_phase(gtk::PropagationPhase::Capture);
    {
        let let_go = let_go.clone();
        wheel.connect_scroll(move |_, _, dy| {
            if dy < 0.0 {
                let_go();
            }
            gtk::glib::Propagation::Proceed
        });
    }
    scroller.add_controller(wheel);
    let drag = gtk::GestureDrag::new();
    drag.set_propagation_phase(gtk::PropagationPhase::Capture);
    {
        let let_go = let_go.clone();
        drag.connect_drag_update(move |_, _, dy| {
            if dy < 0.0 {
                let_go();
            }
        });
    }
    scroller.add_controller(drag);
    let keys = gtk::EventControllerKey::new();
    keys.set_propagation_phase(gtk::PropagationPhase::Capture);
    keys.connect_key_pressed(move |_, key, _, _| {
        use gtk::gdk::Key;
        if [
            Key::Up,
            Key::Page_Up,
            Key::Home,
            Key::KP_Up,
            Key::KP_Page_Up,
            Key::KP_Home,
        ]
        .contains(&key)
        {
            let_go();
        }
        gtk::glib::Propagation::Proceed
    });
    scroller.add_controller(keys);
    to_end.connect_clicked(move |button| {
        follow.set(true);
        to_bottom(&adjustment);
        button.set_visible(false);
    });
}
