//! What the project's header says: the isolation its sandbox reported
//! about itself, and the Run button that becomes Stop while it runs.

use gettextrs::gettext;

use super::phase::Phase;
use sandbox::definition::NetworkMode;
use sandbox::guest::{NotAReport, Verdict};
use sandbox::messages::tr;

/// The isolation verdict as the header shows it.
#[derive(Debug)]
pub struct VerdictLook {
    pub text: String,
    /// The style class: success, warning or error.
    pub class: &'static str,
    pub icon: &'static str,
    /// The verdict in full, for the tooltip.
    pub detail: String,
}

impl VerdictLook {
    /// `network`: the definition's network mode, shown next to the
    /// isolation (when the definition can be read).
    pub fn of(verdict: &Result<Verdict, NotAReport>, network: Option<NetworkMode>) -> VerdictLook {
        let (text, class, icon) = match verdict {
            Ok(Verdict::MicroVm) => (gettext("microVM"), "success", "security-high-symbolic"),
            Ok(Verdict::Container) => (
                gettext("container only"),
                "warning",
                "security-medium-symbolic",
            ),
            Ok(Verdict::NotIsolated { .. }) => {
                (gettext("not isolated"), "error", "security-low-symbolic")
            }
            // It claimed a VM that the host cannot see: a container at best.
            Ok(Verdict::Unconfirmed { .. }) => {
                (gettext("container"), "error", "security-low-symbolic")
            }
            Err(NotAReport::VmFailed { .. }) => (
                gettext("microVM did not start"),
                "error",
                "dialog-error-symbolic",
            ),
            Err(NotAReport::Other { .. }) => (
                gettext("isolation unverified"),
                "warning",
                "dialog-warning-symbolic",
            ),
        };
        let mut detail = match verdict {
            Ok(verdict) => verdict.to_string(),
            Err(error) => error.to_string(),
        };
        let text = match network {
            Some(mode) => {
                detail = tr(
                    "{detail}\nNetwork: {mode}",
                    &[("detail", &detail), ("mode", &mode.label())],
                );
                tr(
                    "{isolation} · {network}",
                    &[("isolation", &text), ("network", &mode.label())],
                )
            }
            None => text,
        };
        VerdictLook {
            text,
            class,
            icon,
            detail,
        }
    }
}

/// A header button's label, icon and what its tooltip and accessible label
/// say.
pub struct ButtonLook {
    pub label: String,
    pub icon: &'static str,
    pub tooltip: String,
    pub accessible: String,
}

pub fn build_button() -> ButtonLook {
    ButtonLook {
        label: gettext("_Build"),
        icon: "package-x-generic-symbolic",
        tooltip: gettext("Build the sandbox image (Ctrl+Shift+B)"),
        accessible: gettext("Build the sandbox image"),
    }
}

/// Run, Stop while the sandbox runs, "Stopping…" until it has ended.
pub fn run_button(phase: &Phase) -> ButtonLook {
    match phase {
        Phase::Stopping { .. } => ButtonLook {
            label: gettext("Stopping…"),
            icon: "media-playback-stop-symbolic",
            tooltip: gettext("Podman is stopping the sandbox"),
            accessible: gettext("Stopping the sandbox"),
        },
        phase if phase.is_running() => ButtonLook {
            label: gettext("_Stop"),
            icon: "media-playback-stop-symbolic",
            tooltip: gettext("Stop the sandbox (Ctrl+Shift+S)"),
            accessible: gettext("Stop the sandbox"),
        },
        _ => ButtonLook {
            label: gettext("_Run"),
            icon: "media-playback-start-symbolic",
            tooltip: gettext("Run the agent in its sandbox (Ctrl+Shift+R)"),
            accessible: gettext("Run the agent in its sandbox"),
        },
    }
}
