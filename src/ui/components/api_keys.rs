//! An "API Keys" group: one password row per variable a sandbox takes from
//! the keyring, titled for people ("Anthropic API Key") with the variable as
//! subtitle. A value typed there is stored in the keyring when applied and
//! the row is emptied; stored values are never read back into the window.
//!
//! Preferences shows one for every project's keys, a project's Sandbox view
//! one for that project's own; the host's rule decides which a sandbox
//! gets (host::secrets: the project's wins), and both groups say so. In a
//! project's view each row also says whether its key stays outside the
//! sandbox (the gateway adds it on the way out) or is inside it
//! ([`sandbox::secret::placement`]).
//!
//! Showing the group does not touch the keyring: asking it which keys are
//! stored would unlock it, and on a desktop without a keyring yet that asks
//! the user to choose a password for a new one, just for looking at a
//! project. The keyring is opened when the user stores or removes a key
//! here (or presses Run, which reads the keys).

use std::collections::BTreeMap;
use std::path::PathBuf;

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use host::secrets::{Keyring, Scope, SecretsError};
use sandbox::messages::tr;
use sandbox::secret::{KeyPlace, SecretValue, SecretVars};

pub struct ApiKeys {
    group: adw::PreferencesGroup,
    /// The project the keys are for; `None`: every project.
    project: Option<PathBuf>,
    /// Variable -> its row, the label that says what happened to it, the
    /// one that names the variable and the one that says where the key is.
    rows: BTreeMap<String, (adw::PasswordEntryRow, gtk::Label, gtk::Label, gtk::Label)>,
}

#[derive(Debug)]
pub enum ApiKeysMsg {
    /// The definition changed: these are the variables now.
    Show(SecretVars),
    /// The user applied a row.
    Apply(String),
    /// The user asked to remove the stored key.
    Remove(String),
}

#[derive(Debug)]
pub enum ApiKeysCommand {
    Saved(String, Result<(), SecretsError>),
    Removed(String, Result<bool, SecretsError>),
}

#[derive(Debug)]
pub enum ApiKeysOutput {
    Toast(String),
}

pub struct ApiKeysInit {
    pub vars: SecretVars,
    /// The project the keys are for; `None`: every project (Preferences).
    pub project: Option<PathBuf>,
}

impl Component for ApiKeys {
    type Init = ApiKeysInit;
    type Input = ApiKeysMsg;
    type Output = ApiKeysOutput;
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
        group.set_description(Some(&match init.project {
            None => gettext(
                "Kept in your keyring for every project, never written to a project. A project’s page says for each key whether it stays outside the sandbox, added by Paddock’s gateway on the way to its API, or is given to the sandbox when it starts. A key set in a project’s own settings wins over the one here.",
            ),
            Some(_) => gettext(
                "Kept in your keyring for this project only, never written to the project. Each key’s badge says whether it stays outside the sandbox or is given to it when it starts. Without one here, the key in Preferences is used; the agent can also log in inside the sandbox instead.",
            ),
        }));
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
            ApiKeysMsg::Remove(name) => {
                let project = self.project.clone();
                sender.oneshot_command(async move {
                    let removed = async {
                        Keyring::open()
                            .await?
                            .remove(&name, scope(project.as_deref()))
                            .await
                    };
                    let result = removed.await;
                    ApiKeysCommand::Removed(name, result)
                });
            }
        }
    }

    fn update_cmd(
        &mut self,
        command: ApiKeysCommand,
        sender: ComponentSender<Self>,
        _root: &Self::Root,
    ) {
        let (name, state) = match command {
            ApiKeysCommand::Saved(name, Ok(())) => {
                let _ = sender.output(ApiKeysOutput::Toast(tr(
                    "{key} saved in your keyring",
                    &[("key", &title_of(&name))],
                )));
                (name, gettext("Saved"))
            }
            ApiKeysCommand::Removed(name, Ok(removed)) => {
                let text = if removed {
                    tr(
                        "{key} removed from your keyring",
                        &[("key", &title_of(&name))],
                    )
                } else {
                    tr("No {key} was stored", &[("key", &title_of(&name))])
                };
                let _ = sender.output(ApiKeysOutput::Toast(text));
                (name, gettext("Not set"))
            }
            ApiKeysCommand::Saved(name, Err(error)) | ApiKeysCommand::Removed(name, Err(error)) => {
                (name, problem(&error))
            }
        };
        if let Some((row, label, _, _)) = self.rows.get(&name) {
            label.set_label(&state);
            row.upcast_ref::<gtk::Widget>()
                .update_property(&[gtk::accessible::Property::Description(&state)]);
        }
    }
}

impl ApiKeys {
    /// The labels naming each row's variable, for a narrow window to hide
    /// (the variable stays in the row's tooltip and accessible description).
    pub fn variable_labels(&self) -> Vec<gtk::Label> {
        self.rows
            .values()
            .map(|(_, _, variable, _)| variable.clone())
            .collect()
    }

    /// One row per variable; none (and no group) for an agent without keys.
    fn show(&mut self, vars: SecretVars, sender: &ComponentSender<Self>) {
        let names: Vec<String> = vars.names().into_iter().map(str::to_owned).collect();
        self.group.set_visible(!names.is_empty());
        if !names.iter().eq(self.rows.keys()) {
            self.make_rows(&names, sender);
        }
        for place in &vars.places {
            if let Some((row, _, _, badge)) = self.rows.get(&place.name) {
                show_place(row, badge, place);
            }
        }
    }

    fn make_rows(&mut self, names: &[String], sender: &ComponentSender<Self>) {
        for (row, _, _, _) in std::mem::take(&mut self.rows).into_values() {
            self.group.remove(&row);
        }
        for name in names {
            let title = title_of(name);
            let row = adw::PasswordEntryRow::builder()
                .title(title.as_str())
                .show_apply_button(true)
                .build();
            // A password row has no subtitle: the variable is a suffix, the
            // tooltip and the accessible description.
            row.set_tooltip_text(Some(name));
            // Shortened rather than widening a narrow window.
            let variable = gtk::Label::builder()
                .css_classes(["dim-label", "caption", "monospace"])
                .label(name.as_str())
                .ellipsize(gtk::pango::EllipsizeMode::Middle)
                .xalign(1.0)
                .build();
            // Hidden where nothing says where the key is (Preferences).
            let badge = gtk::Label::builder()
                .css_classes(["caption"])
                .xalign(1.0)
                .visible(false)
                .build();
            // The badge under the variable's name, not beside it: both fit
            // whole in a row of the page's width.
            let names = gtk::Box::builder()
                .orientation(gtk::Orientation::Vertical)
                .valign(gtk::Align::Center)
                .build();
            names.append(&variable);
            names.append(&badge);
            row.add_suffix(&names);
            let label = gtk::Label::builder()
                .css_classes(["dim-label", "caption"])
                .valign(gtk::Align::Center)
                .build();
            row.add_suffix(&label);
            let remove = gtk::Button::builder()
                .icon_name("user-trash-symbolic")
                .valign(gtk::Align::Center)
                .tooltip_text(gettext("Remove From Keyring"))
                .css_classes(["flat"])
                .build();
            remove.update_property(&[gtk::accessible::Property::Label(&tr(
                "Remove {key} from the keyring",
                &[("key", &title)],
            ))]);
            row.add_suffix(&remove);
            row.upcast_ref::<gtk::Widget>()
                .update_property(&[gtk::accessible::Property::Description(name)]);
            {
                let sender = sender.clone();
                let name = name.clone();
                row.connect_apply(move |_| sender.input(ApiKeysMsg::Apply(name.clone())));
            }
            {
                let sender = sender.clone();
                let name = name.clone();
                remove.connect_clicked(move |_| sender.input(ApiKeysMsg::Remove(name.clone())));
            }
            self.group.add(&row);
            self.rows
                .insert(name.clone(), (row, label, variable, badge));
        }
    }

    /// Stores the row's value and empties the row.
    fn apply(&mut self, name: String, sender: &ComponentSender<Self>) {
        let Some((row, _, _, _)) = self.rows.get(&name) else {
            return;
        };
        let value = SecretValue::new(row.text().as_bytes());
        row.set_text("");
        if value.as_bytes().is_empty() {
            return;
        }
        let project = self.project.clone();
        sender.oneshot_command(async move {
            let saved = async {
                let keyring = Keyring::open().await?;
                keyring
                    .store(&name, scope(project.as_deref()), &value)
                    .await
            };
            let result = saved.await;
            ApiKeysCommand::Saved(name, result)
        });
    }
}

fn scope(project: Option<&std::path::Path>) -> Scope<'_> {
    project.map_or(Scope::Everywhere, Scope::Project)
}

/// Where the row's key is, as a badge (green when it stays outside) with
/// the reason as its tooltip, and in the row's accessible description.
fn show_place(row: &adw::PasswordEntryRow, badge: &gtk::Label, place: &KeyPlace) {
    let (text, class) = if place.is_outside() {
        (gettext("Stays outside the sandbox"), "success")
    } else {
        (gettext("Inside the sandbox"), "warning")
    };
    badge.set_label(&text);
    badge.set_css_classes(&["caption", class]);
    badge.set_visible(true);
    badge.set_tooltip_text(Some(&place.why()));
    let description = tr(
        "{variable}: {where} ({why})",
        &[
            ("variable", &place.name),
            ("where", &place.where_()),
            ("why", &place.why()),
        ],
    );
    row.upcast_ref::<gtk::Widget>()
        .update_property(&[gtk::accessible::Property::Description(&description)]);
}

/// What went wrong, short enough for the row; the keyring's own words are
/// in the log.
fn problem(error: &SecretsError) -> String {
    tracing::warn!("keyring: {error}");
    match error {
        SecretsError::Locked => gettext("Keyring locked"),
        _ => gettext("Not saved"),
    }
}

/// "Anthropic API Key" for `ANTHROPIC_API_KEY`: the keys of the agent
/// presets by name, any other variable as it is.
pub fn title_of(variable: &str) -> String {
    match variable {
        "ANTHROPIC_API_KEY" => gettext("Anthropic API Key"),
        "CLAUDE_CODE_OAUTH_TOKEN" => gettext("Claude Subscription Token"),
        "OPENAI_API_KEY" => gettext("OpenAI API Key"),
        "GEMINI_API_KEY" => gettext("Gemini API Key"),
        "GOOGLE_API_KEY" => gettext("Google API Key"),
        "DEEPSEEK_API_KEY" => gettext("DeepSeek API Key"),
        "OPENROUTER_API_KEY" => gettext("OpenRouter API Key"),
        "COPILOT_GITHUB_TOKEN" => gettext("GitHub Copilot Token"),
        // The GitHub CLI's variable, and the one GitHub's own tools set.
        "GH_TOKEN" => gettext("GitHub CLI Token"),
        "GITHUB_TOKEN" => gettext("GitHub Token"),
        other => other.to_owned(),
    }
}
