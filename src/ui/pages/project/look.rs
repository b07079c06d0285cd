//! What the window says about a project, derived from one [`State`]: the
//! sidebar's badge, the page's one banner, the header's Run button, the
//! Terminal view before a terminal is there, the Build view before a build,
//! and the title of a tab whose run ended. Nothing here is kept; the page
//! derives it again after every change, so that no two places can disagree.

use gettextrs::gettext;

use super::phase::{Outcome, Phase};
use crate::ui::status::ProjectStatus;
use sandbox::approval::Status;
use sandbox::exit::{ExitKind, code_detail, describe};
use sandbox::messages::tr;

/// Everything the window knows about a project.
pub struct State<'a> {
    pub phase: &'a Phase,
    /// Whether the image for the saved definition exists; `None` until
    /// podman has answered.
    pub built: Option<bool>,
    pub outcome: Option<Outcome>,
    /// A terminal here is attached to the running sandbox.
    pub live_terminal: bool,
    /// Why the definition waits for the user's review, if it does.
    pub review: Option<Status>,
    /// The running sandbox's gateway, its only way out, stopped.
    pub gateway_stopped: bool,
}

/// What a banner's button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Run, Reattach or Run Again: the page's one way in.
    Run,
    Review,
    /// Starts the sandbox's gateway again.
    RestartGateway,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BannerLook {
    pub title: String,
    pub button: String,
    pub action: Action,
    pub warning: bool,
}

/// An empty view: an `AdwStatusPage` and its button's label, if it has
/// one (the view knows what its button does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmptyLook {
    pub icon: &'static str,
    pub title: String,
    pub description: String,
    pub button: Option<String>,
}

impl State<'_> {
    pub fn status(&self) -> ProjectStatus {
        match self.phase {
            Phase::Stopping { .. } => ProjectStatus::Stopping,
            Phase::Starting { .. } => ProjectStatus::Starting,
            Phase::Running { .. } => ProjectStatus::Running,
            Phase::Building(_) if self.phase.is_cancelling() => ProjectStatus::Cancelling,
            Phase::Building(_) => ProjectStatus::Building,
            Phase::Idle => match self.outcome {
                Some(Outcome::BuildFailed) => ProjectStatus::BuildFailed,
                Some(Outcome::Exited(code)) => ProjectStatus::Exited(code),
                Some(Outcome::Stopped) => ProjectStatus::Stopped,
                None if self.built == Some(true) => ProjectStatus::Built,
                None => ProjectStatus::NotBuilt,
            },
        }
    }

    /// The page's one banner: a definition to review comes first (nothing
    /// builds or runs before it), then a running sandbox cut off by its
    /// stopped gateway, then one that runs with no terminal here, then how
    /// the last run ended.
    pub fn banner(&self) -> Option<BannerLook> {
        if let Some(review) = self.review {
            return Some(BannerLook {
                title: review_title(review),
                button: gettext("_Review"),
                action: Action::Review,
                warning: true,
            });
        }
        match (self.phase, self.outcome) {
            (Phase::Running { .. }, _) if self.gateway_stopped => Some(BannerLook {
                title: gettext("The sandbox has no network: its gateway stopped"),
                button: gettext("_Restart Gateway"),
                action: Action::RestartGateway,
                warning: true,
            }),
            (Phase::Running { .. }, _) if !self.live_terminal => Some(BannerLook {
                title: gettext("The sandbox is running without a terminal here"),
                button: gettext("_Reattach"),
                action: Action::Run,
                warning: false,
            }),
            (Phase::Idle, Some(Outcome::Exited(code))) => Some(BannerLook {
                title: describe(code),
                button: gettext("_Run Again"),
                action: Action::Run,
                warning: false,
            }),
            _ => None,
        }
    }

    /// The Terminal view while it has no tab.
    pub fn terminal_page(&self) -> EmptyLook {
        let icon = "utilities-terminal-symbolic";
        match self.phase {
            Phase::Starting { .. } => EmptyLook {
                icon,
                title: gettext("Starting…"),
                description: gettext("The agent’s terminal appears here once the sandbox runs"),
                button: None,
            },
            Phase::Stopping { .. } => EmptyLook {
                icon,
                title: gettext("Stopping…"),
                description: gettext("Podman is stopping the sandbox"),
                button: None,
            },
            Phase::Running { .. } => EmptyLook {
                icon,
                title: gettext("Running Without a Terminal Here"),
                description: gettext("The agent keeps working; reattach to see its terminal again"),
                button: Some(gettext("_Reattach")),
            },
            Phase::Idle | Phase::Building(_) => EmptyLook {
                icon,
                title: gettext("Not Running"),
                description: gettext("Run the sandbox to get the agent’s terminal here"),
                button: Some(gettext("_Run")),
            },
        }
    }

    /// The Build view before its first build in this window.
    pub fn build_page(&self) -> EmptyLook {
        if self.built == Some(true) {
            EmptyLook {
                icon: "object-select-symbolic",
                title: gettext("Image Up to Date"),
                description: gettext(
                    "The image matches the sandbox definition; a changed definition is built again",
                ),
                button: None,
            }
        } else {
            EmptyLook {
                icon: "package-x-generic-symbolic",
                title: gettext("Not Built Yet"),
                description: gettext(
                    "Build the sandbox image now, or press Run, which builds it first",
                ),
                button: Some(gettext("_Build")),
            }
        }
    }
}

/// A tab's title once its run ended (`stopped`: by the user), and the
/// tooltip with the detail.
pub fn ended_tab(name: &str, stopped: bool, code: i64) -> (String, String) {
    let (how, detail) = if stopped {
        (gettext("Stopped"), gettext("You stopped the sandbox"))
    } else {
        (ExitKind::of(code).label(), code_detail(code))
    };
    (
        tr("{name} ({how})", &[("name", &name), ("how", &how)]),
        detail,
    )
}

/// Why the definition waits for the user.
fn review_title(status: Status) -> String {
    match status {
        Status::NeverApproved => gettext("You have not approved this sandbox definition yet"),
        Status::Changed => gettext("The sandbox definition changed since you approved it"),
        Status::MountMoved => gettext("A folder the sandbox mounts is not the one you approved"),
    }
}

#[cfg(test)]
mod tests {
    use tokio_util::sync::CancellationToken;

    use super::*;

    fn state(phase: &Phase, outcome: Option<Outcome>, live_terminal: bool) -> State<'_> {
        State {
            phase,
            built: Some(true),
            outcome,
            live_terminal,
            review: None,
            gateway_stopped: false,
        }
    }

    #[test]
    fn a_running_sandbox_reads_as_running_everywhere() {
        let mut phase = Phase::Running { build: None };
        phase.build_began(CancellationToken::new(), false);
        // An old run's exit is history once a new run goes on.
        let look = state(&phase, Some(Outcome::Exited(3)), true);
        assert_eq!(look.status(), ProjectStatus::Running);
        assert_eq!(look.banner(), None);
        let detached = state(&phase, Some(Outcome::Exited(3)), false);
        assert_eq!(detached.banner().map(|b| b.action), Some(Action::Run));
        assert_eq!(
            detached.terminal_page().title,
            "Running Without a Terminal Here"
        );
        assert_eq!(detached.build_page().title, "Image Up to Date");
    }

    #[test]
    fn a_stop_is_neutral_and_an_exit_is_told_in_words() {
        let stopped = state(&Phase::Idle, Some(Outcome::Stopped), false);
        assert_eq!(stopped.status(), ProjectStatus::Stopped);
        assert_eq!(stopped.banner(), None, "the user knows they stopped it");
        let failed = state(&Phase::Idle, Some(Outcome::Exited(3)), false);
        assert_eq!(
            failed.banner().map(|b| b.title),
            Some("The agent ended with an error (exit code 3)".to_owned())
        );
        assert_eq!(ended_tab("web", false, 137).0, "web (Killed)");
        assert_eq!(ended_tab("web", true, 137).0, "web (Stopped)");
    }

    #[test]
    fn the_review_banner_comes_first_and_alone() {
        let phase = Phase::Running { build: None };
        let mut look = state(&phase, None, false);
        look.review = Some(Status::Changed);
        let banner = look.banner().unwrap();
        assert!(banner.warning && banner.action == Action::Review);
    }

    #[test]
    fn a_stopped_gateway_is_told_while_the_sandbox_runs() {
        let phase = Phase::Running { build: None };
        let mut look = state(&phase, None, true);
        look.gateway_stopped = true;
        let banner = look.banner().unwrap();
        assert!(banner.warning && banner.action == Action::RestartGateway);
        look.review = Some(Status::Changed);
        assert_eq!(look.banner().map(|b| b.action), Some(Action::Review));
        let ended = state(&Phase::Idle, None, false);
        assert_eq!(
            State {
                gateway_stopped: true,
                ..ended
            }
            .banner(),
            None
        );
    }

    #[test]
    fn stopping_and_cancelling_show_at_once() {
        let mut phase = Phase::Running { build: None };
        phase.stopping();
        assert_eq!(state(&phase, None, true).status(), ProjectStatus::Stopping);
        let mut phase = Phase::Idle;
        let cancel = CancellationToken::new();
        phase.build_began(cancel.clone(), false);
        cancel.cancel();
        assert_eq!(
            state(&phase, None, false).status(),
            ProjectStatus::Cancelling
        );
    }
}
