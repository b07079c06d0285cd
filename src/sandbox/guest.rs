//! What the sandbox reports about itself: the entrypoint's first line (see
//! the contract in [`crate::render`]) and the verdict drawn from it.
//! Isolation is checked, not assumed: "microVM" only when the guest runs a
//! kernel other than the host's.

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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", tr("the sandbox did not report itself (expected a \"paddock-sandbox ...\" line, got \"{line}\")", &[("line", &line.escape_debug())]))]
pub struct NotAReport {
    pub line: String,
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
}

impl GuestReport {
    /// Parses the first line the entrypoint prints (a trailing `\r` from a
    /// terminal is ignored).
    pub fn parse(line: &str) -> Result<GuestReport, NotAReport> {
        let not = || NotAReport {
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

    /// The verdict for a sandbox on a host running `host_kernel`.
    pub fn verdict(&self, host_kernel: &str) -> Verdict {
        match self.isolation {
            Isolation::Container => Verdict::Container,
            Isolation::MicroVm if self.guest_kernel != host_kernel.trim() => Verdict::MicroVm,
            Isolation::MicroVm => Verdict::NotIsolated {
                kernel: self.guest_kernel.clone(),
            },
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

    #[test]
    fn microvm_only_when_kernels_differ() {
        let report = |kernel: &str, isolation| GuestReport {
            guest_kernel: kernel.into(),
            uid: 1000,
            isolation,
        };
        assert_eq!(
            report("6.12-krun", Isolation::MicroVm).verdict("6.1.0-40-amd64"),
            Verdict::MicroVm
        );
        assert_eq!(
            report("6.1.0-40-amd64", Isolation::MicroVm).verdict("6.1.0-40-amd64\n"),
            Verdict::NotIsolated {
                kernel: "6.1.0-40-amd64".into()
            }
        );
        assert_eq!(
            report("6.1.0-40-amd64", Isolation::Container).verdict("6.1.0-40-amd64"),
            Verdict::Container
        );
    }
}
