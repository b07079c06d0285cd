//! The sandbox definition as preference rows. Every change is validated with
//! the sandbox layer (the same messages as the CLI) and, when valid, handed
//! to the project page, which writes `.agent-sandbox/paddock.toml`. Invalid
//! input stays in the form, marked, and is never handed on.

use std::collections::BTreeMap;

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use crate::ui::text::{join_words, split_words};
use sandbox::definition::{AgentHome, Definition, DefinitionErrors, Network, Runtime};
use sandbox::messages::tr;
use sandbox::presets::{Preset, Presets};

/// Memory left to the host when sizing the memory slider.
const MEMORY_RESERVE_MIB: u32 = 2048;
const MEMORY_MIN_MIB: u32 = 512;
const MEMORY_STEP_MIB: u32 = 256;
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
    /// The last valid definition the form showed.
    definition: Definition,
    agent: adw::ComboRow,
    agent_ids: Vec<String>,
    command: adw::EntryRow,
    base: adw::EntryRow,
    packages: adw::EntryRow,
    cpus: gtk::Scale,
    cpus_label: gtk::Label,
    memory: gtk::Scale,
    memory_label: gtk::Label,
    network: adw::ComboRow,
    home: adw::ComboRow,
    runtime: adw::ComboRow,
    env: adw::EntryRow,
    problems: gtk::Label,
    /// Set while the form itself writes values into the rows.
    loading: bool,
}

#[derive(Debug)]
pub enum DefinitionFormMsg {
    /// Any row changed: read the form, validate, hand it on.
    Edited,
}

#[derive(Debug)]
pub enum DefinitionFormOutput {
    /// The user made this valid definition.
    Edited(Definition),
}

pub struct DefinitionFormInit {
    pub presets: Presets,
    pub definition: Definition,
    pub limits: Limits,
    /// Shown right after the agent's group (the project page's API keys).
    pub after_agent: Option<adw::PreferencesGroup>,
}

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
        let edited = {
            let sender = sender.clone();
            move || sender.input(DefinitionFormMsg::Edited)
        };

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
        let command = adw::EntryRow::builder()
            .title(gettext("Command (empty: the agent’s own)"))
            .build();
        agent_group.add(&command);
        let home = choice(
            &gettext("Agent Login"),
            [
                (
                    gettext("Shared"),
                    gettext("The agent’s login and settings are shared by all projects"),
                ),
                (
                    gettext("This Project"),
                    gettext("The agent keeps a login and settings for this project alone"),
                ),
            ],
        );
        agent_group.add(&home);
        page.add(&agent_group);
        if let Some(group) = &after_agent {
            page.add(group);
        }

        let image_group = adw::PreferencesGroup::builder()
            .title(gettext("Image"))
            .build();
        let base = adw::EntryRow::builder()
            .title(gettext("Base Image"))
            .build();
        image_group.add(&base);
        let packages = adw::EntryRow::builder()
            .title(gettext("Extra Packages (separated by spaces)"))
            .build();
        image_group.add(&packages);
        page.add(&image_group);

        let resources = adw::PreferencesGroup::builder()
            .title(gettext("Resources"))
            .description(gettext("What the microVM gets from this computer"))
            .build();
        let (cpus_row, cpus, cpus_label) = slider(
            &gettext("CPUs"),
            1.0,
            f64::from(limits.cpus.max(definition.resources.cpus)),
            1.0,
        );
        resources.add(&cpus_row);
        let (memory_row, memory, memory_label) = slider(
            &gettext("Memory"),
            f64::from(MEMORY_MIN_MIB),
            f64::from(limits.memory_mib.max(definition.resources.memory_mib)),
            f64::from(MEMORY_STEP_MIB),
        );
        resources.add(&memory_row);
        page.add(&resources);

        let sandbox_group = adw::PreferencesGroup::builder()
            .title(gettext("Sandbox"))
            .build();
        let network = choice(
            &gettext("Network"),
            [
                (
                    gettext("Full Access"),
                    gettext("The sandbox can reach the internet and the local network"),
                ),
                (
                    gettext("Offline"),
                    gettext("The sandbox has no network at all"),
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
        let env = adw::EntryRow::builder()
            .title(gettext(
                "Environment (NAME=value, separated by spaces; no secrets)",
            ))
            .build();
        sandbox_group.add(&env);
        let problems = gtk::Label::builder()
            .wrap(true)
            .xalign(0.0)
            .visible(false)
            .css_classes(["error"])
            .margin_top(12)
            .build();
        sandbox_group.add(&problems);
        page.add(&sandbox_group);

        let mut model = DefinitionForm {
            presets,
            definition,
            agent,
            agent_ids,
            command,
            base,
            packages,
            cpus,
            cpus_label,
            memory,
            memory_label,
            network,
            home,
            runtime,
            env,
            problems,
            loading: false,
        };
        model.show_definition();
        for row in [&model.agent, &model.network, &model.home, &model.runtime] {
            let edited = edited.clone();
            row.connect_selected_notify(move |_| edited());
        }
        for row in [&model.command, &model.base, &model.packages, &model.env] {
            let edited = edited.clone();
            row.connect_changed(move |_| edited());
        }
        for scale in [&model.cpus, &model.memory] {
            let edited = edited.clone();
            scale.connect_value_changed(move |_| edited());
        }
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, msg: DefinitionFormMsg, sender: ComponentSender<Self>) {
        match msg {
            DefinitionFormMsg::Edited => {
                if self.loading {
                    return;
                }
                self.show_amounts();
                let candidate = self.read_form();
                if candidate == self.definition {
                    return;
                }
                match candidate.validate(&self.presets) {
                    Ok(()) => {
                        self.mark(None);
                        self.definition = candidate.clone();
                        let _ = sender.output(DefinitionFormOutput::Edited(candidate));
                    }
                    Err(errors) => self.mark(Some(&errors)),
                }
            }
        }
    }
}

impl DefinitionForm {
    fn show_definition(&mut self) {
        self.loading = true;
        let d = &self.definition;
        let agent = d
            .agent
            .preset
            .as_ref()
            .and_then(|id| self.agent_ids.iter().position(|x| x == id))
            .unwrap_or(self.agent_ids.len());
        self.agent.set_selected(agent as u32);
        self.command.set_text(
            &d.agent
                .command
                .as_deref()
                .map(join_words)
                .unwrap_or_default(),
        );
        self.home
            .set_selected(u32::from(d.agent.home == AgentHome::Project));
        self.base.set_text(d.image.base.as_deref().unwrap_or(""));
        self.packages.set_text(&d.image.packages.join(" "));
        self.cpus.set_value(f64::from(d.resources.cpus));
        self.memory.set_value(f64::from(d.resources.memory_mib));
        self.network
            .set_selected(u32::from(d.sandbox.network == Network::Offline));
        self.runtime
            .set_selected(u32::from(d.sandbox.runtime == Runtime::Container));
        let env: Vec<String> = d.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        self.env.set_text(&env.join(" "));
        self.show_amounts();
        self.loading = false;
    }

    fn show_amounts(&self) {
        self.cpus_label
            .set_label(&format!("{}", self.cpus.value().round()));
        self.memory_label
            .set_label(&gib(self.memory.value().round() as u32));
    }

    /// The definition as the form shows it; unparsable text becomes a value
    /// that validation then names (e.g. an env entry without `=`).
    fn read_form(&self) -> Definition {
        let mut d = self.definition.clone();
        d.agent.preset = self.agent_ids.get(self.agent.selected() as usize).cloned();
        let command = split_words(&self.command.text());
        d.agent.command = (!command.is_empty()).then_some(command);
        d.agent.home = if self.home.selected() == 1 {
            AgentHome::Project
        } else {
            AgentHome::Shared
        };
        let base = self.base.text().trim().to_owned();
        d.image.base = Some(base);
        d.image.packages = self
            .packages
            .text()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        d.resources.cpus = self.cpus.value().round() as u32;
        d.resources.memory_mib = self.memory.value().round() as u32;
        d.sandbox.network = if self.network.selected() == 1 {
            Network::Offline
        } else {
            Network::Full
        };
        d.sandbox.runtime = if self.runtime.selected() == 1 {
            Runtime::Container
        } else {
            Runtime::Krun
        };
        d.env = parse_env(&self.env.text());
        d
    }

    /// Marks the rows whose keys have errors and lists every message.
    fn mark(&self, errors: Option<&DefinitionErrors>) {
        let rows: [(&str, &gtk::Widget); 8] = [
            ("agent.command", self.command.upcast_ref()),
            ("agent", self.agent.upcast_ref()),
            ("image.base", self.base.upcast_ref()),
            ("image.packages", self.packages.upcast_ref()),
            ("resources.cpus", self.cpus.upcast_ref()),
            ("resources.memory_mib", self.memory.upcast_ref()),
            ("sandbox", self.runtime.upcast_ref()),
            ("env", self.env.upcast_ref()),
        ];
        for (key, row) in rows {
            let message = errors
                .and_then(|errors| errors.for_field(key).next())
                .map(|e| e.message.clone());
            match message {
                Some(message) => {
                    row.add_css_class("error");
                    row.set_tooltip_text(Some(&message));
                }
                None => {
                    row.remove_css_class("error");
                    row.set_tooltip_text(None);
                }
            }
        }
        match errors {
            Some(errors) => {
                self.problems
                    .set_label(&tr("Not saved:\n{errors}", &[("errors", errors)]));
                self.problems.set_visible(true);
            }
            None => self.problems.set_visible(false),
        }
    }
}

/// `A=1 B=two` -> {A: 1, B: two}; a bare `NAME` is an empty value.
fn parse_env(text: &str) -> BTreeMap<String, String> {
    text.split_whitespace()
        .map(|entry| match entry.split_once('=') {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => (entry.to_owned(), String::new()),
        })
        .collect()
}

fn combo(title: &str, items: &[&str]) -> adw::ComboRow {
    adw::ComboRow::builder()
        .title(title)
        .model(&gtk::StringList::new(items))
        .build()
}

/// A drop-down of short options (so that the chosen one fits beside the
/// title, in any language) whose subtitle explains the chosen one.
fn choice<const N: usize>(title: &str, options: [(String, String); N]) -> adw::ComboRow {
    let labels: Vec<&str> = options.iter().map(|(label, _)| label.as_str()).collect();
    let row = combo(title, &labels);
    let explain = move |row: &adw::ComboRow| {
        let explanation = usize::try_from(row.selected())
            .ok()
            .and_then(|i| options.get(i))
            .map_or("", |(_, explanation)| explanation.as_str());
        row.set_subtitle(&crate::ui::text::escape_markup(explanation));
    };
    explain(&row);
    row.connect_selected_notify(explain);
    row
}

/// A row with a slider and the value it stands for.
fn slider(title: &str, min: f64, max: f64, step: f64) -> (adw::ActionRow, gtk::Scale, gtk::Label) {
    let scale =
        gtk::Scale::with_range(gtk::Orientation::Horizontal, min, max.max(min + step), step);
    scale.set_hexpand(true);
    scale.set_valign(gtk::Align::Center);
    scale.set_width_request(140);
    scale.set_round_digits(0);
    scale.update_property(&[gtk::accessible::Property::Label(title)]);
    let value = gtk::Label::builder()
        .width_chars(7)
        .xalign(1.0)
        .css_classes(["numeric"])
        .build();
    let row = adw::ActionRow::builder().title(title).build();
    row.add_suffix(&scale);
    row.add_suffix(&value);
    (row, scale, value)
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

    #[test]
    fn a_bare_name_is_an_empty_value() {
        let env = parse_env("A=1  B=x=y C");
        assert_eq!(env.get("A").map(String::as_str), Some("1"));
        assert_eq!(env.get("B").map(String::as_str), Some("x=y"));
        assert_eq!(env.get("C").map(String::as_str), Some(""));
    }
}
