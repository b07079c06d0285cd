//! What the self-test runs inside a sandbox, what it prints, and how each
//! measurement is judged. Everything printed is read as untrusted text:
//! only `paddock-selftest key=value` lines count, and values are escaped
//! before they are shown.

use sandbox::messages::tr;
use sandbox::shown;

use super::Outcome;

/// Where the self-test mounts its extra read-only folder.
pub const READ_ONLY_TARGET: &str = "/selftest-read-only";
/// What the guest writes into the project (relative to it).
pub const WRITTEN: &str = "selftest-written";
/// What the guest tries to write into `.agent-sandbox/` and the read-only mount.
pub const PROBE: &str = "selftest-probe";

/// The guest's side. It first waits for a line on stdin: the host looks at
/// the sandbox's main process once the report line arrived, and the sandbox
/// must still be running then.
pub fn script() -> String {
    format!(
        r#"read -r _ || true
say() {{ echo "paddock-selftest $1=$2"; }}
say kernel "$(uname -r)"
say cpus "$(nproc 2>/dev/null || grep -c ^processor /proc/cpuinfo)"
say memory-kib "$(sed -n 's/^MemTotal: *\([0-9]*\) kB$/\1/p' /proc/meminfo)"
say cpu-limit "$(cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us 2>/dev/null)")"
say memory-limit "$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null)"
try() {{ if (echo paddock-selftest >"$1") 2>/dev/null; then echo written; else echo refused; fi; }}
say project "$(try {WRITTEN})"
say agent-sandbox "$(try .agent-sandbox/{PROBE})"
say read-only-mount "$(try {READ_ONLY_TARGET}/{PROBE})"
say interfaces "$(ls /sys/class/net | tr '\n' ' ')"
"#
    )
}

/// What the guest printed, field by field (`None`: it did not say).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Measured {
    pub kernel: Option<String>,
    pub cpus: Option<u32>,
    pub memory_kib: Option<u64>,
    pub cpu_limit: Option<String>,
    pub memory_limit: Option<String>,
    pub project_written: Option<bool>,
    pub agent_sandbox_written: Option<bool>,
    pub read_only_written: Option<bool>,
    pub interfaces: Option<Vec<String>>,
}

impl Measured {
    pub fn parse(output: &str) -> Measured {
        let mut measured = Measured::default();
        let written = |value: &str| match value {
            "written" => Some(true),
            "refused" => Some(false),
            _ => None,
        };
        for line in output.lines() {
            let Some((key, value)) = line
                .trim_end_matches('\r')
                .strip_prefix("paddock-selftest ")
                .and_then(|rest| rest.split_once('='))
            else {
                continue;
            };
            let value = value.trim();
            match key {
                "kernel" => measured.kernel = Some(value.to_owned()),
                "cpus" => measured.cpus = value.parse().ok(),
                "memory-kib" => measured.memory_kib = value.parse().ok(),
                "cpu-limit" => measured.cpu_limit = Some(value.to_owned()),
                "memory-limit" => measured.memory_limit = Some(value.to_owned()),
                "project" => measured.project_written = written(value),
                "agent-sandbox" => measured.agent_sandbox_written = written(value),
                "read-only-mount" => measured.read_only_written = written(value),
                "interfaces" => {
                    measured.interfaces =
                        Some(value.split_whitespace().map(str::to_owned).collect())
                }
                _ => {}
            }
        }
        measured
    }
}

/// A judged measurement.
pub type Judged = (Outcome, String);

/// vCPUs and memory inside against what was asked. A microVM's are its
/// own (`nproc`, `MemTotal`, within a tenth: the guest kernel keeps some and
/// libkrun adds a little); a container has no size of its own, only cgroup
/// limits, and without any the check does not apply.
pub fn size(cpus: u32, memory_mib: u32, measured: &Measured, vm: bool) -> Judged {
    let asked = tr(
        "{cpus} CPU(s), {memory} MiB asked",
        &[("cpus", &cpus), ("memory", &memory_mib)],
    );
    if vm {
        let (Some(seen_cpus), Some(kib)) = (measured.cpus, measured.memory_kib) else {
            return (
                Outcome::Failed,
                tr(
                    "{asked}; the sandbox did not report its size",
                    &[("asked", &asked)],
                ),
            );
        };
        let seen_mib = kib / 1024;
        let close = seen_mib.abs_diff(u64::from(memory_mib)) * 10 <= u64::from(memory_mib);
        let outcome = if seen_cpus == cpus && close {
            Outcome::Passed
        } else {
            Outcome::Failed
        };
        return (
            outcome,
            tr(
                "{asked}; {seen_cpus} vCPU(s), {seen_mib} MiB inside",
                &[
                    ("asked", &asked),
                    ("seen_cpus", &seen_cpus),
                    ("seen_mib", &seen_mib),
                ],
            ),
        );
    }
    let cpu_limit = measured.cpu_limit.as_deref().and_then(cpu_quota);
    let memory_limit = measured.memory_limit.as_deref().and_then(memory_bytes);
    if cpu_limit.is_none() && memory_limit.is_none() {
        return (
            Outcome::NotApplicable,
            tr(
                "{asked}; a container has no size of its own and this one has no cgroup limit",
                &[("asked", &asked)],
            ),
        );
    }
    let cpus_match = cpu_limit.is_some_and(|limit| (limit - f64::from(cpus)).abs() < 0.01);
    let memory_match = memory_limit == Some(u64::from(memory_mib) * 1024 * 1024);
    let shown = |limit: Option<String>| limit.unwrap_or_else(|| gettextrs::gettext("none"));
    (
        if cpus_match && memory_match {
            Outcome::Passed
        } else {
            Outcome::Failed
        },
        tr(
            "{asked}; cgroup limits: {cpus} CPU(s), {memory} MiB",
            &[
                ("asked", &asked),
                ("cpus", &shown(cpu_limit.map(|limit| format!("{limit:.2}")))),
                (
                    "memory",
                    &shown(memory_limit.map(|bytes| (bytes / 1024 / 1024).to_string())),
                ),
            ],
        ),
    )
}

/// "200000 100000" (cgroup v2 `cpu.max`, or v1's quota and period) -> 2.0;
/// "max ..." or a negative quota is no limit.
fn cpu_quota(text: &str) -> Option<f64> {
    let mut fields = text.split_whitespace();
    let quota: f64 = fields.next()?.parse().ok()?;
    let period: f64 = fields.next()?.parse().ok()?;
    (quota > 0.0 && period > 0.0).then_some(quota / period)
}

/// A memory limit in bytes; "max" or v1's "unlimited" (close to 2^63) is none.
fn memory_bytes(text: &str) -> Option<u64> {
    let bytes: u64 = text.trim().parse().ok()?;
    (bytes < 1 << 60).then_some(bytes)
}

/// The project is writable inside, and what the guest wrote is the user's
/// on the host (`owner`: its uid there, `None` when it is not there).
pub fn project_mount(measured: &Measured, owner: Option<u32>, uid: u32) -> Judged {
    match (measured.project_written, owner) {
        (Some(true), Some(owner)) if owner == uid => (
            Outcome::Passed,
            tr(
                "written inside, owned by you (uid {uid}) on the host",
                &[("uid", &uid)],
            ),
        ),
        (Some(true), Some(owner)) => (
            Outcome::Failed,
            tr(
                "written inside, but owned by uid {owner} on the host, not by you (uid {uid})",
                &[("owner", &owner), ("uid", &uid)],
            ),
        ),
        (Some(true), None) => (
            Outcome::Failed,
            gettextrs::gettext("written inside, but the file is not in the project on the host"),
        ),
        _ => (
            Outcome::Failed,
            gettextrs::gettext("the sandbox could not write the project"),
        ),
    }
}

/// `.agent-sandbox/` and the extra read-only mount refuse writes inside
/// (and nothing written shows up on the host: `leaked`).
pub fn read_only(measured: &Measured, leaked: bool) -> Judged {
    let refused = |written: Option<bool>| written == Some(false);
    let written = |written: Option<bool>| match written {
        Some(true) => gettextrs::gettext("written"),
        Some(false) => gettextrs::gettext("refused"),
        None => gettextrs::gettext("not tried"),
    };
    let text = tr(
        "writing .agent-sandbox/: {agent}; writing {target}: {mount}",
        &[
            ("agent", &written(measured.agent_sandbox_written)),
            ("target", &READ_ONLY_TARGET),
            ("mount", &written(measured.read_only_written)),
        ],
    );
    if refused(measured.agent_sandbox_written) && refused(measured.read_only_written) && !leaked {
        (Outcome::Passed, text)
    } else {
        (Outcome::Failed, text)
    }
}

/// An offline sandbox has loopback only (and, in a krun microVM, the
/// `dummy0` device libkrun adds).
pub fn offline(measured: &Measured, vm: bool) -> Judged {
    let Some(interfaces) = &measured.interfaces else {
        return (
            Outcome::Failed,
            gettextrs::gettext("the sandbox did not list its network interfaces"),
        );
    };
    let allowed = |name: &str| name == "lo" || (vm && name == "dummy0");
    let list = shown::escape(&interfaces.join(", "));
    if interfaces.iter().all(|name| allowed(name)) {
        (
            Outcome::Passed,
            tr("interfaces: {list}", &[("list", &list)]),
        )
    } else {
        (
            Outcome::Failed,
            tr(
                "interfaces: {list}: more than loopback in an offline sandbox",
                &[("list", &list)],
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(lines: &str) -> Measured {
        Measured::parse(lines)
    }

    #[test]
    fn only_report_lines_count() {
        let m = measured(
            "paddock-sandbox guest-kernel=x uid=1 isolation=container\nnoise cpus=9\npaddock-selftest cpus=2\r\npaddock-selftest project=written\npaddock-selftest agent-sandbox=maybe\n",
        );
        assert_eq!(m.cpus, Some(2));
        assert_eq!(m.project_written, Some(true));
        assert_eq!(m.agent_sandbox_written, None);
    }

    #[test]
    fn a_size_that_does_not_match_fails() {
        let vm = measured("paddock-selftest cpus=1\npaddock-selftest memory-kib=528384\n");
        assert_eq!(size(1, 512, &vm, true).0, Outcome::Passed);
        assert_eq!(size(2, 1024, &vm, true).0, Outcome::Failed);
        assert_eq!(size(1, 1024, &vm, true).0, Outcome::Failed);
        assert_eq!(size(1, 512, &measured(""), true).0, Outcome::Failed);

        let unlimited =
            measured("paddock-selftest cpu-limit=max 100000\npaddock-selftest memory-limit=max\n");
        assert_eq!(size(1, 512, &unlimited, false).0, Outcome::NotApplicable);
        let limited = measured(
            "paddock-selftest cpu-limit=200000 100000\npaddock-selftest memory-limit=1073741824\n",
        );
        assert_eq!(size(2, 1024, &limited, false).0, Outcome::Passed);
        assert_eq!(size(1, 512, &limited, false).0, Outcome::Failed);
        let v1_unlimited = measured(
            "paddock-selftest cpu-limit=-1 100000\npaddock-selftest memory-limit=9223372036854771712\n",
        );
        assert_eq!(size(1, 512, &v1_unlimited, false).0, Outcome::NotApplicable);
    }

    #[test]
    fn mounts_and_network_can_fail() {
        let ok = measured(
            "paddock-selftest project=written\npaddock-selftest agent-sandbox=refused\npaddock-selftest read-only-mount=refused\npaddock-selftest interfaces=lo \n",
        );
        assert_eq!(project_mount(&ok, Some(1000), 1000).0, Outcome::Passed);
        assert_eq!(project_mount(&ok, Some(100_999), 1000).0, Outcome::Failed);
        assert_eq!(project_mount(&ok, None, 1000).0, Outcome::Failed);
        assert_eq!(read_only(&ok, false).0, Outcome::Passed);
        assert_eq!(read_only(&ok, true).0, Outcome::Failed);
        assert_eq!(offline(&ok, false).0, Outcome::Passed);
        let vm = measured("paddock-selftest interfaces=dummy0 lo\n");
        assert_eq!(offline(&vm, true).0, Outcome::Passed);
        assert_eq!(offline(&vm, false).0, Outcome::Failed);
        let online = measured("paddock-selftest interfaces=eth0 lo\x1b[2J\n");
        let (outcome, text) = offline(&online, true);
        assert_eq!(outcome, Outcome::Failed);
        assert!(!text.contains('\x1b'), "{text}");
        assert_eq!(read_only(&measured(""), false).0, Outcome::Failed);
    }
}
