//! The Sandbox view of a project: its definition in the form (with the API
//! keys it takes), or what is wrong with `paddock.toml` and the ways out;
//! reloaded when something else writes the file.
//!
//! What the form applied and the file does not hold yet is a [`Draft`].
//! Edits are written once the user has stopped applying them for [`QUIET`]
//! (each write is an fsync and makes the page ask podman about the image
//! again: a spin row's + held down is one write), and at once when the user
//! leaves the project or the window; before a build or a run, so are the
//! defaults a folder without a definition shows.
//!
//! The file is the truth: a change on disk (an editor, an agent, `paddock`)
//! appears in the open form, and an edit is written on top of what the file
//! holds then, changing only the keys the user changed.

use std::time::Duration;

use adw::prelude::*;
use gettextrs::gettext;
use gtk::gio;
use relm4::prelude::*;

use crate::settings::Settings;
use crate::ui::components::api_keys::{ApiKeys, ApiKeysInit, ApiKeysMsg, ApiKeysOutput};
use crate::ui::components::definition_form::{
    DefinitionForm, DefinitionFormInit, DefinitionFormMsg, DefinitionFormOutput, Limits,
};
use crate::ui::components::invalid_definition;
use crate::ui::debounce::Debounce;
use crate::ui::error::Error;
use crate::ui::project_plan;
use sandbox::definition::{Definition, DefinitionErrors, FieldError};
use sandbox::messages::tr;
use sandbox::presets::Presets;
use sandbox::project::{DEFINITION_FILE, Project, ProjectError};
use sandbox::salvage::salvage;
use sandbox::secret::SecretVars;

/// How long the typing must have stopped before an edit is written.
pub const QUIET: Duration = Duration::from_millis(500);

pub struct DefinitionEditor {
    project: Project,
    /// The resources of new projects.
    preferences: Settings,
    /// Holds the form, or what is wrong with `paddock.toml`.
    view: adw::Bin,
    /// `None` while the definition cannot be read.
    form: Option<Form>,
    draft: Option<Draft>,
    /// What `paddock.toml` held when it was last read or written here
    /// (`None` while there is none): what the form's edits are made to.
    known: Option<Definition>,
    /// Writes the edits once the typing stops.
    quiet: Debounce,
    /// Tells the page about the writes it asked for.
    sender: ComponentSender<DefinitionEditor>,
    /// Reloads the definition when something else writes it.
    _monitor: Option<gio::FileMonitor>,
}

/// The form, with what it needs to show the API keys of what it holds.
struct Form {
    form: Controller<DefinitionForm>,
    /// The API keys group, shown in the form after the agent's.
    keys: Controller<ApiKeys>,
    presets: Presets,
}

/// What the form shows and `paddock.toml` does not hold yet.
#[derive(Debug)]
enum Draft {
    /// The definition of a folder that has none: written before its first
    /// build or run, unless one has appeared meanwhile.
    Fresh(Definition),
    /// The user's edit.
    Edited(Definition),
}

impl Draft {
    fn definition(&self) -> &Definition {
        match self {
            Draft::Fresh(definition) | Draft::Edited(definition) => definition,
        }
    }
}

pub struct DefinitionInit {
    pub project: Project,
    pub preferences: Settings,
}

#[derive(Debug)]
pub enum DefinitionMsg {
    Edited(Box<Definition>),
    /// The typing stopped: write the edit.
    Quiet,
    /// Whether the form's last applied value was valid.
    FormValid(bool),
    /// `paddock.toml` changed on disk (an editor, an agent, or a save here).
    FileChanged,
    /// Opens the invalid `paddock.toml` in the user's text editor.
    Open,
    /// Replaces the invalid `paddock.toml` with a valid one that keeps its
    /// valid settings; the old file is kept beside it.
    Reset,
}

#[derive(Debug)]
pub enum DefinitionOutput {
    /// `paddock.toml` holds something else now: what podman has for it may
    /// have changed.
    Changed,
    /// Whether what the view shows can be built and run: `false` while
    /// `paddock.toml` is broken or the form holds an invalid value.
    Usable(bool),
    Toast(String),
    Error {
        heading: String,
        body: String,
    },
}

impl Component for DefinitionEditor {
    type Init = DefinitionInit;
    type Input = DefinitionMsg;
    type Output = DefinitionOutput;
    type CommandOutput = ();
    type Root = adw::Bin;
    type Widgets = ();

    fn init_root() -> Self::Root {
        adw::Bin::new()
    }

    fn init(
        init: DefinitionInit,
        view: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let monitor = watch_definition(&init.project.definition_path(), &sender);
        let mut model = DefinitionEditor {
            project: init.project,
            preferences: init.preferences,
            view,
            form: None,
            draft: None,
            known: None,
            quiet: Debounce::new(QUIET),
            sender: sender.clone(),
            _monitor: monitor,
        };
        model.load(&sender);
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, msg: DefinitionMsg, sender: ComponentSender<Self>, _root: &Self::Root) {
        match msg {
            DefinitionMsg::Edited(definition) => {
                self.draft = Some(Draft::Edited(*definition));
                let sender = sender.clone();
                self.quiet
                    .schedule(move || sender.input(DefinitionMsg::Quiet));
            }
            DefinitionMsg::Quiet => {
                if let Err(error) = self.save_edit() {
                    let _ = sender.output(DefinitionOutput::Error {
                        heading: gettext("The Sandbox Definition Cannot Be Saved"),
                        body: error.to_string(),
                    });
                }
            }
            DefinitionMsg::FormValid(valid) => {
                let _ = sender.output(DefinitionOutput::Usable(valid));
            }
            DefinitionMsg::FileChanged => {
                self.file_changed(&sender);
                // Whoever wrote it, the image and the approval may differ now.
                let _ = sender.output(DefinitionOutput::Changed);
            }
            DefinitionMsg::Open => self.open(&sender),
            DefinitionMsg::Reset => self.reset(&sender),
        }
    }
}

impl DefinitionEditor {
    /// Writes the user's edit, if one is waiting.
    pub fn save_edit(&mut self) -> Result<(), Error> {
        match self.draft {
            Some(Draft::Edited(_)) => self.save_draft(),
            _ => Ok(()),
        }
    }

    /// Writes what the sandbox is about to be built or run from: the
    /// waiting edit, or the defaults of a folder without a definition.
    pub fn save_for_use(&mut self) -> Result<(), Error> {
        self.save_draft()
    }

    /// A draft that cannot be written stays, for the next try.
    fn save_draft(&mut self) -> Result<(), Error> {
        self.quiet.cancel();
        let Some(draft) = self.draft.take() else {
            return Ok(());
        };
        if matches!(draft, Draft::Fresh(_)) && self.project.has_definition() {
            return Ok(());
        }
        let definition = match self.on_top_of_file(draft.definition()) {
            Ok(definition) => definition,
            Err(error) => {
                self.draft = Some(draft);
                return Err(error);
            }
        };
        if let Err(error) = project_plan::save_definition(&self.project, &definition) {
            self.draft = Some(draft);
            return Err(error);
        }
        self.known = Some(definition.clone());
        if let Some(form) = &self.form {
            if &definition != draft.definition() {
                form.form
                    .emit(DefinitionFormMsg::Show(Box::new(definition.clone())));
            }
            form.keys
                .emit(ApiKeysMsg::Show(secret_vars(&definition, &form.presets)));
        }
        let _ = self.sender.output(DefinitionOutput::Changed);
        Ok(())
    }

    /// The user's edit put on top of what `paddock.toml` holds now: only
    /// the keys the edit changed are the edit's.
    fn on_top_of_file(&self, edited: &Definition) -> Result<Definition, Error> {
        let Some(known) = &self.known else {
            return Ok(edited.clone());
        };
        let Ok((now, presets)) = definition_of(&self.project, &self.preferences) else {
            // Made unreadable meanwhile: the file monitor shows why.
            return Ok(edited.clone());
        };
        if !self.project.has_definition() || &now == known {
            return Ok(edited.clone());
        }
        let merged = Definition::rebase(edited, known, &now).ok_or_else(|| {
            DefinitionErrors(vec![FieldError::new(
                "",
                gettext(
                    "paddock.toml was changed meanwhile in a way that does not go together with this edit; make the edit again",
                ),
            )])
        })?;
        merged.validate(&presets)?;
        Ok(merged)
    }

    /// `paddock.toml` changed on disk: a valid file appears in the form
    /// (with the waiting edit on top), anything else replaces the form with
    /// what is wrong, which is the newer word.
    fn file_changed(&mut self, sender: &ComponentSender<Self>) {
        let Some(form) = &self.form else {
            self.load(sender);
            return;
        };
        if !self.project.has_definition() {
            return;
        }
        let Ok((now, _)) = definition_of(&self.project, &self.preferences) else {
            self.load(sender);
            return;
        };
        if self.known.as_ref() == Some(&now) {
            return;
        }
        let shown = match (&self.draft, &self.known) {
            (Some(Draft::Edited(edited)), Some(known)) => {
                Definition::rebase(edited, known, &now).unwrap_or_else(|| now.clone())
            }
            _ => now.clone(),
        };
        self.draft = (shown != now).then(|| Draft::Edited(shown.clone()));
        self.known = Some(now);
        form.keys
            .emit(ApiKeysMsg::Show(secret_vars(&shown, &form.presets)));
        form.form.emit(DefinitionFormMsg::Show(Box::new(shown)));
    }

    /// Shows the definition form, or what is wrong with `paddock.toml`
    /// and how to fix it.
    fn load(&mut self, sender: &ComponentSender<Self>) {
        self.quiet.cancel();
        self.draft = None;
        self.known = None;
        self.form = None;
        let view: gtk::Widget = match definition_of(&self.project, &self.preferences) {
            Ok((definition, presets)) => {
                if self.project.has_definition() {
                    self.known = Some(definition.clone());
                } else {
                    self.draft = Some(Draft::Fresh(definition.clone()));
                }
                let keys = ApiKeys::builder()
                    .launch(ApiKeysInit {
                        vars: secret_vars(&definition, &presets),
                        project: Some(self.project.root().to_path_buf()),
                    })
                    .forward(sender.output_sender(), |output| match output {
                        ApiKeysOutput::Toast(text) => DefinitionOutput::Toast(text),
                    });
                let form = DefinitionForm::builder()
                    .launch(DefinitionFormInit {
                        presets: presets.clone(),
                        definition,
                        limits: Limits::of_host(),
                        after_agent: Some(keys.widget().clone()),
                    })
                    .forward(sender.input_sender(), |output| match output {
                        DefinitionFormOutput::Edited(definition) => {
                            DefinitionMsg::Edited(definition)
                        }
                        DefinitionFormOutput::Valid(valid) => DefinitionMsg::FormValid(valid),
                    });
                let widget = form.widget().clone().upcast();
                self.form = Some(Form {
                    form,
                    keys,
                    presets,
                });
                widget
            }
            Err(Unusable::Invalid(errors)) => {
                let open = sender.clone();
                let reset = sender.clone();
                invalid_definition::view(
                    DEFINITION_FILE,
                    &errors,
                    move || open.input(DefinitionMsg::Open),
                    move || reset.input(DefinitionMsg::Reset),
                )
            }
            Err(Unusable::Other(error)) => adw::StatusPage::builder()
                .icon_name("dialog-warning-symbolic")
                .title(gettext("The Sandbox Definition Cannot Be Read"))
                .description(glib_escape(&error.to_string()))
                .build()
                .upcast(),
        };
        let _ = sender.output(DefinitionOutput::Usable(self.form.is_some()));
        self.view.set_child(Some(&view));
    }

    fn open(&self, sender: &ComponentSender<Self>) {
        let file = gio::File::for_path(self.project.definition_path());
        let window = self.view.root().and_downcast::<gtk::Window>();
        let sender = sender.clone();
        gtk::FileLauncher::new(Some(&file)).launch(
            window.as_ref(),
            gio::Cancellable::NONE,
            move |result| {
                if let Err(error) = result {
                    let _ = sender.output(DefinitionOutput::Error {
                        heading: gettext("The Definition Could Not Be Opened"),
                        body: tr(
                            "{error}\n\nOpen {file} in any text editor: this page reloads it when it is saved.",
                            &[("error", &error), ("file", &file.uri())],
                        ),
                    });
                }
            },
        );
    }

    fn reset(&mut self, sender: &ComponentSender<Self>) {
        let result = (|| {
            let presets = Presets::load(Presets::user_dir().as_deref())?;
            let text = self.project.read_sandbox_file(DEFINITION_FILE)?;
            let kept = self.project.set_aside_definition()?;
            let definition = salvage(
                &text,
                &presets,
                &self.preferences.new_project(&self.project),
            );
            self.project.save_definition(&definition)?;
            Ok::<_, Error>(kept)
        })();
        match result {
            Ok(kept) => {
                let name = kept
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let _ = sender.output(DefinitionOutput::Toast(tr(
                    "Definition reset; the old one is kept as {file}",
                    &[("file", &name)],
                )));
                self.load(sender);
                let _ = sender.output(DefinitionOutput::Changed);
            }
            Err(error) => {
                let _ = sender.output(DefinitionOutput::Error {
                    heading: gettext("The Sandbox Definition Cannot Be Saved"),
                    body: error.to_string(),
                });
            }
        }
    }
}

/// Why the form cannot show a project's definition.
enum Unusable {
    /// `paddock.toml` is not valid: each problem with its key.
    Invalid(Vec<FieldError>),
    /// Anything else (a link where the file should be, unreadable presets).
    Other(Error),
}

/// The project's definition, or a new one with the defaults when the folder
/// has none yet (written on the first change or build).
fn definition_of(
    project: &Project,
    settings: &Settings,
) -> Result<(Definition, Presets), Unusable> {
    let presets = Presets::load(Presets::user_dir().as_deref())
        .map_err(|error| Unusable::Other(error.into()))?;
    if project.has_definition() {
        match project.load_definition(&presets) {
            Ok(definition) => Ok((definition, presets)),
            Err(ProjectError::Definition { errors, .. }) => Err(Unusable::Invalid(errors.0)),
            Err(error) => Err(Unusable::Other(error.into())),
        }
    } else {
        Ok((settings.new_project(project), presets))
    }
}

/// The variables the definition's sandbox takes from the keyring (none when
/// its agent is unknown: the form shows that problem).
fn secret_vars(definition: &Definition, presets: &Presets) -> SecretVars {
    definition
        .resolve_agent(presets)
        .map(|agent| SecretVars::of(&agent, definition))
        .unwrap_or_default()
}

/// Tells the editor when `paddock.toml` is written, replaced or removed.
fn watch_definition(
    file: &std::path::Path,
    sender: &ComponentSender<DefinitionEditor>,
) -> Option<gio::FileMonitor> {
    let monitor = gio::File::for_path(file)
        .monitor_file(gio::FileMonitorFlags::WATCH_MOVES, gio::Cancellable::NONE)
        .map_err(|error| tracing::warn!("not watching {}: {error}", file.display()))
        .ok()?;
    let sender = sender.clone();
    monitor.connect_changed(move |_, _, _, event| {
        if !matches!(
            event,
            gio::FileMonitorEvent::Changed | gio::FileMonitorEvent::AttributeChanged
        ) {
            sender.input(DefinitionMsg::FileChanged);
        }
    });
    Some(monitor)
}

fn glib_escape(text: &str) -> String {
    gtk::glib::markup_escape_text(text).to_string()
}
