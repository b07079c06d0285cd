//! What the project's header says: the isolation its sandbox reported
//! about itself, and the Run button that becomes Stop while it runs.

use gettextrs::gettext;

use super::phase::Phase;
use sandbox::definition::NetworkMode;
use sandbox::guest::{NotAReport, Verdict};
use sandbox::messages::tr;

/// The isolation verdict as the header's badge shows it, and what its
/// popover says about it in plain words.
#[derive(Debug)]
pub struct VerdictLook {
    pub text: String,
    /// The style class: success, warning or error.
    pub class: &'static str,
    pub icon: &'static str,
    /// The verdict in full, for the tooltip.
    pub detail: String,
    /// What screen readers say for the badge.
    pub accessible: String,
    /// The popover's heading and what it means for this project.
    pub heading: String,
    pub explanation: String,
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
        let (heading, explanation) = match verdict {
            Ok(Verdict::MicroVm) => (
                gettext("Runs in a microVM"),
                gettext(
                    "The agent runs in a small virtual machine with its own kernel. It can change this project’s folder and nothing else on this computer: not your home folder, your other projects or your passwords. Paddock checked this when the sandbox started: its kernel is not this computer’s.",
                ),
            ),
            Ok(Verdict::Container) => (
                gettext("Runs in a Container Only"),
                gettext(
                    "This project’s settings ask for a container instead of a microVM. The agent still sees only this project’s folder, but it shares this computer’s kernel: a flaw in the kernel or in podman could let it reach the rest of this computer. Choose microVM under Isolation in the Sandbox view for the stronger wall.",
                ),
            ),
            Ok(Verdict::NotIsolated { .. }) => (
                gettext("Not Isolated"),
                gettext(
                    "This project asks for a microVM, but the sandbox started on this computer’s own kernel, so it was a plain container. Paddock stopped it before the agent started.",
                ),
            ),
            Ok(Verdict::Unconfirmed { .. }) => (
                gettext("Not Confirmed as a microVM"),
                gettext(
                    "The sandbox says it runs in a microVM, but this computer sees no virtual machine behind it, so Paddock treats it as a plain container that shares this computer’s kernel.",
                ),
            ),
            Err(NotAReport::VmFailed { .. }) => (
                gettext("The microVM Did Not Start"),
                gettext(
                    "The virtual machine for this project failed while starting, so the agent did not run.",
                ),
            ),
            Err(NotAReport::Other { .. }) => (
                gettext("Isolation Not Verified"),
                gettext(
                    "The sandbox ended before it could report how it is isolated, so Paddock cannot tell whether it was a microVM.",
                ),
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
            accessible: tr("Isolation: {verdict}", &[("verdict", &text)]),
            text,
            class,
            icon,
            detail,
            heading,
            explanation,
        }
    }

    /// The verdict's own words below the explanation, when they add to the
    /// badge (what failed, what to install).
    pub fn extra_detail(&self) -> Option<&str> {
        (self.detail != self.text).then_some(self.detail.as_str())
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

/// Why Build and Run are insensitive while the definition is not valid.
pub fn fix_first() -> String {
    gettext("Fix the errors in the sandbox settings first")
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
