//! The sandbox definition as preference rows. A change counts when the user
//! applies it (Enter or the apply button of a text row, a choice, a spin
//! row's value; never a keystroke or a wheel notch), one field at a time:
//! it is validated with the sandbox layer (the same messages as the CLI)
//! and, when valid, handed to the project page, which writes
//! `.agent-sandbox/paddock.toml`. Invalid input stays in the form, marked,
//! with the message under its group, and is never handed on.

use adw::prelude::*;
use gettextrs::{gettext, ngettext};
use gtk::glib;
use relm4::prelude::*;

use crate::ui::text::{join_words, split_words};
use sandbox::definition::{AgentHome, Definition, DefinitionErrors, NetworkMode, Runtime};
use sandbox::messages::tr;
use sandbox::presets::{Preset, Presets};

/// Memory left to the host when sizing the memory row.
const MEMORY_RESERVE_MIB: u32 = 2048;
pub const MEMORY_MIN_MIB: u32 = 512;
pub const MEMORY_STEP_MIB: u32 = 256;
const MAX_CPUS: u32 = 16;

/// What the host can give a sandbox.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub cpus: u32,
    pub memory_mib: u32,
}

impl Limits {
    /// CPUs 1..min(16, cores); memory 512 MiB..(RAM - reserve), in 256 MiB steps.
    pub fn of_host() -> Limits {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1);
        let total = host_memory_mib().unwrap_or(4096);
        Limits::new(cores, total)
    }

    pub fn new(cores: u32, total_memory_mib: u32) -> Limits {
        let usable = total_memory_mib.saturating_sub(MEMORY_RESERVE_MIB);
        let memory_mib = (usable / MEMORY_STEP_MIB * MEMORY_STEP_MIB).max(MEMORY_MIN_MIB);
        Limits {
            cpus: cores.clamp(1, MAX_CPUS),
            memory_mib,
        }
    }
}

fn host_memory_mib() -> Option<u32> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 = text
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    u32::try_from(kib / 1024).ok()
}

/// "4 GiB", "4.5 GiB".
pub fn gib(mib: u32) -> String {
    let value = f64::from(mib) / 1024.0;
    let number = if (value - value.round()).abs() < 0.01 {
        format!("{}", value.round())
    } else {
        format!("{value:.2}").trim_end_matches('0').to_owned()
    };
    tr("{number} GiB", &[("number", &number)])
}

pub struct DefinitionForm {
    presets: Presets,
    /// What the form applied last (valid), or was last shown from the file.
    definition: Definition,
    agent: adw::ComboRow,
    agent_ids: Vec<String>,
    command: adw::EntryRow,
    base: adw::EntryRow,
    packages: adw::EntryRow,
    cpus: adw::SpinRow,
    memory: adw::SpinRow,
    network: adw::ComboRow,
    home: adw::ComboRow,
    runtime: adw::ComboRow,
    env_group: adw::PreferencesGroup,
    /// One row per variable, in the definition's order.
    env_rows: Vec<(String, adw::EntryRow)>,
    add_env: adw::EntryRow,
    /// Under each group: what is wrong with its fields.
    captions: [gtk::Label; 5],
    sender: ComponentSender<DefinitionForm>,
    /// Set while the form itself writes values into the rows.
    loading: bool,
}

/// What the user applied: one field, so that nothing else the rows hold
/// (text typed and not applied) goes along.
#[derive(Debug, Clone)]
pub enum Field {
    Agent,
    Command,
    Home,
    Base,
    Packages,
    Cpus,
    Memory,
    Network,
    Runtime,
    /// A variable's row was applied.
    Env(String),
    RemoveEnv(String),
    /// The Add Variable row (`NAME=value`) was applied.
    AddEnv,
}

#[derive(Debug)]
pub enum DefinitionFormMsg {
    /// The user applied a field: validate the definition with it and hand it on.
    Applied(Field),
    /// `paddock.toml` holds this now (written by hand, or by Paddock).
    Show(Box<Definition>),
}

#[derive(Debug)]
pub enum DefinitionFormOutput {
    /// The user made this valid definition.
    Edited(Box<Definition>),
    /// Whether the value the user applied last was valid (an invalid one
    /// stays in its row, marked, and is not handed on).
    Valid(bool),
}

pub struct DefinitionFormInit {
    pub presets: Presets,
    pub definition: Definition,
    pub limits: Limits,
    /// Shown right after the agent's group (the project page's API keys).
    pub after_agent: Option<adw::PreferencesGroup>,
}

/// The groups a caption belongs to.
const AGENT: usize = 0;
const IMAGE: usize = 1;
const RESOURCES: usize = 2;
const ENV: usize = 3;
const SANDBOX: usize = 4;

impl SimpleComponent for DefinitionForm {
    type Init = DefinitionFormInit;
    type Input = DefinitionFormMsg;
    type Output = DefinitionFormOutput;
    type Root = adw::PreferencesPage;
    type Widgets = ();

    fn init_root() -> Self::Root {
        adw::PreferencesPage::new()
    }

    fn init(
        init: DefinitionFormInit,
        page: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let DefinitionFormInit {
            presets,
            definition,
            limits,
            after_agent,
        } = init;
        let captions = std::array::from_fn(|_| caption());

        let agent_group = adw::PreferencesGroup::builder()
            .title(gettext("Agent"))
            .build();
        let mut agent_ids: Vec<String> = presets.iter().map(|p| p.id.clone()).collect();
        let mut agent_names: Vec<String> = presets.iter().map(|p| p.name.clone()).collect();
        if let Some(id) = &definition.agent.preset
            && !agent_ids.contains(id)
        {
            agent_ids.push(id.clone());
            agent_names.push(id.clone());
        }
        // The last entry: no preset, the command below is the whole agent.
        agent_names.push(Preset::custom().name);
        let names: Vec<&str> = agent_names.iter().map(String::as_str).collect();
        let agent = combo(&gettext("Agent"), &names);
        agent.set_subtitle(&gettext("The coding agent installed in the sandbox"));
        agent_group.add(&agent);
        let command = entry(&gettext("Command"));
        command.set_tooltip_text(Some(&gettext(
            "Leave empty to start the agent’s own command",
        )));
        agent_group.add(&command);
        let home = choice(
            &gettext("Agent Settings"),
            [
                (
                    gettext("Shared"),
                    gettext(
                        "All projects share the agent’s settings: one project’s agent can change the hooks that run in another’s",
                    ),
                ),
                (
                    gettext("This Project"),
                    gettext(
                        "This project keeps its own settings; the login is shared by all projects",
                    ),
                ),
            ],
        );
        agent_group.add(&home);
        agent_group.add(&captions[AGENT]);
        page.add(&agent_group);
        if let Some(group) = &after_agent {
            page.add(group);
        }

        let image_group = adw::PreferencesGroup::builder()
            .title(gettext("Image"))
            .build();
        let base = entry(&gettext("Base Image"));
        image_group.add(&base);
        let packages = entry(&gettext("Extra Packages"));
        packages.set_tooltip_text(Some(&gettext("Package names, separated by spaces")));
        image_group.add(&packages);
        image_group.add(&captions[IMAGE]);
        page.add(&image_group);

        let resources = adw::PreferencesGroup::builder()
            .title(gettext("Resources"))
            .description(gettext(
                "What the microVM gets from this computer. Changes take effect on the next run.",
            ))
            .build();
        let cpus = spin(
            &gettext("CPUs"),
            1.0,
            f64::from(limits.cpus.max(definition.resources.cpus)),
            1.0,
        );
        resources.add(&cpus);
        let memory = spin(
            &gettext("Memory"),
            f64::from(MEMORY_MIN_MIB) / 1024.0,
            f64::from(limits.memory_mib.max(definition.resources.memory_mib)) / 1024.0,
            f64::from(MEMORY_STEP_MIB) / 1024.0,
        );
        memory.set_digits(2);
        memory.set_subtitle(&gettext("GiB"));
        resources.add(&memory);
        resources.add(&captions[RESOURCES]);
        page.add(&resources);

        let sandbox_group = adw::PreferencesGroup::builder()
            .title(gettext("Sandbox"))
            .build();
        let network = choice(
            &gettext("Network"),
            // In the order of NetworkMode::ALL.
            [
                (
                    gettext("Allowed Hosts Only"),
                    gettext(
                        "The sandbox reaches its agent's hosts and those you allow, through Paddock's gateway",
                    ),
                ),
                (
                    gettext("Offline"),
                    gettext("The sandbox has no network at all"),
                ),
                (
                    gettext("Full Access"),
                    gettext("The sandbox can reach the internet and the local network"),
                ),
            ],
        );
        sandbox_group.add(&network);
        let runtime = choice(
            &gettext("Isolation"),
            [
                (
                    gettext("microVM"),
                    gettext(
                        "Its own kernel in a virtual machine: the agent reaches only the project",
                    ),
                ),
                (
                    gettext("Container"),
                    gettext("Shares this computer’s kernel: weaker isolation"),
                ),
            ],
        );
        sandbox_group.add(&runtime);
        sandbox_group.add(&captions[SANDBOX]);
        page.add(&sandbox_group);

        let env_group = adw::PreferencesGroup::builder()
            .title(gettext("Environment Variables"))
            .description(gettext(
                "Visible to anyone who can inspect the sandbox: keep secrets in API Keys",
            ))
            .build();
        let add_env = entry(&gettext("Add Variable"));
        add_env.set_tooltip_text(Some(&gettext("NAME=value, then Enter")));
        env_group.add(&add_env);
        env_group.add(&captions[ENV]);
        page.add(&env_group);

        let mut model = DefinitionForm {
            presets,
            definition,
            agent,
            agent_ids,
            command,
            base,
            packages,
            cpus,
            memory,
            network,
            home,
            runtime,
            env_group,
            env_rows: Vec::new(),
            add_env,
            captions,
            sender: sender.clone(),
            loading: false,
        };
        model.show_definition(None);
        let applied = |field: Field| {
            let sender = sender.clone();
            move || sender.input(DefinitionFormMsg::Applied(field.clone()))
        };
        for (row, field) in [
            (&model.agent, Field::Agent),
            (&model.network, Field::Network),
            (&model.home, Field::Home),
            (&model.runtime, Field::Runtime),
        ] {
            let applied = applied(field);
            row.connect_selected_notify(move |_| applied());
        }
        for (row, field) in [
            (&model.command, Field::Command),
            (&model.base, Field::Base),
            (&model.packages, Field::Packages),
            (&model.add_env, Field::AddEnv),
        ] {
            let applied = applied(field);
            row.connect_apply(move |_| applied());
        }
        for (row, field) in [(&model.cpus, Field::Cpus), (&model.memory, Field::Memory)] {
            let applied = applied(field);
            row.connect_value_notify(move |_| applied());
        }
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, msg: DefinitionFormMsg, sender: ComponentSender<Self>) {
        match msg {
            DefinitionFormMsg::Applied(field) => {
                if self.loading {
                    return;
                }
                self.announce_amounts();
                let candidate = self.with_field(&field);
                if candidate == self.definition {
                    self.mark(None);
                    let _ = sender.output(DefinitionFormOutput::Valid(true));
                    return;
                }
                match candidate.validate(&self.presets) {
                    Ok(()) => {
                        self.mark(None);
                        let _ = sender.output(DefinitionFormOutput::Valid(true));
                        let old = std::mem::replace(&mut self.definition, candidate.clone());
                        if matches!(field, Field::AddEnv) {
                            self.add_env.set_text("");
                        }
                        if old.env != candidate.env {
                            self.show_env();
                        }
                        let _ = sender.output(DefinitionFormOutput::Edited(Box::new(candidate)));
                    }
                    Err(errors) => {
                        self.mark(Some(&errors));
                        let _ = sender.output(DefinitionFormOutput::Valid(false));
                    }
                }
            }
            DefinitionFormMsg::Show(definition) => {
                let old = std::mem::replace(&mut self.definition, *definition);
                self.mark(None);
                let _ = sender.output(DefinitionFormOutput::Valid(true));
                self.show_definition(Some(&old));
            }
        }
    }
}

impl DefinitionForm {
    /// Puts the definition into the rows; with `old`, only the rows whose
    /// value differs from it, so that text typed into another row stays.
    fn show_definition(&mut self, old: Option<&Definition>) {
        self.loading = true;
        let d = self.definition.clone();
        let changed = |of: &dyn Fn(&Definition) -> String| old.is_none_or(|old| of(old) != of(&d));
        if changed(&|d| format!("{:?}", d.agent.preset)) {
            let agent = d
                .agent
                .preset
                .as_ref()
                .and_then(|id| self.agent_ids.iter().position(|x| x == id))
                .unwrap_or(self.agent_ids.len());
            self.agent.set_selected(agent as u32);
        }
        if changed(&command_text) {
            self.command.set_text(&command_text(&d));
        }
        self.home
            .set_selected(u32::from(d.agent.home == AgentHome::Project));
        if changed(&|d| d.image.base.clone().unwrap_or_default()) {
            self.base.set_text(d.image.base.as_deref().unwrap_or(""));
        }
        if changed(&|d| d.image.packages.join(" ")) {
            self.packages.set_text(&d.image.packages.join(" "));
        }
        let cpus = f64::from(d.resources.cpus);
        if cpus > self.cpus.adjustment().upper() {
            self.cpus.adjustment().set_upper(cpus);
        }
        self.cpus.set_value(cpus);
        let memory = f64::from(d.resources.memory_mib) / 1024.0;
        if memory > self.memory.adjustment().upper() {
            self.memory.adjustment().set_upper(memory);
        }
        self.memory.set_value(memory);
        let mode = d.network_mode();
        self.network.set_selected(
            NetworkMode::ALL
                .iter()
                .position(|m| *m == mode)
                .and_then(|i| u32::try_from(i).ok())
                .unwrap_or_default(),
        );
        self.runtime
            .set_selected(u32::from(d.sandbox.runtime == Runtime::Container));
        if old.is_none_or(|old| old.env != d.env) {
            self.show_env();
        }
        self.announce_amounts();
        self.loading = false;
    }

    /// One row per variable: its value, applied with Enter, and Remove.
    fn show_env(&mut self) {
        for (_, row) in std::mem::take(&mut self.env_rows) {
            self.env_group.remove(&row);
        }
        // Rows go before the Add Variable row: the group keeps the order
        // rows were added in, so that one is added again last.
        self.env_group.remove(&self.add_env);
        for (name, value) in &self.definition.env {
            let row = adw::EntryRow::builder()
                .title(name.as_str())
                .text(value.as_str())
                .show_apply_button(true)
                .build();
            row.add_css_class("monospace");
            let remove = gtk::Button::builder()
                .icon_name("user-trash-symbolic")
                .valign(gtk::Align::Center)
                .tooltip_text(gettext("Remove"))
                .css_classes(["flat"])
                .build();
            remove.update_property(&[gtk::accessible::Property::Label(&tr(
                "Remove {name}",
                &[("name", name)],
            ))]);
            row.add_suffix(&remove);
            {
                let sender = self.sender.clone();
                let name = name.clone();
                row.connect_apply(move |_| {
                    sender.input(DefinitionFormMsg::Applied(Field::Env(name.clone())))
                });
            }
            {
                let sender = self.sender.clone();
                let name = name.clone();
                remove.connect_clicked(move |_| {
                    sender.input(DefinitionFormMsg::Applied(Field::RemoveEnv(name.clone())))
                });
            }
            self.env_group.add(&row);
            self.env_rows.push((name.clone(), row));
        }
        self.env_group.add(&self.add_env);
        // The caption stays under the rows.
        self.env_group.remove(&self.captions[ENV]);
        self.env_group.add(&self.captions[ENV]);
    }

    fn announce_amounts(&self) {
        announce_amounts(&self.cpus, &self.memory);
    }

    /// The applied definition with `field` taken from its row; unparsable
    /// text becomes a value that validation then names (e.g. `NAME` alone).
    fn with_field(&self, field: &Field) -> Definition {
        let mut d = self.definition.clone();
        match field {
            Field::Agent => {
                d.agent.preset = self.agent_ids.get(self.agent.selected() as usize).cloned();
            }
            Field::Command => {
                let command = split_words(&self.command.text());
                d.agent.command = (!command.is_empty()).then_some(command);
            }
            Field::Home => {
                d.agent.home = if self.home.selected() == 1 {
                    AgentHome::Project
                } else {
                    AgentHome::Shared
                };
            }
            Field::Base => d.image.base = Some(self.base.text().trim().to_owned()),
            Field::Packages => {
                d.image.packages = self
                    .packages
                    .text()
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect();
            }
            Field::Cpus => d.resources.cpus = self.cpus.value().round() as u32,
            Field::Memory => {
                // The row shows GiB to two places: a value it only shows
                // rounded (1000 MiB) stays as the file has it.
                let mib = mib_of(self.memory.value());
                if mib.abs_diff(d.resources.memory_mib) > 5 {
                    d.resources.memory_mib = mib;
                }
            }
            Field::Network => {
                let mode = usize::try_from(self.network.selected())
                    .ok()
                    .and_then(|i| NetworkMode::ALL.get(i).copied())
                    .unwrap_or(NetworkMode::Allowlist);
                // An unchanged mode keeps its spelling (the older
                // sandbox.network too), so that saving changes nothing else.
                if mode != d.network_mode() {
                    d.set_network_mode(mode);
                }
            }
            Field::Runtime => {
                d.sandbox.runtime = if self.runtime.selected() == 1 {
                    Runtime::Container
                } else {
                    Runtime::Krun
                };
            }
            Field::Env(name) => {
                if let Some((_, row)) = self.env_rows.iter().find(|(n, _)| n == name) {
                    d.env.insert(name.clone(), row.text().to_string());
                }
            }
            Field::RemoveEnv(name) => {
                d.env.remove(name);
            }
            Field::AddEnv => {
                let text = self.add_env.text();
                let text = text.trim();
                // An emptied row adds nothing (and so takes back its error).
                if !text.is_empty() {
                    let (name, value) = text.split_once('=').unwrap_or((text, ""));
                    d.env.insert(name.trim().to_owned(), value.to_owned());
                }
            }
        }
        d
    }

    /// Marks the rows whose keys have errors; each group's caption lists
    /// the messages about its fields.
    fn mark(&self, errors: Option<&DefinitionErrors>) {
        let rows: [(&str, &gtk::Widget, usize); 10] = [
            ("agent.command", self.command.upcast_ref(), AGENT),
            ("agent.home", self.home.upcast_ref(), AGENT),
            ("agent", self.agent.upcast_ref(), AGENT),
            ("image.base", self.base.upcast_ref(), IMAGE),
            ("image.packages", self.packages.upcast_ref(), IMAGE),
            ("resources.cpus", self.cpus.upcast_ref(), RESOURCES),
            ("resources.memory_mib", self.memory.upcast_ref(), RESOURCES),
            ("env", self.add_env.upcast_ref(), ENV),
            ("network", self.network.upcast_ref(), SANDBOX),
            ("sandbox.runtime", self.runtime.upcast_ref(), SANDBOX),
        ];
        let mut messages: [Vec<String>; 5] = Default::default();
        for (key, row, group) in rows {
            let found: Vec<String> = errors
                .map(|errors| errors.for_field(key).map(|e| e.message.clone()).collect())
                .unwrap_or_default();
            // `agent` also matches `agent.command` and `agent.home`: those
            // are rows of their own.
            let found: Vec<String> = if key == "agent" {
                errors
                    .map(|errors| {
                        errors
                            .for_field(key)
                            .filter(|e| {
                                !e.key.starts_with("agent.command")
                                    && !e.key.starts_with("agent.home")
                            })
                            .map(|e| e.message.clone())
                            .collect()
                    })
                    .unwrap_or_default()
            } else {
                found
            };
            row.set_class_active("error", !found.is_empty());
            // A group's caption names the field it is about; the variables'
            // messages name the variable themselves.
            let title = row
                .downcast_ref::<adw::PreferencesRow>()
                .map(|row| row.title())
                .filter(|_| group != ENV);
            for message in found {
                let message = match &title {
                    Some(title) => tr(
                        "{field}: {message}",
                        &[("field", title), ("message", &message)],
                    ),
                    None => message,
                };
                if !messages[group].contains(&message) {
                    messages[group].push(message);
                }
            }
        }
        if let Some(errors) = errors {
            // What no row stands for (a cache, a mount) still needs saying.
            let shown: Vec<String> = messages.iter().flatten().cloned().collect();
            for error in &errors.0 {
                if !shown.iter().any(|m| m.ends_with(&error.message)) {
                    messages[AGENT].push(error.message.clone());
                }
            }
        }
        for (caption, messages) in self.captions.iter().zip(messages) {
            caption.set_label(&messages.join("\n"));
            caption.set_visible(!messages.is_empty());
        }
    }
}

/// The agent's command as the Command row shows it.
fn command_text(d: &Definition) -> String {
    d.agent
        .command
        .as_deref()
        .map(join_words)
        .unwrap_or_default()
}

pub fn mib_of(gib: f64) -> u32 {
    (gib * 1024.0).round() as u32
}

/// What screen readers say for a CPUs and a memory (GiB) spin row: the
/// value with its unit.
pub fn announce_amounts(cpus: &adw::SpinRow, memory: &adw::SpinRow) {
    let count = cpus.value().round() as u32;
    let text =
        ngettext("{count} CPU", "{count} CPUs", count).replace("{count}", &count.to_string());
    cpus.upcast_ref::<gtk::Widget>()
        .update_property(&[gtk::accessible::Property::ValueText(&text)]);
    memory
        .upcast_ref::<gtk::Widget>()
        .update_property(&[gtk::accessible::Property::ValueText(&gib(mib_of(
            memory.value(),
        )))]);
}

/// The error text under a group, announced when it appears.
fn caption() -> gtk::Label {
    let label = gtk::Label::builder()
        .wrap(true)
        .xalign(0.0)
        .visible(false)
        .css_classes(["error", "caption"])
        .margin_top(6)
        .accessible_role(gtk::AccessibleRole::Alert)
        .build();
    label.set_selectable(true);
    label
}

fn entry(title: &str) -> adw::EntryRow {
    adw::EntryRow::builder()
        .title(title)
        .show_apply_button(true)
        .build()
}

/// A drop-down row whose chosen option is shown whole: its label is never
/// shortened to "…" (the row's title and subtitle wrap instead), which is
/// why the options are short words and the subtitle explains.
fn combo(title: &str, items: &[&str]) -> adw::ComboRow {
    let factory = gtk::SignalListItemFactory::new();
    factory.connect_setup(|_, item| {
        if let Some(item) = item.downcast_ref::<gtk::ListItem>() {
            item.set_child(Some(&gtk::Label::builder().xalign(0.0).build()));
        }
    });
    factory.connect_bind(|_, item| {
        let Some(item) = item.downcast_ref::<gtk::ListItem>() else {
            return;
        };
        let text = item
            .item()
            .and_downcast::<gtk::StringObject>()
            .map(|option| option.string());
        if let (Some(label), Some(text)) = (item.child().and_downcast::<gtk::Label>(), text) {
            label.set_text(&text);
        }
    });
    adw::ComboRow::builder()
        .title(title)
        .model(&gtk::StringList::new(items))
        .factory(&factory)
        .build()
}

/// A drop-down of short options (so that the chosen one fits beside the
/// title, in any language) whose subtitle explains the chosen one. Its
/// title and subtitle are our plain words, not markup: an apostrophe in a
/// translation shows as one.
fn choice<const N: usize>(title: &str, options: [(String, String); N]) -> adw::ComboRow {
    let labels: Vec<&str> = options.iter().map(|(label, _)| label.as_str()).collect();
    let row = combo(title, &labels);
    row.set_use_markup(false);
    let explain = move |row: &adw::ComboRow| {
        let explanation = usize::try_from(row.selected())
            .ok()
            .and_then(|i| options.get(i))
            .map_or("", |(_, explanation)| explanation.as_str());
        row.set_subtitle(explanation);
    };
    explain(&row);
    row.connect_selected_notify(explain);
    row
}

/// A spin row that the wheel does not change: scrolling over it scrolls
/// the page, as over any other row (a wheel notch is not a decision).
pub fn spin(title: &str, min: f64, max: f64, step: f64) -> adw::SpinRow {
    let row = adw::SpinRow::with_range(min, max.max(min + step), step);
    row.set_title(title);
    let wheel = gtk::EventControllerScroll::new(gtk::EventControllerScrollFlags::VERTICAL);
    wheel.set_propagation_phase(gtk::PropagationPhase::Capture);
    wheel.connect_scroll(|wheel, _dx, dy| {
        let page = wheel
            .widget()
            .and_then(|row| row.ancestor(gtk::ScrolledWindow::static_type()))
            .and_downcast::<gtk::ScrolledWindow>();
        if let Some(page) = page {
            let adjustment = page.vadjustment();
            adjustment.set_value(adjustment.value() + dy * 50.0);
        }
        glib::Propagation::Stop
    });
    row.add_controller(wheel);
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_the_host() {
        let small = Limits::new(2, 8192);
        assert_eq!((small.cpus, small.memory_mib), (2, 6144));
        let big = Limits::new(64, 65_000);
        assert_eq!(big.cpus, 16);
        assert_eq!(big.memory_mib % 256, 0);
        assert!(big.memory_mib <= 65_000 - 2048);
        assert_eq!(Limits::new(1, 1024).memory_mib, 512);
    }

    #[test]
    fn memory_reads_in_gib() {
        assert_eq!(gib(4096), "4 GiB");
        assert_eq!(gib(4608), "4.5 GiB");
        assert_eq!(gib(768), "0.75 GiB");
    }
}
