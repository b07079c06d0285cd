//! "System check": every preflight check with what was found and the fix,
//! as a button where Paddock can do it and as a copyable command where it
//! cannot. Also tells the window what to show in its banner, and runs the
//! self-test (throw-away sandboxes, `host::selftest`) and shows its last
//! result.

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use crate::ui::text::escape_markup;
use host::preflight::{self, Action, ActionError, Check, CheckId, Probe, Report, State};
use host::selftest::{self, Outcome, SelfCheck, SelfTest, SelfTestError, SelfTestReport};

pub struct SystemCheck {
    page: adw::PreferencesPage,
    group: Option<adw::PreferencesGroup>,
    busy: bool,
    self_test_group: Option<adw::PreferencesGroup>,
    self_test_button: gtk::Button,
    self_test: Option<SelfTestReport>,
}

#[derive(Debug)]
pub enum SystemCheckMsg {
    Refresh,
    Perform(Action),
    RunSelfTest,
    CopySelfTest,
    /// A fix's command, copied with its button.
    CopyCommand(String),
}

#[derive(Debug)]
pub enum SystemCheckCommand {
    Checked(Report),
    Performed(Action, Result<(), ActionError>),
    SelfTested(Result<SelfTestReport, SelfTestError>),
}

/// What the window's banner needs of the first blocking check: its fix, and
/// whether it blocks every project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocking {
    pub action: Option<Action>,
    /// Whether only microVMs are blocked (a container-only project runs).
    pub microvm_only: bool,
    /// What every blocking check found: a dismissed banner comes back
    /// when this changes.
    pub found: Vec<String>,
}

#[derive(Debug)]
pub enum SystemCheckOutput {
    Blocking(Option<Blocking>),
    Toast(String),
    Error { heading: String, body: String },
}

impl Component for SystemCheck {
    type Init = ();
    type Input = SystemCheckMsg;
    type Output = SystemCheckOutput;
    type CommandOutput = SystemCheckCommand;
    type Root = gtk::Box;
    type Widgets = ();

    fn init_root() -> Self::Root {
        gtk::Box::new(gtk::Orientation::Vertical, 0)
    }

    fn init(_: (), root: Self::Root, sender: ComponentSender<Self>) -> ComponentParts<Self> {
        let page = adw::PreferencesPage::builder()
            .title(gettext("System Check"))
            .description(gettext(
                "What this computer needs to run agents in microVMs. The isolation verdict of each run is the final word: a runtime can claim libkrun and still start a plain container.",
            ))
            .vexpand(true)
            .build();
        let recheck = gtk::Button::builder()
            .label(gettext("_Check Again"))
            .use_underline(true)
            .css_classes(["pill"])
            .build();
        {
            let sender = sender.clone();
            recheck.connect_clicked(move |_| sender.input(SystemCheckMsg::Refresh));
        }
        let self_test_button = gtk::Button::builder()
            .label(gettext("Run _Self-Test"))
            .use_underline(true)
            .tooltip_text(gettext(
                "Start throw-away sandboxes and look at their isolation, size, mounts and network",
            ))
            .css_classes(["pill"])
            .build();
        {
            let sender = sender.clone();
            self_test_button.connect_clicked(move |_| sender.input(SystemCheckMsg::RunSelfTest));
        }
        let buttons = gtk::Box::builder()
            .orientation(gtk::Orientation::Horizontal)
            .spacing(12)
            .halign(gtk::Align::Center)
            .margin_bottom(12)
            .build();
        buttons.append(&recheck);
        buttons.append(&self_test_button);
        root.append(&page);
        root.append(&buttons);
        let mut model = SystemCheck {
            page,
            group: None,
            busy: false,
            self_test_group: None,
            self_test_button,
            self_test: selftest::load(),
        };
        model.show_self_test(&sender);
        sender.input(SystemCheckMsg::Refresh);
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, msg: SystemCheckMsg, sender: ComponentSender<Self>, _root: &Self::Root) {
        match msg {
            SystemCheckMsg::Refresh => {
                if self.busy {
                    return;
                }
                self.busy = true;
                sender.oneshot_command(async {
                    SystemCheckCommand::Checked(preflight::run(&Probe::from_env()).await)
                });
            }
            SystemCheckMsg::Perform(action) => {
                if self.busy {
                    return;
                }
                self.busy = true;
                sender.oneshot_command(async move {
                    let result = preflight::perform(action).await;
                    SystemCheckCommand::Performed(action, result)
                });
            }
            SystemCheckMsg::RunSelfTest => {
                if !self.self_test_button.is_sensitive() {
                    return;
                }
                self.self_test_button.set_sensitive(false);
                self.self_test_button
                    .set_label(&gettext("Running the Self-Test…"));
                sender.oneshot_command(async {
                    SystemCheckCommand::SelfTested(SelfTest::default().run().await)
                });
            }
            SystemCheckMsg::CopySelfTest => {
                if let Some(report) = &self.self_test {
                    self.copy(&report.to_text(), &sender);
                }
            }
            SystemCheckMsg::CopyCommand(command) => self.copy(&command, &sender),
        }
    }

    fn update_cmd(
        &mut self,
        command: SystemCheckCommand,
        sender: ComponentSender<Self>,
        _root: &Self::Root,
    ) {
        match command {
            SystemCheckCommand::Checked(report) => {
                self.busy = false;
                self.show(&report, &sender);
                let blocking = report
                    .in_state(State::Blocking)
                    .next()
                    .map(|check| Blocking {
                        action: check.fix.as_ref().and_then(|fix| fix.action),
                        microvm_only: !matches!(
                            check.id,
                            CheckId::PodmanSocket | CheckId::Rootless
                        ),
                        found: report
                            .in_state(State::Blocking)
                            .map(|check| check.found.clone())
                            .collect(),
                    });
                let _ = sender.output(SystemCheckOutput::Blocking(blocking));
            }
            SystemCheckCommand::Performed(action, result) => {
                self.busy = false;
                match result {
                    Ok(()) => {
                        let _ = sender.output(SystemCheckOutput::Toast(action.label()));
                    }
                    Err(error) => {
                        let _ = sender.output(SystemCheckOutput::Error {
                            heading: gettext("That Did Not Fix It"),
                            body: error.to_string(),
                        });
                    }
                }
                sender.input(SystemCheckMsg::Refresh);
            }
            SystemCheckCommand::SelfTested(result) => {
                self.self_test_button.set_sensitive(true);
                self.self_test_button.set_label(&gettext("Run _Self-Test"));
                match result {
                    Ok(report) => {
                        if let Err(error) = selftest::save(&report) {
                            tracing::warn!("the self-test's result was not kept: {error}");
                        }
                        self.self_test = Some(report);
                        self.show_self_test(&sender);
                    }
                    Err(error) => {
                        let _ = sender.output(SystemCheckOutput::Error {
                            heading: gettext("The Self-Test Could Not Run"),
                            body: error.to_string(),
                        });
                    }
                }
                // Its result is one of the checks (and may be the banner's).
                sender.input(SystemCheckMsg::Refresh);
            }
        }
    }
}

impl SystemCheck {
    fn show_self_test(&mut self, sender: &ComponentSender<Self>) {
        if let Some(old) = self.self_test_group.take() {
            self.page.remove(&old);
        }
        let Some(report) = &self.self_test else {
            return;
        };
        let group = adw::PreferencesGroup::builder()
            .title(gettext("Last Self-Test"))
            .description(escape_markup(
                report.to_text().lines().next().unwrap_or_default(),
            ))
            .build();
        let copy = gtk::Button::builder()
            .label(gettext("C_opy Report"))
            .use_underline(true)
            .valign(gtk::Align::Center)
            .css_classes(["flat"])
            .build();
        {
            let sender = sender.clone();
            copy.connect_clicked(move |_| sender.input(SystemCheckMsg::CopySelfTest));
        }
        group.set_header_suffix(Some(&copy));
        for check in &report.checks {
            group.add(&self_test_row(check));
        }
        self.page.add(&group);
        self.self_test_group = Some(group);
    }

    /// Every copy button ends here: the clipboard, then a toast that says so.
    fn copy(&self, text: &str, sender: &ComponentSender<Self>) {
        self.page.clipboard().set_text(text);
        let _ = sender.output(SystemCheckOutput::Toast(gettext("Copied")));
    }

    fn show(&mut self, report: &Report, sender: &ComponentSender<Self>) {
        if let Some(old) = self.group.take() {
            self.page.remove(&old);
        }
        let group = adw::PreferencesGroup::new();
        for check in &report.checks {
            group.add(&row(check, sender));
        }
        self.page.add(&group);
        self.group = Some(group);
    }
}

fn row(check: &Check, sender: &ComponentSender<SystemCheck>) -> adw::PreferencesRow {
    let (icon, class, state) = match check.state {
        State::Ok => ("object-select-symbolic", "success", gettext("OK")),
        State::NotChecked => (
            "dialog-question-symbolic",
            "dim-label",
            gettext("Not checked"),
        ),
        State::Warning => ("dialog-warning-symbolic", "warning", gettext("Warning")),
        State::Blocking => ("dialog-error-symbolic", "error", gettext("Blocking")),
    };
    let image = gtk::Image::builder()
        .icon_name(icon)
        .css_classes([class])
        .tooltip_text(&state)
        .build();
    image.update_property(&[gtk::accessible::Property::Label(&state)]);
    let Some(fix) = &check.fix else {
        let row = adw::ActionRow::builder()
            .title(escape_markup(&check.title))
            .subtitle(escape_markup(&check.found))
            .build();
        row.add_prefix(&image);
        return row.upcast();
    };
    let row = adw::ExpanderRow::builder()
        .title(escape_markup(&check.title))
        .subtitle(escape_markup(&check.found))
        .expanded(check.state == State::Blocking)
        .build();
    row.add_prefix(&image);
    let how = adw::ActionRow::builder()
        .title(escape_markup(&fix.text))
        .title_lines(0)
        .build();
    if let Some(action) = fix.action {
        let button = gtk::Button::builder()
            .label(action.label())
            .valign(gtk::Align::Center)
            .css_classes(["suggested-action"])
            .build();
        let sender = sender.clone();
        button.connect_clicked(move |_| sender.input(SystemCheckMsg::Perform(action)));
        how.add_suffix(&button);
    }
    row.add_row(&how);
    if let Some(command) = &fix.command {
        row.add_row(&command_row(command, sender));
    }
    row.upcast()
}

fn self_test_row(check: &SelfCheck) -> adw::ActionRow {
    let (icon, class) = match check.outcome {
        Outcome::Passed => ("object-select-symbolic", "success"),
        Outcome::Failed => ("dialog-error-symbolic", "error"),
        Outcome::NotApplicable => ("action-unavailable-symbolic", "dim-label"),
    };
    let outcome = selftest::outcome_label(check.outcome);
    let image = gtk::Image::builder()
        .icon_name(icon)
        .css_classes([class])
        .tooltip_text(&outcome)
        .build();
    image.update_property(&[gtk::accessible::Property::Label(&outcome)]);
    let mut subtitle = check.measured.clone();
    if let Some(fix) = &check.fix {
        subtitle.push('\n');
        subtitle.push_str(&gettext("Fix: {text}").replace("{text}", fix));
    }
    let row = adw::ActionRow::builder()
        .title(escape_markup(&check.title))
        .subtitle(escape_markup(&subtitle))
        .subtitle_lines(0)
        .build();
    row.add_prefix(&image);
    row
}

/// A command in monospace with a button that copies it.
fn command_row(command: &str, sender: &ComponentSender<SystemCheck>) -> adw::ActionRow {
    let row = adw::ActionRow::builder()
        .title(escape_markup(command))
        .css_classes(["monospace"])
        .title_selectable(true)
        .build();
    let copy = gtk::Button::builder()
        .icon_name("edit-copy-symbolic")
        .valign(gtk::Align::Center)
        .tooltip_text(gettext("Copy"))
        .css_classes(["flat"])
        .build();
    copy.update_property(&[gtk::accessible::Property::Label(&gettext(
        "Copy the command",
    ))]);
    let command = command.to_owned();
    let sender = sender.clone();
    copy.connect_clicked(move |_| sender.input(SystemCheckMsg::CopyCommand(command.clone())));
    row.add_suffix(&copy);
    row
}
