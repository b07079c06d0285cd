//! `paddock doctor --selftest` end to end: throw-away sandboxes on the dev
//! environment's real podman (crun without libkrun) and on a service whose
//! runtime is the +LIBKRUN STAND-IN (plain crun that claims libkrun). Both
//! honestly say "not a microVM" (exit 1) and pass every other check that
//! applies; the result is kept and `paddock doctor` then blocks on it.

use std::process::Output;

use support::paddock::TestHome;
use support::podman::PodmanService;
use support::sites::build_gateway;
use support::stand_ins;

fn self_test(home: &TestHome, container_host: Option<&str>, args: &[&str]) -> Output {
    // The gateway check starts the gateway Paddock ships beside itself.
    build_gateway();
    let mut command = home.paddock();
    command.args(["doctor", "--selftest"]).args(args);
    if let Some(host) = container_host {
        command.env("CONTAINER_HOST", host);
    }
    command.output().unwrap()
}

fn checks(json: &serde_json::Value) -> Vec<(String, String, String)> {
    json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|check| {
            (
                check["id"].as_str().unwrap().to_owned(),
                check["outcome"].as_str().unwrap().to_owned(),
                check["measured"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Isolation failed, and nothing else did.
fn assert_honest(output: &Output) -> Vec<(String, String, String)> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for key in ["crun", "libkrun", "kernel", "podman"] {
        assert!(json["versions"][key].is_string(), "{key}: {json}");
    }
    let checks = checks(&json);
    for (id, outcome, measured) in &checks {
        match id.as_str() {
            "isolation" => {
                assert_eq!(outcome, "failed", "{measured}");
                assert!(measured.starts_with("not a microVM"), "{measured}");
            }
            // No VM size and no cgroup limit in a container here.
            "size-small" | "size-large" => {
                assert!(
                    outcome == "not-applicable" || outcome == "passed",
                    "{id}: {measured}"
                )
            }
            _ => assert_eq!(outcome, "passed", "{id}: {measured}"),
        }
    }
    let ids: Vec<&str> = checks.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "isolation",
            "size-small",
            "size-large",
            "project-mount",
            "read-only-mounts",
            "offline",
            "egress-gateway",
            "first-line",
            "exit"
        ]
    );
    checks
}

#[test]
fn the_self_test_in_container_mode_says_not_a_microvm_and_passes_the_rest() {
    let home = TestHome::new();
    let text = self_test(&home, None, &[]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert_eq!(text.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("Not a microVM"), "{stdout}");
    assert!(stdout.contains("does not report +LIBKRUN"), "{stdout}");
    assert!(
        stdout.contains("Fix: Install crun with libkrun"),
        "{stdout}"
    );

    let checks = assert_honest(&self_test(&home, None, &["--json"]));
    let timing = &checks
        .iter()
        .find(|(id, _, _)| id == "first-line")
        .unwrap()
        .2;
    assert!(timing.contains(" ms "), "{timing}");
    let gateway = &checks
        .iter()
        .find(|(id, _, _)| id == "egress-gateway")
        .unwrap()
        .2;
    assert!(gateway.contains("answered ready in"), "{gateway}");

    // Kept: `paddock doctor` now blocks on it, with the fix.
    let kept = home.data().join("paddock/selftest.json");
    assert!(kept.is_file());
    let doctor = home.run(&["doctor", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&doctor.stdout).unwrap();
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["id"] == "self-test")
        .unwrap();
    assert_eq!(check["state"], "blocking", "{check}");
    assert_eq!(check["fix"]["command"], "paddock doctor --selftest");
}

#[test]
fn the_self_test_with_the_krun_stand_in_is_never_a_microvm() {
    let dir = tempfile::tempdir().unwrap();
    let conf = stand_ins::krun_runtime(dir.path(), None);
    let service = PodmanService::start(&dir.path().join("podman.sock"), Some(&conf));
    let home = TestHome::new();
    assert_honest(&self_test(
        &home,
        Some(&service.container_host()),
        &["--json"],
    ));
    // Its throw-away projects are named for what they are.
    let (_, left) = service.podman(&["ps", "-a", "--format", "{{.Names}}"]);
    assert!(
        !left.lines().any(|name| name.starts_with("paddock-microvm-")
            || name.starts_with("paddock-container-")
            || name.starts_with("paddock-selftest-gateway-")),
        "throw-away sandboxes are removed: {left}"
    );
    let (_, networks) = service.podman(&["network", "ls", "--format", "{{.Name}}"]);
    assert!(
        !networks.contains("paddock-selftest-gateway-"),
        "the throw-away network is removed: {networks}"
    );
}

#[test]
fn a_self_test_without_the_gateway_binary_fails_its_gateway_check() {
    let home = TestHome::new();
    let output = home
        .paddock()
        .args(["doctor", "--selftest", "--json"])
        .env("PADDOCK_GATEWAY", home.path().join("no-such-gateway"))
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let (_, outcome, measured) = checks(&json)
        .into_iter()
        .find(|(id, _, _)| id == "egress-gateway")
        .unwrap();
    assert_eq!(outcome, "failed", "{measured}");
    assert!(measured.starts_with("no gateway started"), "{measured}");
    assert!(
        json.to_string().contains("paddock-gateway binary"),
        "{json}"
    );
}

#[test]
fn a_self_test_with_no_podman_says_what_to_do() {
    let home = TestHome::new();
    let output = self_test(&home, Some("unix:///nonexistent/podman.sock"), &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("podman"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_self_test_with_a_vmm_that_fails_at_boot_says_the_microvm_could_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let conf = stand_ins::failing_vmm_runtime(dir.path());
    let service = PodmanService::start(&dir.path().join("podman.sock"), Some(&conf));
    let home = TestHome::new();
    let checks = assert_honest(&self_test(
        &home,
        Some(&service.container_host()),
        &["--json"],
    ));
    let isolation = &checks
        .iter()
        .find(|(id, _, _)| id == "isolation")
        .unwrap()
        .2;
    assert!(
        isolation.contains("The microVM could not start: Received KVM_EXIT_INTERNAL_ERROR signal."),
        "{isolation}"
    );
    assert!(!isolation.contains('\u{1b}'), "{isolation:?}");
}
