//! The window's review of a sandbox definition that is new or changed
//! since the user approved it: the same heading, notes and diff as
//! `paddock build` prints, with Approve and Cancel. What it shows is what
//! approving records (the review's snapshot), and every text in it comes
//! escaped from the approval gate, so a control or bidi character in the
//! project cannot hide or rewrite a line.

use adw::prelude::*;
use gettextrs::gettext;

use sandbox::approval::Review;
use sandbox::project::Project;

/// What approving goes on to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterReview {
    Build,
    Run,
    /// Only approve (the banner's Review button).
    Nothing,
}

/// In a window too low for the whole review the dialog scrolls, and GTK
/// would scroll it to whatever takes the focus (the diff, or Cancel under
/// it): the heading must be what the user sees first.
fn open_at_top(content: &gtk::Box) {
    if let Some(viewport) = content
        .ancestor(gtk::Viewport::static_type())
        .and_downcast::<gtk::Viewport>()
    {
        viewport.set_scroll_to_focus(false);
    }
    content.connect_map(|content| {
        if let Some(scrolled) = content
            .ancestor(gtk::ScrolledWindow::static_type())
            .and_downcast::<gtk::ScrolledWindow>()
        {
            scrolled.vadjustment().set_value(0.0);
        }
    });
}

/// Presents the review over `parent`; `answered(true)` on Approve,
/// `answered(false)` on Cancel or Escape.
pub fn present(
    parent: &impl IsA<gtk::Widget>,
    project: &Project,
    review: &Review,
    after: AfterReview,
    answered: impl Fn(bool) + 'static,
) {
    let dialog = adw::AlertDialog::new(
        Some(&gettext("Review the Sandbox Definition")),
        Some(&review.heading(project)),
    );
    let content = gtk::Box::new(gtk::Orientation::Vertical, 12);
    if !review.notes.is_empty() {
        let notes = gtk::Box::new(gtk::Orientation::Vertical, 4);
        for note in &review.notes {
            let label = gtk::Label::builder()
                .label(&note.text)
                .wrap(true)
                .wrap_mode(gtk::pango::WrapMode::WordChar)
                .xalign(0.0)
                .build();
            if note.alert {
                label.add_css_class("warning");
            }
            notes.append(&label);
        }
        content.append(&notes);
    }
    let diff = gtk::TextView::builder()
        .editable(false)
        .cursor_visible(false)
        .monospace(true)
        .wrap_mode(gtk::WrapMode::WordChar)
        .top_margin(8)
        .bottom_margin(8)
        .left_margin(8)
        .right_margin(8)
        .build();
    diff.buffer().set_text(&review.diff);
    diff.update_property(&[gtk::accessible::Property::Label(&gettext(
        "Changes to the sandbox definition",
    ))]);
    let scrolled = gtk::ScrolledWindow::builder()
        .child(&diff)
        .min_content_height(200)
        .max_content_height(360)
        .propagate_natural_height(true)
        .hscrollbar_policy(gtk::PolicyType::Never)
        .build();
    scrolled.add_css_class("card");
    content.append(&scrolled);
    dialog.set_extra_child(Some(&content));
    open_at_top(&content);
    dialog.set_prefer_wide_layout(true);
    let approve = match after {
        AfterReview::Build => gettext("_Approve and Build"),
        AfterReview::Run => gettext("_Approve and Run"),
        AfterReview::Nothing => gettext("_Approve"),
    };
    dialog.add_responses(&[("cancel", &gettext("_Cancel")), ("approve", &approve)]);
    dialog.set_response_appearance("approve", adw::ResponseAppearance::Suggested);
    // Enter alone must not approve what the user may not have read.
    dialog.set_default_response(Some("cancel"));
    dialog.set_close_response("cancel");
    dialog.connect_response(None, move |_, response| answered(response == "approve"));
    dialog.present(Some(parent));
}
