//! Each self-test check can fail: the self-test with one of its own
//! safeguards turned off, on the real podman service. A read-only mount made
//! writable and a network that is not offline are caught; a size that does
//! not match is judged in `host::selftest` itself (a container here has no
//! size of its own to get wrong).

use host::selftest::{CheckId, Outcome, SelfTest, SelfTestReport};

fn run(self_test: SelfTest) -> SelfTestReport {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(self_test.run())
        .expect("the self-test runs")
}

fn outcome(report: &SelfTestReport, id: CheckId) -> (Outcome, String) {
    let check = report.get(id).expect("the check is there");
    (check.outcome, check.measured.clone())
}

#[test]
fn a_writable_mount_and_a_network_are_caught() {
    let report = run(SelfTest {
        read_only_mount: false,
        offline: false,
        ..SelfTest::default()
    });
    let (read_only, measured) = outcome(&report, CheckId::ReadOnlyMounts);
    assert_eq!(read_only, Outcome::Failed, "{measured}");
    assert!(
        measured.contains("/selftest-read-only: written"),
        "{measured}"
    );
    // .agent-sandbox/ stays read-only whatever the definition says.
    assert!(measured.contains(".agent-sandbox/: refused"), "{measured}");
    let (offline, measured) = outcome(&report, CheckId::Offline);
    assert_eq!(offline, Outcome::Failed, "{measured}");
    assert!(measured.contains("more than loopback"), "{measured}");
    assert!(report.get(CheckId::Offline).unwrap().fix.is_some());
    // The rest still holds.
    assert_eq!(outcome(&report, CheckId::ProjectMount).0, Outcome::Passed);
}
