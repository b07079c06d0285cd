//! The Network view: every connection attempt the sandbox's gateway saw
//! (host, port, allowed or blocked, how often, when last), live from the
//! gateway's log stream like `paddock net log --follow`, and an Allow
//! button on a blocked host that does what `paddock net allow` does.
//!
//! Every host name in the log came from the sandbox and is shown escaped.

use std::collections::BTreeMap;

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;
use tokio_util::sync::CancellationToken;

use crate::ui::bridge;
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
    stack: gtk::Stack,
    empty: adw::StatusPage,
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
    /// The Allow button of a blocked entry (`host` or `host:port`).
    Allow(String),
}

#[derive(Debug)]
pub enum NetworkCommand {
    Attempt(Attempt),
    /// The log stream ended (the gateway stopped) or could not be read.
    LogEnded,
    Decided {
        entry: String,
        result: Result<bool, String>,
    },
}

#[derive(Debug)]
pub enum NetworkOutput {
    Toast(String),
    Error { heading: String, body: String },
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
        _sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let empty = adw::StatusPage::builder()
            .vexpand(true)
            .icon_name("network-wired-symbolic")
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
            stack: root,
            empty,
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
                if self.following.is_none() && self.mode == Some(NetworkMode::Allowlist) {
                    self.follow(&sender);
                }
            }
            NetworkMsg::Ended => {
                if let Some(following) = self.following.take() {
                    following.cancel();
                }
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
            NetworkCommand::LogEnded => self.following = None,
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
    fn read_mode(&mut self) {
        self.mode = std::fs::read_to_string(self.project.definition_path())
            .ok()
            .and_then(|text| toml::from_str::<Definition>(&text).ok())
            .map(|definition| definition.network_mode());
    }

    /// Follows the gateway's log from its start: what it saw so far, then
    /// each attempt as it comes.
    fn follow(&mut self, sender: &ComponentSender<Self>) {
        for target in std::mem::take(&mut self.targets).into_values() {
            self.list.remove(&target.row);
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
            // Host names go on the allowlist as they are; other TCP as
            // the exact host:port.
            let entry = match (attempt.kind.as_str(), attempt.port) {
                ("tcp", Some(port)) => format!("{host}:{port}"),
                _ => host.clone(),
            };
            let allow = gtk::Button::builder()
                .label(gettext("Allow"))
                .valign(gtk::Align::Center)
                .css_classes(["suggested-action"])
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
        target.row.set_subtitle(&tr(
            "{decision} · {count} attempts · last {time}",
            &[
                ("decision", &decision),
                ("count", &target.count.to_string()),
                ("time", &escape(&attempt.time)),
            ],
        ));
        let blocked = attempt.decision == net::Decision::Blocked;
        target.allow.set_visible(blocked);
        target.allow.set_sensitive(true);
        target.row.set_class_active("error", blocked);
    }

    /// The list, or a status page that says why there is none.
    fn show(&self) {
        let (title, description) = match self.mode {
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
