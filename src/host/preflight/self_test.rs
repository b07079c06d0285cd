//! The last self-test's result as a check: a failed isolation check blocks,
//! another failed check warns, and a self-test that never ran says how.

use gettextrs::gettext;

use super::{Check, CheckId, Fix, State};
use crate::selftest::{self, SelfTestReport};
use sandbox::messages::tr;

/// Runs the self-test from a terminal.
pub const RUN_SELF_TEST: &str = "paddock doctor --selftest";

pub(super) fn last(report: Option<&SelfTestReport>) -> Check {
    let title = gettext("Self-test");
    let again = |text: String| {
        Some(Fix {
            text,
            command: Some(RUN_SELF_TEST.to_owned()),
            action: None,
        })
    };
    let Some(report) = report else {
        return Check {
            id: CheckId::SelfTest,
            title,
            state: State::NotChecked,
            found: gettext("The self-test has not run on this computer yet"),
            fix: again(gettext(
                "Run the self-test: it starts throw-away sandboxes and looks at their isolation",
            )),
        };
    };
    let failed: Vec<&str> = report.failed().map(|check| check.title.as_str()).collect();
    if report.isolation_failed() {
        let isolation = report.get(selftest::CheckId::Isolation);
        return Check {
            id: CheckId::SelfTest,
            title,
            state: State::Blocking,
            found: isolation.map_or_else(
                || gettext("The last self-test has no isolation result"),
                |check| check.measured.clone(),
            ),
            fix: again(
                isolation
                    .and_then(|check| check.fix.clone())
                    .unwrap_or_else(|| gettext("Run the self-test again")),
            ),
        };
    }
    let versions = tr(
        "crun {crun}, libkrun {libkrun}, kernel {kernel}, podman {podman}",
        &[
            ("crun", &report.versions.crun),
            ("libkrun", &report.versions.libkrun),
            ("kernel", &report.versions.kernel),
            ("podman", &report.versions.podman),
        ],
    );
    if failed.is_empty() {
        Check {
            id: CheckId::SelfTest,
            title,
            state: State::Ok,
            found: tr(
                "The last self-test passed (measured with {versions}); run it again after updating any of them",
                &[("versions", &versions)],
            ),
            fix: None,
        }
    } else {
        Check {
            id: CheckId::SelfTest,
            title,
            state: State::Warning,
            found: tr(
                "The last self-test (with {versions}) failed: {failed}",
                &[("versions", &versions), ("failed", &failed.join(", "))],
            ),
            fix: again(gettext(
                "See the self-test's result for what to do, then run it again",
            )),
        }
    }
}
