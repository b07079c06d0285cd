//! The build view: progress from podman's "STEP n/m" lines, the log as it
//! arrives (monospace, ANSI colours), Cancel, and the failure with its step.

use adw::prelude::*;
use gettextrs::gettext;

use crate::ui::ansi::{self, Style};
use engine::BuildStep;
use sandbox::messages::tr;

/// The 16 terminal colours as they read on both light and dark backgrounds.
const PALETTE: [&str; 16] = [
    "#5e5c64", "#c01c28", "#26a269", "#a2734c", "#1c71d8", "#a347ba", "#2aa1b3", "#9a9996",
    "#77767b", "#e01b24", "#2ec27e", "#e5a50a", "#3584e4", "#c061cb", "#33c7de", "#c0bfbc",
];

pub struct BuildLog {
    pub root: gtk::Box,
    progress: gtk::ProgressBar,
    step: gtk::Label,
    cancel: gtk::Button,
    failure: gtk::Box,
    failure_text: gtk::Label,
    view: gtk::TextView,
    scroller: gtk::ScrolledWindow,
    style: Style,
}

impl BuildLog {
    pub fn new(on_cancel: impl Fn() + 'static) -> BuildLog {
        let progress = gtk::ProgressBar::builder()
            .hexpand(true)
            .valign(gtk::Align::Center)
            .build();
        progress.update_property(&[gtk::accessible::Property::Label(&gettext("Build progress"))]);
        let step = gtk::Label::builder()
            .xalign(0.0)
            .ellipsize(gtk::pango::EllipsizeMode::End)
            .label(gettext("Not built yet"))
            .build();
        let cancel = gtk::Button::builder()
            .label(gettext("_Cancel"))
            .use_underline(true)
            .sensitive(false)
            .build();
        cancel.update_property(&[gtk::accessible::Property::Label(&gettext(
            "Cancel the build",
        ))]);
        cancel.connect_clicked(move |_| on_cancel());
        let top = gtk::Box::builder()
            .orientation(gtk::Orientation::Horizontal)
            .spacing(12)
            .margin_start(12)
            .margin_end(12)
            .margin_top(12)
            .margin_bottom(6)
            .build();
        let labels = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(6)
            .hexpand(true)
            .build();
        labels.append(&step);
        labels.append(&progress);
        top.append(&labels);
        top.append(&cancel);

        // The failure, with the step it happened at (the engine's message
        // names it), selectable so that it can be searched for.
        let failure_text = gtk::Label::builder()
            .wrap(true)
            .wrap_mode(gtk::pango::WrapMode::WordChar)
            .xalign(0.0)
            .selectable(true)
            .build();
        let failure_heading = gtk::Label::builder()
            .label(gettext("Build Failed"))
            .xalign(0.0)
            .css_classes(["heading", "error"])
            .build();
        let failure_labels = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(6)
            .hexpand(true)
            .build();
        failure_labels.append(&failure_heading);
        failure_labels.append(&failure_text);
        let failure_icon = gtk::Image::builder()
            .icon_name("dialog-error-symbolic")
            .pixel_size(32)
            .valign(gtk::Align::Start)
            .css_classes(["error"])
            .build();
        let failure = gtk::Box::builder()
            .spacing(12)
            .margin_start(12)
            .margin_end(12)
            .margin_top(12)
            .visible(false)
            .css_classes(["card"])
            .build();
        failure_icon.set_margin_start(12);
        failure_icon.set_margin_top(12);
        failure_labels.set_margin_top(12);
        failure_labels.set_margin_bottom(12);
        failure_labels.set_margin_end(12);
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
        scroller.add_css_class("card");
        scroller.set_margin_start(12);
        scroller.set_margin_end(12);
        scroller.set_margin_bottom(12);

        let root = gtk::Box::new(gtk::Orientation::Vertical, 0);
        root.append(&top);
        root.append(&failure);
        root.append(&scroller);
        BuildLog {
            root,
            progress,
            step,
            cancel,
            failure,
            failure_text,
            view,
            scroller,
            style: Style::default(),
        }
    }

    pub fn start(&mut self) {
        self.view.buffer().set_text("");
        self.style = Style::default();
        self.failure.set_visible(false);
        self.progress.set_fraction(0.0);
        self.progress.remove_css_class("error");
        self.step.set_label(&gettext("Starting the build…"));
        self.cancel.set_sensitive(true);
    }

    pub fn step(&mut self, step: &BuildStep) {
        if step.total > 0 {
            // A step is done when the next one starts: n-1 of m finished.
            self.progress
                .set_fraction(f64::from(step.number.saturating_sub(1)) / f64::from(step.total));
        }
        self.step.set_label(&tr(
            "Step {number} of {total}: {instruction}",
            &[
                ("number", &step.number),
                ("total", &step.total),
                ("instruction", &step.instruction),
            ],
        ));
    }

    pub fn append(&mut self, lines: &[String]) {
        let buffer = self.view.buffer();
        let follow = self.at_bottom();
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
        if follow {
            let mark = buffer.create_mark(None, &buffer.end_iter(), false);
            self.view.scroll_mark_onscreen(&mark);
            buffer.delete_mark(&mark);
        }
    }

    fn at_bottom(&self) -> bool {
        let adjustment = self.scroller.vadjustment();
        adjustment.value() + adjustment.page_size() >= adjustment.upper() - 4.0
    }

    pub fn finished(&mut self, already_built: bool) {
        self.cancel.set_sensitive(false);
        self.progress.set_fraction(1.0);
        self.step.set_label(&if already_built {
            gettext("Up to date: the definition has not changed since the last build")
        } else {
            gettext("Built")
        });
    }

    pub fn failed(&mut self, message: &str) {
        self.cancel.set_sensitive(false);
        self.progress.add_css_class("error");
        self.step.set_label(&gettext("Build failed"));
        self.failure_text.set_label(message);
        self.failure.set_visible(true);
    }

    pub fn cancelled(&mut self) {
        self.cancel.set_sensitive(false);
        self.step.set_label(&gettext("Build cancelled"));
    }
}
