//! The "API Keys" group of a project's settings: one password row per
//! variable the sandbox takes from the keyring. A value typed there is stored
//! in the keyring (for every project) when applied and the row is emptied;
//! stored values are never read back into the window, only shown as set.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use host::secrets::{Keyring, Scope, SecretsError};
use sandbox::messages::tr;
use sandbox::secret::{SecretValue, SecretVars};

pub struct ApiKeys {
    group: adw::PreferencesGroup,
    project: PathBuf,
    /// Variable -> its row and the label that says whether it is set.
    rows: BTreeMap<String, (adw::PasswordEntryRow, gtk::Label)>,
}

#[derive(Debug)]
pub enum ApiKeysMsg {
    /// The definition changed: these are the variables now.
    Show(SecretVars),
    /// The user applied a row.
    Apply(String),
}

#[derive(Debug)]
pub enum ApiKeysCommand {
    /// Which variables have a value stored, or why the keyring cannot say.
    Stored(Result<BTreeSet<String>, SecretsError>),
    Saved(String, Result<(), SecretsError>),
}

pub struct ApiKeysInit {
    pub project: PathBuf,
    pub vars: SecretVars,
}

impl Component for ApiKeys {
    type Init = ApiKeysInit;
    type Input = ApiKeysMsg;
    type Output = ();
    type CommandOutput = ApiKeysCommand;
    type Root = adw::PreferencesGroup;
    type Widgets = ();

    fn init_root() -> Self::Root {
        adw::PreferencesGroup::builder()
            .title(gettext("API Keys"))
            .build()
    }

    fn init(
        init: ApiKeysInit,
        group: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let mut model = ApiKeys {
            group,
            project: init.project,
            rows: BTreeMap::new(),
        };
        model.show(init.vars, &sender);
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, msg: ApiKeysMsg, sender: ComponentSender<Self>, _root: &Self::Root) {
        match msg {
            ApiKeysMsg::Show(vars) => self.show(vars, &sender),
            ApiKeysMsg::Apply(name) => self.apply(name, &sender),
        }
    }

    fn update_cmd(
        &mut self,
        command: ApiKeysCommand,
        _sender: ComponentSender<Self>,
        _root: &Self::Root,
    ) {
        match command {
            ApiKeysCommand::Stored(Ok(stored)) => {
                self.describe(None);
                for (name, (row, label)) in &self.rows {
                    mark(row, label, stored.contains(name));
                }
            }
            ApiKeysCommand::Stored(Err(error)) => self.describe(Some(&error)),
            ApiKeysCommand::Saved(name, Ok(())) => {
                self.describe(None);
                if let Some((row, label)) = self.rows.get(&name) {
                    mark(row, label, true);
                }
            }
            ApiKeysCommand::Saved(_, Err(error)) => self.describe(Some(&error)),
        }
    }
}

impl ApiKeys {
    /// One row per variable, then asks the keyring which are set.
    fn show(&mut self, vars: SecretVars, sender: &ComponentSender<Self>) {
        let names: Vec<String> = vars.names().into_iter().map(str::to_owned).collect();
        // Before the shortcut below: an agent that takes no key gets no group.
        self.group.set_visible(!names.is_empty());
        if names.iter().eq(self.rows.keys()) {
            return;
        }
        for (row, _) in std::mem::take(&mut self.rows).into_values() {
            self.group.remove(&row);
        }
        for name in &names {
            let row = adw::PasswordEntryRow::builder()
                .title(name.as_str())
                .show_apply_button(true)
                .build();
            let label = gtk::Label::builder()
                .css_classes(["dim-label"])
                .valign(gtk::Align::Center)
                .build();
            row.add_suffix(&label);
            row.upcast_ref::<gtk::Widget>()
                .update_property(&[gtk::accessible::Property::Label(&tr(
                    "API key {name}",
                    &[("name", name)],
                ))]);
            {
                let sender = sender.clone();
                let name = name.clone();
                row.connect_apply(move |_| sender.input(ApiKeysMsg::Apply(name.clone())));
            }
            self.group.add(&row);
            self.rows.insert(name.clone(), (row, label));
        }
        self.describe(None);
        let project = self.project.clone();
        sender.oneshot_command(async move {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let stored = async {
                let keyring = Keyring::open().await?;
                keyring.stored(&names, &project).await
            };
            ApiKeysCommand::Stored(stored.await)
        });
    }

    /// Stores the row's value and empties the row.
    fn apply(&mut self, name: String, sender: &ComponentSender<Self>) {
        let Some((row, _)) = self.rows.get(&name) else {
            return;
        };
        let value = SecretValue::new(row.text().as_bytes());
        row.set_text("");
        if value.as_bytes().is_empty() {
            return;
        }
        sender.oneshot_command(async move {
            let saved = async {
                let keyring = Keyring::open().await?;
                keyring.store(&name, Scope::Everywhere, &value).await
            };
            let result = saved.await;
            ApiKeysCommand::Saved(name, result)
        });
    }

    /// The group's description: what it is for, or what went wrong.
    fn describe(&self, problem: Option<&SecretsError>) {
        let text = match problem {
            Some(problem) => problem.to_string(),
            None => gettext(
                "Kept in your keyring and given to the sandbox when it starts, never written to the project. A key here is for every project; the agent can also log in inside the sandbox instead.",
            ),
        };
        self.group.set_description(Some(&text));
    }
}

fn mark(row: &adw::PasswordEntryRow, label: &gtk::Label, set: bool) {
    let state = if set {
        gettext("Set")
    } else {
        gettext("Not set")
    };
    label.set_label(&state);
    row.upcast_ref::<gtk::Widget>()
        .update_property(&[gtk::accessible::Property::Description(&state)]);
}
