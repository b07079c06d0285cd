//! A project's header: the isolation verdict of its last run and the Build
//! and Run/Stop buttons. Where the window is narrow they shrink to icons (the
//! text stays in tooltips and accessible labels), so the title keeps room.

use adw::prelude::*;
use gettextrs::gettext;

use sandbox::guest::{NotAReport, Verdict};

pub struct HeaderActions {
    pub root: gtk::Box,
    verdict: gtk::Box,
    verdict_icon: gtk::Image,
    verdict_label: gtk::Label,
    pub build: HeaderButton,
    pub run: HeaderButton,
}

/// A header button showing an icon and a label, or the icon alone.
pub struct HeaderButton {
    pub button: gtk::Button,
    content: adw::ButtonContent,
    icon: gtk::Image,
}

impl HeaderButton {
    fn new(label: &str, icon: &str, tooltip: &str, accessible: &str) -> HeaderButton {
        let content = adw::ButtonContent::builder()
            .label(label)
            .icon_name(icon)
            .use_underline(true)
            .build();
        let button = gtk::Button::builder()
            .child(&content)
            .tooltip_text(tooltip)
            .build();
        button.update_property(&[gtk::accessible::Property::Label(accessible)]);
        HeaderButton {
            button,
            content,
            icon: gtk::Image::from_icon_name(icon),
        }
    }

    /// Changes what the button says (Run becomes Stop and back).
    pub fn set(&self, label: &str, icon: &str, tooltip: &str, accessible: &str) {
        self.content.set_label(label);
        self.content.set_icon_name(icon);
        self.icon.set_icon_name(Some(icon));
        self.button.set_tooltip_text(Some(tooltip));
        self.button
            .update_property(&[gtk::accessible::Property::Label(accessible)]);
    }

    fn set_compact(&self, compact: bool) {
        if compact {
            self.button.set_child(Some(&self.icon));
            self.button.add_css_class("image-button");
        } else {
            self.button.set_child(Some(&self.content));
            self.button.remove_css_class("image-button");
        }
    }
}

impl HeaderActions {
    pub fn new() -> HeaderActions {
        let verdict_icon = gtk::Image::new();
        let verdict_label = gtk::Label::builder()
            .css_classes(["caption-heading"])
            .build();
        let verdict = gtk::Box::builder()
            .spacing(6)
            .valign(gtk::Align::Center)
            .visible(false)
            .build();
        verdict.append(&verdict_icon);
        verdict.append(&verdict_label);
        let build = HeaderButton::new(
            &gettext("_Build"),
            "system-run-symbolic",
            &gettext("Build the sandbox image (Ctrl+B)"),
            &gettext("Build the sandbox image"),
        );
        let run = HeaderButton::new(
            &gettext("_Run"),
            "media-playback-start-symbolic",
            &gettext("Run the agent in its sandbox (Ctrl+R)"),
            &gettext("Run the agent in its sandbox"),
        );
        let root = gtk::Box::builder().spacing(6).build();
        root.append(&verdict);
        root.append(&build.button);
        root.append(&run.button);
        let actions = HeaderActions {
            root,
            verdict,
            verdict_icon,
            verdict_label,
            build,
            run,
        };
        actions.set_running(false);
        actions
    }

    pub fn set_running(&self, running: bool) {
        let button = &self.run.button;
        if running {
            self.run.set(
                &gettext("_Stop"),
                "media-playback-stop-symbolic",
                &gettext("Stop the sandbox (Ctrl+Shift+R)"),
                &gettext("Stop the sandbox"),
            );
            button.remove_css_class("suggested-action");
            button.add_css_class("destructive-action");
        } else {
            self.run.set(
                &gettext("_Run"),
                "media-playback-start-symbolic",
                &gettext("Run the agent in its sandbox (Ctrl+R)"),
                &gettext("Run the agent in its sandbox"),
            );
            button.remove_css_class("destructive-action");
            button.add_css_class("suggested-action");
        }
    }

    /// The isolation the sandbox reported about itself.
    pub fn show_verdict(&self, verdict: &Result<Verdict, NotAReport>) {
        for class in ["success", "warning", "error"] {
            self.verdict.remove_css_class(class);
        }
        let (text, class, icon) = match verdict {
            Ok(Verdict::MicroVm) => (gettext("microVM"), "success", "security-high-symbolic"),
            Ok(Verdict::Container) => (
                gettext("container only"),
                "warning",
                "security-medium-symbolic",
            ),
            Ok(Verdict::NotIsolated { .. }) => {
                (gettext("not isolated"), "error", "security-low-symbolic")
            }
            Err(_) => (
                gettext("isolation unverified"),
                "warning",
                "dialog-warning-symbolic",
            ),
        };
        self.verdict_label.set_label(&text);
        self.verdict_icon.set_icon_name(Some(icon));
        self.verdict.add_css_class(class);
        let detail = match verdict {
            Ok(verdict) => verdict.to_string(),
            Err(error) => error.to_string(),
        };
        self.verdict.set_tooltip_text(Some(&detail));
        self.verdict
            .update_property(&[gtk::accessible::Property::Label(&text)]);
        self.verdict.set_visible(true);
    }

    pub fn has_verdict(&self) -> bool {
        self.verdict.is_visible()
    }

    /// Icons only (the verdict as its icon, its text in the tooltip).
    pub fn set_compact(&self, compact: bool) {
        self.build.set_compact(compact);
        self.run.set_compact(compact);
        self.verdict_label.set_visible(!compact);
    }
}
