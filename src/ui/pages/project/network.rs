//! The Network view: every connection attempt the sandbox's gateway saw
//! (host, port, allowed or blocked, how often, when last), live from the
//! gateway's log stream like `paddock net log --follow`, and an Allow
//! button on a blocked host that does what `paddock net allow` does.
//!
//! The first block of each host in a run is also worth a notification
//! when the window is in the background (the app decides that); a gateway
//! that stopped while the sandbox runs is told, with a Restart.
//!
//! Every host name in the log came from the sandbox and is shown escaped.

use std::collections::{BTreeMap, HashSet};

use adw::prelude::*;
use gettextrs::{gettext, ngettext};
use gtk::glib;
use relm4::prelude::*;
use tokio_util::sync::CancellationToken;

use crate::ui::bridge;
use crate::ui::text::time_in_words;
use host::egress::{self, Decision};
use host::launch::Launcher;
use sandbox::definition::{Definition, NetworkMode};
use sandbox::messages::tr;
use sandbox::net::{self, Attempt};
use sandbox::project::Project;
use sandbox::shown::escape;

/// One host and port the sandbox tried, and its row.
struct Target {
    row: adw::ActionRow,
    /// Allowed or blocked, as an icon before the title.
    icon: gtk::Image,
    allow: gtk::Button,
    /// What its Allow button puts on the allowlist.
    entry: String,
    count: u64,
}

pub struct NetworkView {
    project: Project,
    mode: Option<NetworkMode>,
    /// Stops following the gateway's log; `Some` while it is followed.
    following: Option<CancellationToken>,
    targets: BTreeMap<(String, Option<u16>), Target>,
    /// The entries blocked so far in this run: each is told once.
    told: HashSet<String>,
    /// The gateway stopped while the sandbox runs: it has no network.
    gateway_stopped: bool,
    stack: gtk::Stack,
    empty: adw::StatusPage,
    restart: gtk::Button,
    list: gtk::ListBox,
}

#[derive(Debug)]
pub enum NetworkMsg {
    /// The sandbox started or was found running: follow its gateway.
    Running,
    /// The sandbox ended.
    Ended,
    /// The definition may have a new network mode.
    Changed,
    /// The Allow button of a blocked entry (`host` or `host:port`), or a
    /// notification's.
    Allow(String),
    /// Starts the stopped gateway again.
    RestartGateway,
}

#[derive(Debug)]
pub enum NetworkCommand {
    Attempt(Attempt),
    /// The log stream ended (the gateway stopped) or could not be read.
    LogEnded,
    /// Whether the gateway runs, asked once its log ended.
    GatewayRuns(bool),
    Restarted(Result<(), String>),
    Decided {
        entry: String,
        result: Result<bool, String>,
    },
}

#[derive(Debug)]
pub enum NetworkOutput {
    Toast(String),
    /// The sandbox was refused this entry for the first time in its run.
    Blocked(String),
    /// The gateway stopped, or runs again.
    GatewayChanged,
    Error {
        heading: String,
        body: String,
    },
}

impl Component for NetworkView {
    type Init = Project;
    type Input = NetworkMsg;
    type Output = NetworkOutput;
    type CommandOutput = NetworkCommand;
    type Root = gtk::Stack;
    type Widgets = ();

    fn init_root() -> gtk::Stack {
        gtk::Stack::builder().vexpand(true).build()
    }

    fn init(
        project: Project,
        root: gtk::Stack,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let restart = gtk::Button::builder()
            .label(gettext("_Restart Gateway"))
            .use_underline(true)
            .halign(gtk::Align::Center)
            .css_classes(["pill", "suggested-action"])
            .visible(false)
            .build();
        {
            let sender = sender.input_sender().clone();
            restart.connect_clicked(move |_| sender.emit(NetworkMsg::RestartGateway));
        }
        let empty = adw::StatusPage::builder()
            .vexpand(true)
            .icon_name("network-wired-symbolic")
            .child(&restart)
            .build();
        let list = gtk::ListBox::builder()
            .selection_mode(gtk::SelectionMode::None)
            .css_classes(["boxed-list"])
            .valign(gtk::Align::Start)
            .margin_start(12)
            .margin_end(12)
            .margin_top(6)
            .margin_bottom(12)
            .build();
        list.update_property(&[gtk::accessible::Property::Label(&gettext(
            "Connection attempts",
        ))]);
        let scroller = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .vexpand(true)
            .child(&adw::Clamp::builder().child(&list).build())
            .build();
        root.add_named(&empty, Some("empty"));
        root.add_named(&scroller, Some("list"));
        let mut model = NetworkView {
            project,
            mode: None,
            following: None,
            targets: BTreeMap::new(),
            told: HashSet::new(),
            gateway_stopped: false,
            stack: root,
            empty,
            restart,
            list,
        };
        model.read_mode();
        model.show();
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, msg: NetworkMsg, sender: ComponentSender<Self>, _root: &gtk::Stack) {
        match msg {
            NetworkMsg::Running => {
                self.read_mode();
                if self.following.is_none()
                    && !self.gateway_stopped
                    && self.mode == Some(NetworkMode::Allowlist)
                {
                    self.follow(true, &sender);
                }
            }
            NetworkMsg::Ended => {
                if let Some(following) = self.following.take() {
                    following.cancel();
                }
                self.told.clear();
                self.set_gateway_stopped(false, &sender);
            }
            NetworkMsg::RestartGateway => {
                self.restart.set_sensitive(false);
                let project = self.project.clone();
                sender.oneshot_command(async move {
                    NetworkCommand::Restarted(restart_gateway(&project).await)
                });
            }
            NetworkMsg::Changed => self.read_mode(),
            NetworkMsg::Allow(entry) => {
                for target in self.targets.values() {
                    if target.entry == entry {
                        target.allow.set_sensitive(false);
                    }
                }
                let project = self.project.clone();
                sender.oneshot_command(async move {
                    let result = decide(&project, &entry).await;
                    NetworkCommand::Decided { entry, result }
                });
            }
        }
        self.show();
    }

    fn update_cmd(
        &mut self,
        command: NetworkCommand,
        sender: ComponentSender<Self>,
        _root: &gtk::Stack,
    ) {
        match command {
            NetworkCommand::Attempt(attempt) => self.seen(&attempt, &sender),
            NetworkCommand::LogEnded => {
                self.following = None;
                let name = self.project.names().container();
                sender.oneshot_command(async move {
                    let runs = match bridge::engine().await {
                        Ok(engine) => engine.gateway_running(&name).await.unwrap_or(false),
                        Err(_) => false,
                    };
                    NetworkCommand::GatewayRuns(runs)
                });
            }
            NetworkCommand::GatewayRuns(runs) => {
                // A log that ended while the sandbox still runs: after an
                // Ended, nobody follows and nothing is told.
                if self.following.is_none() && !runs {
                    self.set_gateway_stopped(true, &sender);
                }
            }
            NetworkCommand::Restarted(result) => {
                self.restart.set_sensitive(true);
                match result {
                    Ok(()) => {
                        self.set_gateway_stopped(false, &sender);
                        // A new gateway logs afresh: what the old one saw stays.
                        self.follow(false, &sender);
                        let _ = sender.output(NetworkOutput::Toast(gettext(
                            "The gateway runs again; the sandbox has its allowed hosts back",
                        )));
                    }
                    Err(body) => {
                        let _ = sender.output(NetworkOutput::Error {
                            heading: gettext("The Gateway Did Not Start"),
                            body,
                        });
                    }
                }
            }
            NetworkCommand::Decided { entry, result } => {
                let shown = escape(&entry);
                match result {
                    Ok(reloaded) => {
                        let when = if reloaded {
                            gettext("The running sandbox follows it now.")
                        } else {
                            gettext("It applies from the sandbox's next start.")
                        };
                        let done = tr("Allowed {host}.", &[("host", &shown)]);
                        let _ = sender.output(NetworkOutput::Toast(format!("{done} {when}")));
                    }
                    Err(body) => {
                        for target in self.targets.values() {
                            target.allow.set_sensitive(true);
                        }
                        let _ = sender.output(NetworkOutput::Error {
                            heading: tr("{host} Was Not Allowed", &[("host", &shown)]),
                            body,
                        });
                    }
                }
            }
        }
        self.show();
    }
}

impl NetworkView {
    /// Whether the running sandbox is without network because its gateway
    /// stopped (the page's banner says so too).
    pub fn gateway_stopped(&self) -> bool {
        self.gateway_stopped
    }

    fn set_gateway_stopped(&mut self, stopped: bool, sender: &ComponentSender<Self>) {
        if self.gateway_stopped != stopped {
            self.gateway_stopped = stopped;
            let _ = sender.output(NetworkOutput::GatewayChanged);
        }
    }

    fn read_mode(&mut self) {
        self.mode = std::fs::read_to_string(self.project.definition_path())
            .ok()
            .and_then(|text| toml::from_str::<Definition>(&text).ok())
            .map(|definition| definition.network_mode());
    }

    /// Follows the gateway's log from its start: what it saw so far, then
    /// each attempt as it comes. `fresh`: the list starts empty, as the
    /// log tells all again.
    fn follow(&mut self, fresh: bool, sender: &ComponentSender<Self>) {
        if fresh {
            for target in std::mem::take(&mut self.targets).into_values() {
                self.list.remove(&target.row);
            }
        }
        let cancel = CancellationToken::new();
        self.following = Some(cancel.clone());
        let name = self.project.names().container();
        sender.command(move |out, _shutdown| async move {
            let follow = async {
                let engine = bridge::engine().await.ok()?;
                let mut log = engine.gateway_log(&name, true).await.ok()?;
                while let Ok(Some(attempt)) = log.next().await {
                    out.send(NetworkCommand::Attempt(attempt)).ok()?;
                }
                Some(())
            };
            tokio::select! {
                _ = follow => {}
                _ = cancel.cancelled() => return,
            }
            let _ = out.send(NetworkCommand::LogEnded);
        });
    }

    fn seen(&mut self, attempt: &Attempt, sender: &ComponentSender<Self>) {
        let Some(host) = attempt.host.clone() else {
            return;
        };
        let key = (host.clone(), attempt.port);
        let target = self.targets.entry(key).or_insert_with(|| {
            let shown = match attempt.port {
                Some(port) => format!("{}:{port}", escape(&host)),
                None => escape(&host),
            };
            let row = adw::ActionRow::builder()
                .title(&shown)
                .use_markup(false)
                .build();
            let icon = gtk::Image::new();
            row.add_prefix(&icon);
            // Host names go on the allowlist as they are; other TCP as
            // the exact host:port.
            let entry = match (attempt.kind.as_str(), attempt.port) {
                ("tcp", Some(port)) => format!("{host}:{port}"),
                _ => host.clone(),
            };
            // A plain button: allowing is the user's choice, neither the
            // view's one main action nor a destructive one.
            let allow = gtk::Button::builder()
                .label(gettext("Allow"))
                .valign(gtk::Align::Center)
                .build();
            allow.update_property(&[gtk::accessible::Property::Label(&tr(
                "Allow {host}",
                &[("host", &shown)],
            ))]);
            allow.set_tooltip_text(Some(&tr(
                "Let the sandbox reach {host} from now on",
                &[("host", &shown)],
            )));
            {
                let sender = sender.input_sender().clone();
                let entry = entry.clone();
                allow.connect_clicked(move |_| sender.emit(NetworkMsg::Allow(entry.clone())));
            }
            row.add_suffix(&allow);
            self.list.append(&row);
            Target {
                row,
                icon,
                allow,
                entry,
                count: 0,
            }
        });
        target.count += 1;
        let decision = match attempt.decision {
            net::Decision::Allowed => gettext("Allowed"),
            net::Decision::Blocked => gettext("Blocked"),
        };
        let count = u32::try_from(target.count).unwrap_or(u32::MAX);
        target.row.set_subtitle(&tr(
            &ngettext(
                "{decision} · {count} attempt · {time}",
                "{decision} · {count} attempts · {time}",
                count,
            ),
            &[
                ("decision", &decision),
                ("count", &target.count.to_string()),
                ("time", &when(&attempt.time)),
            ],
        ));
        let blocked = attempt.decision == net::Decision::Blocked;
        target.allow.set_visible(blocked);
        target.allow.set_sensitive(true);
        let (icon, class, label) = if blocked {
            ("action-unavailable-symbolic", "error", gettext("Blocked"))
        } else {
            ("object-select-symbolic", "success", gettext("Allowed"))
        };
        target.icon.set_icon_name(Some(icon));
        target.icon.set_css_classes(&[class]);
        target.icon.set_tooltip_text(Some(&label));
        if blocked && self.told.insert(target.entry.clone()) {
            let _ = sender.output(NetworkOutput::Blocked(target.entry.clone()));
        }
    }

    /// The list, or a status page that says why there is none.
    fn show(&self) {
        self.restart.set_visible(self.gateway_stopped);
        let (title, description) = match self.mode {
            Some(NetworkMode::Allowlist) if self.gateway_stopped => (
                gettext("No Network: The Gateway Stopped"),
                gettext(
                    "The gateway is the sandbox's only way out, so the sandbox now reaches nothing at all. Restart the gateway to give it its allowed hosts back; the sandbox keeps running meanwhile.",
                ),
            ),
            Some(NetworkMode::Allowlist) if !self.targets.is_empty() => {
                self.stack.set_visible_child_name("list");
                return;
            }
            Some(NetworkMode::Allowlist) => (
                gettext("No Connection Attempts Yet"),
                gettext(
                    "What the running sandbox tries to reach appears here as it happens, allowed and blocked.",
                ),
            ),
            Some(NetworkMode::Offline) => (
                gettext("The Sandbox Is Offline"),
                gettext(
                    "It has no network at all. To let it reach chosen hosts, set Network to Allowed Hosts Only in the Sandbox view.",
                ),
            ),
            Some(NetworkMode::Full) => (
                gettext("Nothing Is Filtered"),
                gettext(
                    "The sandbox has the whole network, so its attempts are neither checked nor logged. Set Network to Allowed Hosts Only in the Sandbox view to see and decide them.",
                ),
            ),
            None => (
                gettext("No Sandbox Definition"),
                gettext(
                    "Set up the sandbox first; its network attempts appear here while it runs.",
                ),
            ),
        };
        self.empty.set_title(&title);
        self.empty.set_description(Some(&description));
        self.stack.set_visible_child_name("empty");
    }
}

/// `paddock net allow`, for the window: whether the running gateway
/// follows it already.
async fn decide(project: &Project, entry: &str) -> Result<bool, String> {
    let launcher = Launcher::for_user().map_err(|err| err.to_string())?;
    let engine = bridge::engine().await.map_err(|err| err.to_string())?;
    egress::decide(&launcher, &engine, project, entry, Decision::Allow)
        .await
        .map(|decided| decided.reloaded)
        .map_err(|err| err.to_string())
}

/// Starts the project's stopped gateway again.
async fn restart_gateway(project: &Project) -> Result<(), String> {
    let launcher = Launcher::for_user().map_err(|err| err.to_string())?;
    let engine = bridge::engine().await.map_err(|err| err.to_string())?;
    egress::restart_gateway(&launcher, &engine, project)
        .await
        .map_err(|err| err.to_string())
}

/// A gateway's RFC 3339 time in the user's time zone and in words: the
/// time of day today, "Yesterday", a weekday within the week, a date
/// before. Anything else is shown as it came, escaped.
fn when(time: &str) -> String {
    match glib::DateTime::now_local() {
        Ok(now) => when_seen_at(time, &now),
        Err(_) => escape(time),
    }
}

/// [`when`], as seen at `now` (a local time).
fn when_seen_at(time: &str, now: &glib::DateTime) -> String {
    glib::DateTime::from_iso8601(time, None)
        .and_then(|t| t.to_local())
        .ok()
        .and_then(|local| time_in_words(&local, now))
        .unwrap_or_else(|| escape(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `now` moved by `days`, in UTC as the gateway writes a time.
    fn gateway_time(now: &glib::DateTime, days: i32) -> String {
        let t = now.add_days(days).unwrap().to_utc().unwrap();
        t.format("%Y-%m-%dT%H:%M:%SZ").unwrap().into()
    }

    #[test]
    fn times_are_local_and_in_words() {
        let now = glib::DateTime::from_local(2026, 12, 3, 14, 3, 0.0).unwrap();
        assert_eq!(when_seen_at(&gateway_time(&now, 0), &now), "14:03");
        assert_eq!(when_seen_at(&gateway_time(&now, -1), &now), "Yesterday");
        let weekday = now.add_days(-3).unwrap().format("%A").unwrap();
        assert_eq!(
            when_seen_at(&gateway_time(&now, -3), &now),
            weekday.as_str()
        );
        assert!(when_seen_at(&gateway_time(&now, -30), &now).ends_with("2026"));
        // Not a time: shown as it came, escaped.
        assert_eq!(when_seen_at("soon\u{1b}[2J", &now), "soon\\x1b[2J");
    }
}
