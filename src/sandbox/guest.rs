//! What the sandbox reports about itself: the entrypoint's first line (see
//! the contract in [`crate::render`]) and the verdict drawn from it.
//! Isolation is checked, not assumed: the engine draws the verdict from what
//! the host sees (`engine::isolation`), never from this line alone.

use std::fmt;

use crate::messages::tr;
use crate::plan::Isolation;

/// The entrypoint's exit status when a requested microVM is not one (or the
/// host kernel was not passed in, so it cannot tell): the agent never started.
pub const EXIT_NOT_ISOLATED: i32 = 77;
/// The entrypoint's exit status when it cannot become the agent user.
pub const EXIT_SETUP_FAILED: i32 = 78;

const PREFIX: &str = "paddock-sandbox ";

/// The entrypoint's first line, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestReport {
    pub guest_kernel: String,
    /// The uid the agent runs as.
    pub uid: u32,
    pub isolation: Isolation,
}

/// Why a sandbox's first output was not its report. Paddock goes no
/// further with such a sandbox: the engine stops it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAReport {
    /// libkrun's VMM logged an error before the guest said anything: the
    /// microVM did not start. `message` is the VMM's, without escape
    /// sequences.
    #[error("{}", tr("The microVM could not start: {message}. Check that you may open /dev/kvm (ls -l /dev/kvm; usually by being in the kvm group), that nested virtualization is turned on when this computer is itself a virtual machine, and that libkrun and libkrunfw are up to date (rpm -q libkrun libkrunfw); then run again", &[("message", message)]))]
    VmFailed { message: String },
    /// Anything else (shown escaped): an image that skipped the entrypoint,
    /// or a runtime that printed something first.
    #[error("{}", tr("the sandbox did not report itself (expected a \"paddock-sandbox ...\" line, got \"{line}\"), so Paddock stopped it; an image must start with Paddock's entrypoint", &[("line", &crate::shown::escape(line))]))]
    Other { line: String },
}

impl NotAReport {
    /// From what the sandbox printed before a report was complete: its
    /// first line on stdout (the terminal, with one) and, without a
    /// terminal, what it wrote on stderr meanwhile.
    pub fn from_output(line: &str, stderr: &str) -> NotAReport {
        match line.lines().chain(stderr.lines()).find_map(vmm_error) {
            Some(message) => NotAReport::VmFailed { message },
            None => NotAReport::Other {
                line: line.to_owned(),
            },
        }
    }
}

/// The message of one of libkrun's own error lines, which its logger
/// prints as `[<time> ERROR <module>] <message>` (coloured, on a terminal)
/// with the module one of libkrun's crates (`krun_vmm::linux::vstate`,
/// `devices::virtio::...`).
fn vmm_error(line: &str) -> Option<String> {
    let plain = without_escapes(line);
    let (header, message) = plain.trim().strip_prefix('[')?.split_once("] ")?;
    let mut fields = header.split_whitespace();
    let (_time, level, module) = (fields.next()?, fields.next()?, fields.next()?);
    let krate = module.split("::").next()?;
    let libkrun = krate.starts_with("krun")
        || krate.starts_with("libkrun")
        || krate == "vmm"
        || krate == "devices";
    (level == "ERROR" && libkrun && fields.next().is_none())
        .then(|| crate::shown::escape(message.trim()))
}

/// `text` without terminal escape sequences (CSI such as colours, OSC and
/// two-byte ones); any other hidden character is left for
/// [`crate::shown::escape`].
fn without_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                // Parameters and intermediates up to the final byte.
                for c in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                // Up to BEL or ST (ESC \\).
                while let Some(c) = chars.next() {
                    if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// How isolated a running sandbox really is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Its own kernel: a microVM.
    MicroVm,
    /// A plain container, as the definition asked.
    Container,
    /// A microVM was asked for but the guest runs the host's kernel: the
    /// runtime ignored the krun annotation. The entrypoint refused to start
    /// the agent.
    NotIsolated { kernel: String },
    /// A microVM was asked for and the sandbox claims a kernel of its own,
    /// but the host sees no VM: at best a plain container.
    Unconfirmed { kernel: String, why: NoVmSeen },
}

/// Why the host could not confirm a microVM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoVmSeen {
    /// podman's runtime does not report `+LIBKRUN`.
    RuntimeWithoutLibkrun,
    /// The sandbox's main process holds no KVM virtual machine.
    NoKvmVm,
    /// The sandbox's main process is not visible to Paddock (it ended, or
    /// Paddock runs in another PID namespace, as inside Flatpak).
    ProcessNotVisible,
}

impl fmt::Display for NoVmSeen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&match self {
            NoVmSeen::RuntimeWithoutLibkrun => {
                gettextrs::gettext("podman's crun does not report +LIBKRUN")
            }
            NoVmSeen::NoKvmVm => gettextrs::gettext(
                "the sandbox's main process is not a virtual machine monitor holding KVM vCPUs",
            ),
            NoVmSeen::ProcessNotVisible => {
                gettextrs::gettext("the sandbox's main process is not visible to Paddock")
            }
        })
    }
}

impl GuestReport {
    /// Parses the first line the entrypoint prints (a trailing `\r` from a
    /// terminal is ignored).
    pub fn parse(line: &str) -> Result<GuestReport, NotAReport> {
        let not = || NotAReport::Other {
            line: line.to_owned(),
        };
        let rest = line
            .trim_end_matches(['\r', '\n'])
            .strip_prefix(PREFIX)
            .ok_or_else(not)?;
        let (mut kernel, mut uid, mut isolation) = (None, None, None);
        for field in rest.split(' ') {
            let (key, value) = field.split_once('=').ok_or_else(not)?;
            match key {
                "guest-kernel" if !value.is_empty() => kernel = Some(value.to_owned()),
                "uid" => uid = Some(value.parse::<u32>().map_err(|_| not())?),
                "isolation" => {
                    isolation = Some(match value {
                        "microvm" => Isolation::MicroVm,
                        "container" => Isolation::Container,
                        _ => return Err(not()),
                    })
                }
                _ => return Err(not()),
            }
        }
        match (kernel, uid, isolation) {
            (Some(guest_kernel), Some(uid), Some(isolation)) => Ok(GuestReport {
                guest_kernel,
                uid,
                isolation,
            }),
            _ => Err(not()),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Verdict::MicroVm => gettextrs::gettext("microVM"),
            Verdict::Container => gettextrs::gettext("container only"),
            Verdict::NotIsolated { kernel } => tr(
                "not isolated: the sandbox ran on the host's kernel ({kernel}), so the agent was not started; install crun with libkrun (dnf install crun-krun)",
                &[("kernel", kernel)],
            ),
            Verdict::Unconfirmed { kernel, why } => tr(
                "container: the sandbox claims a kernel of its own ({kernel}), but the host sees no microVM ({why}); treat it as a plain container and run `paddock doctor --selftest`",
                &[("kernel", kernel), ("why", &why.to_string())],
            ),
        };
        f.write_str(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_first_line() {
        let report = GuestReport::parse(
            "paddock-sandbox guest-kernel=6.12.5-krun uid=1000 isolation=microvm\r\n",
        )
        .unwrap();
        assert_eq!(
            report,
            GuestReport {
                guest_kernel: "6.12.5-krun".into(),
                uid: 1000,
                isolation: Isolation::MicroVm
            }
        );
    }

    #[test]
    fn rejects_anything_else() {
        for line in [
            "",
            "hello",
            "paddock-sandbox guest-kernel= uid=1000 isolation=microvm",
            "paddock-sandbox guest-kernel=6.1 uid=x isolation=microvm",
            "paddock-sandbox guest-kernel=6.1 uid=1000 isolation=vm",
            "paddock-sandbox guest-kernel=6.1 uid=1000",
            "paddock-sandbox guest-kernel=6.1 uid=1000 isolation=microvm extra=1",
        ] {
            assert!(GuestReport::parse(line).is_err(), "{line:?}");
        }
    }

    /// libkrun's logger on a terminal, as measured on a nested KVM host.
    const VMM_FAILURE: &str = "\u{1b}[90m[\u{1b}[0m2026-12-01T10:00:00Z \u{1b}[31mERROR\u{1b}[0m krun_vmm::linux::vstate\u{1b}[90m]\u{1b}[0m Received KVM_EXIT_INTERNAL_ERROR signal\r";

    #[test]
    fn the_vmms_own_error_says_the_microvm_could_not_start() {
        let not = NotAReport::from_output(VMM_FAILURE, "");
        assert_eq!(
            not,
            NotAReport::VmFailed {
                message: "Received KVM_EXIT_INTERNAL_ERROR signal".into()
            }
        );
        let text = not.to_string();
        assert!(
            text.starts_with(
                "The microVM could not start: Received KVM_EXIT_INTERNAL_ERROR signal."
            ),
            "{text}"
        );
        for hint in ["/dev/kvm", "nested virtualization", "libkrun and libkrunfw"] {
            assert!(text.contains(hint), "{hint} in {text}");
        }
        assert!(!text.contains('\u{1b}'), "{text:?}");
        // Without a terminal the VMM's line is on stderr.
        assert!(matches!(
            NotAReport::from_output(
                "",
                "[2026-12-01T10:00:00Z ERROR devices::virtio::fs] failed\n"
            ),
            NotAReport::VmFailed { .. }
        ));
    }

    #[test]
    fn other_first_lines_are_not_a_vmm_failure_and_are_shown_escaped() {
        for line in [
            "[2026-12-01T10:00:00Z WARN krun_vmm::linux::vstate] slow",
            "[2026-12-01T10:00:00Z ERROR myapp::db] not ours",
            "ERROR krun_vmm::linux::vstate] no header",
            "hello",
        ] {
            assert!(
                matches!(NotAReport::from_output(line, ""), NotAReport::Other { .. }),
                "{line}"
            );
        }
        let shown = NotAReport::from_output("\u{1b}]0;title\u{7}fake\u{1b}[2K", "").to_string();
        assert!(shown.contains("\\x1b]0;title\\x07fake\\x1b[2K"), "{shown}");
        assert!(shown.contains("Paddock stopped it"), "{shown}");
    }

    #[test]
    fn a_vmm_message_keeps_no_hidden_character() {
        let line = "[t ERROR krun_vmm::x] bad \u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\ \u{202e}end";
        assert_eq!(
            NotAReport::from_output(line, ""),
            NotAReport::VmFailed {
                message: "bad link <U+202E>end".into()
            }
        );
    }
}
