//! `network.mode = "allowlist"` end to end, through the real podman
//! service: `paddock run` puts a container-mode sandbox (the same code path
//! as krun) alone on an internal network behind Paddock's gateway; busybox
//! httpd servers on the outer network stand in for the internet and are
//! reached by name through the gateway's resolver. `paddock net allow` lets
//! a blocked host through without a restart, `paddock net log` shows what
//! was tried, killing the gateway leaves the sandbox without network, and
//! `paddock rm` leaves nothing behind.

use std::path::Path;
use std::time::Duration;

use engine::OUTER_NETWORK;
use support::paddock::{TestProject, assert_success};
use support::podman::{base_image, containers_of, podman};
use support::sites::{Site, build_gateway};
use support::wait::wait_until;

use crate::run::run_detached;

fn wait_for_file(path: &Path) -> String {
    wait_until(
        &format!("{}", path.display()),
        Duration::from_secs(60),
        || path.is_file(),
    );
    std::thread::sleep(Duration::from_millis(200));
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn an_allowlist_sandbox_reaches_allowed_hosts_only_and_an_allow_takes_effect_at_once() {
    build_gateway();
    let allowed = Site::start(OUTER_NETWORK, "hello-from-the-allowed-site");
    let blocked = Site::start(OUTER_NETWORK, "hello-from-the-blocked-site");
    let blocked_ip = blocked.address();
    let project = TestProject::init("net-allowlist", &["--container", "--network", "allowlist"]);
    let dir = project.path();

    let text = std::fs::read_to_string(project.root.join(".agent-sandbox/paddock.toml")).unwrap();
    assert!(text.contains("mode = \"allowlist\""), "{text}");
    let output = project.run(&["net", "allow", &allowed.0, dir]);
    assert_success(&output);

    // Each step writes its result into the project, then waits for the
    // test to say go on.
    let script = format!(
        "wget -q -T 10 -O - http://{a}/ > allowed.out 2>&1; echo $? > allowed.rc; \
         wget -q -T 5 -O - http://{b}/ > blocked.out 2>&1; echo $? > blocked.rc; \
         nslookup {b} > dns.out 2>&1; \
         http_proxy= wget -q -T 5 -O - http://{ip}/ > direct.out 2>&1; echo $? > direct.rc; \
         while [ ! -e go1 ]; do sleep 0.2; done; \
         wget -q -T 10 -O - http://{b}/ > after.out 2>&1; echo $? > after.rc; \
         while [ ! -e go2 ]; do sleep 0.2; done; \
         wget -q -T 5 -O - http://{a}/ > dead.out 2>&1; echo $? > dead.rc",
        a = allowed.0,
        b = blocked.0,
        ip = blocked_ip,
    );
    run_detached(&project, &script);
    let root = &project.root;

    assert_eq!(wait_for_file(&root.join("allowed.rc")).trim(), "0");
    let page = std::fs::read_to_string(root.join("allowed.out")).unwrap();
    assert!(page.contains("hello-from-the-allowed-site"), "{page}");
    assert_ne!(wait_for_file(&root.join("blocked.rc")).trim(), "0");
    let page = std::fs::read_to_string(root.join("blocked.out")).unwrap();
    assert!(!page.contains("hello-from"), "{page}");
    assert_ne!(
        wait_for_file(&root.join("direct.rc")).trim(),
        "0",
        "a direct IP got out"
    );
    let dns = std::fs::read_to_string(root.join("dns.out")).unwrap();
    assert!(
        !dns.contains(&blocked_ip),
        "the resolver gave the blocked name away: {dns}"
    );

    // Allowed from the CLI while it runs: the next request gets through.
    let output = project.run(&["net", "allow", &blocked.0, dir]);
    assert_success(&output);
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("follows it now"), "{said}");
    std::fs::write(root.join("go1"), "").unwrap();
    assert_eq!(wait_for_file(&root.join("after.rc")).trim(), "0");
    let page = std::fs::read_to_string(root.join("after.out")).unwrap();
    assert!(page.contains("hello-from-the-blocked-site"), "{page}");

    let log = project.run(&["net", "log", dir]);
    assert_success(&log);
    let log = String::from_utf8_lossy(&log.stdout);
    assert!(
        log.lines()
            .any(|l| l.contains(&blocked.0) && l.contains("BLOCKED")),
        "{log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains(&allowed.0) && l.contains("allowed")),
        "{log}"
    );
    let definition = std::fs::read_to_string(root.join(".agent-sandbox/paddock.toml")).unwrap();
    assert!(definition.contains(&blocked.0), "{definition}");
    // Written and approved: the next run needs no review.
    let gate = project.run(&["build", dir]);
    assert_success(&gate);

    // The gateway gone, the sandbox has no way out at all.
    let sandbox = containers_of(root).into_iter().next().expect("the sandbox");
    let (ok, out) = podman(&["kill", &format!("{sandbox}-gateway")]);
    assert!(ok, "{out}");
    std::fs::write(root.join("go2"), "").unwrap();
    assert_ne!(
        wait_for_file(&root.join("dead.rc")).trim(),
        "0",
        "out without the gateway"
    );

    // Nothing left behind.
    let output = project.run(&["rm", &sandbox]);
    assert_success(&output);
    for what in [
        ["container", "exists", &format!("{sandbox}-gateway")],
        ["container", "exists", &sandbox],
        ["network", "exists", &format!("{sandbox}-net")],
    ] {
        assert!(!podman(&what).0, "{what:?} is still there");
    }
    let policies = project
        .home()
        .data()
        .join("paddock/gateways")
        .join(&sandbox);
    assert!(!policies.exists(), "{} is still there", policies.display());
}

#[test]
fn allow_refuses_a_bad_host_and_a_definition_with_unapproved_changes() {
    let project = TestProject::init("net-refuse", &["--container", "--network", "allowlist"]);
    let dir = project.path();
    let output = project.run(&["net", "allow", "evil\u{1b}[2J.org", dir]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    assert!(stderr.contains("is not a host"), "{stderr}");

    // The agent edits the definition; an allow must not approve that edit.
    let file = project.root.join(".agent-sandbox/paddock.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("mode = \"allowlist\"", "mode = \"full\""),
    )
    .unwrap();
    let output = project.run(&["net", "allow", "example.org", dir]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not approved"), "{stderr}");
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("mode = \"full\"")
    );

    let output = project.run(&["net", "log", dir]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no running network gateway"), "{stderr}");
}

#[test]
fn an_allowlist_build_reaches_the_build_policy_only_and_leaves_nothing_behind() {
    build_gateway();
    let allowed = Site::start(OUTER_NETWORK, "hello-from-the-allowed-site");
    let blocked = Site::start(OUTER_NETWORK, "hello-from-the-blocked-site");
    let project = TestProject::init("net-build", &["--container", "--network", "allowlist"]);
    let dir = project.path();
    assert_success(&project.run(&["net", "allow", &allowed.0, dir]));
    let sandbox_dir = project.root.join(".agent-sandbox");
    std::fs::write(
        sandbox_dir.join("Build.containerfile"),
        format!(
            "FROM {base}\n\
             RUN wget -q -T 10 -O /allowed.html http://{a}/ && grep -q hello-from-the-allowed-site /allowed.html && echo ALLOWED-OK\n\
             RUN if wget -q -T 5 -O - http://{b}/; then echo LEAKED; exit 1; fi; echo BLOCKED-OK\n",
            base = base_image(),
            a = allowed.0,
            b = blocked.0,
        ),
    )
    .unwrap();
    let file = sandbox_dir.join("paddock.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let base_line = text
        .lines()
        .find(|l| l.starts_with("base = "))
        .unwrap()
        .to_owned();
    std::fs::write(
        &file,
        text.replace(&base_line, "containerfile = \"Build.containerfile\""),
    )
    .unwrap();

    let output = project.run(&["build", "--approve", dir]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_success(&output);
    // The step lines hold these words too: look for the echoed lines.
    let said = |word: &str| stdout.lines().any(|line| line.trim() == word);
    assert!(said("ALLOWED-OK"), "{stdout}");
    assert!(said("BLOCKED-OK"), "{stdout}");
    assert!(!said("LEAKED"), "{stdout}");

    let (_, containers) = podman(&["ps", "-a", "--format", "{{.Names}}"]);
    let (_, networks) = podman(&["network", "ls", "--format", "{{.Name}}"]);
    let made = containers_of(&project.root);
    assert!(made.is_empty(), "a build made containers {made:?}");
    let policies = project.home().data().join("paddock/gateways");
    let left: Vec<_> = std::fs::read_dir(&policies)
        .map(|dir| dir.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "policies left behind: {left:?}");
    for line in containers.lines().chain(networks.lines()) {
        assert!(
            !(line.contains("-build-") && line.contains("net-build")),
            "left behind: {line}"
        );
    }
}

/// UDP has no way out of an `allowlist` sandbox: its internal network has
/// no route, and the gateway takes UDP only as the sandbox's resolver
/// (port 53, on its own address). A datagram to any other address is
/// refused by the sandbox's own kernel ("Network unreachable") before it
/// leaves, so no gateway sees it and the log cannot list it. The UDP server
/// standing in on the outer network is podman's own resolver of that
/// network (busybox has no UDP server; its nslookup is a UDP client): it
/// answers a container there, and not the sandbox; the log has no line for
/// its address.
#[test]
fn udp_from_an_allowlist_sandbox_gets_nowhere() {
    build_gateway();
    let site = Site::start(OUTER_NETWORK, "hello-over-tcp");
    let site_ip = site.address();
    let (ok, resolver) = podman(&[
        "network",
        "inspect",
        "-f",
        "{{range .Subnets}}{{.Gateway}}{{end}}",
        OUTER_NETWORK,
    ]);
    let resolver = resolver.trim().to_owned();
    assert!(ok && !resolver.is_empty(), "{resolver}");
    let probe = format!("nslookup {} {resolver}", site.0);
    let (_, out) = podman(&[
        "run",
        "--rm",
        "--network",
        OUTER_NETWORK,
        &base_image(),
        "sh",
        "-c",
        &probe,
    ]);
    assert!(
        out.contains(&site_ip),
        "the UDP stand-in does not answer: {out}"
    );

    let project = TestProject::init("net-udp", &["--container", "--network", "allowlist"]);
    let dir = project.path();
    let script = format!("{probe} > udp.out 2>&1; echo $? > udp.rc; sleep 30");
    run_detached(&project, &script);
    let root = &project.root;
    assert_ne!(wait_for_file(&root.join("udp.rc")).trim(), "0");
    let reply = std::fs::read_to_string(root.join("udp.out")).unwrap();
    assert!(!reply.contains(&site_ip), "UDP got out: {reply}");

    let log = String::from_utf8_lossy(&project.run(&["net", "log", dir]).stdout).into_owned();
    assert!(!log.contains(&resolver), "{log}");
}

/// `paddock init --agent X` for every preset: the fresh definition is an
/// `allowlist` one whose policy names hosts, and through a gateway with
/// that policy a client on the internal network reaches a stand-in for
/// the first of them (the agent's API host) by name. The client stands in
/// for the sandbox: a preset's image installs its agent from the internet,
/// which the dev machines cannot reach; the network path is the same.
#[test]
fn a_fresh_definition_of_every_preset_reaches_its_api_host_through_the_gateway() {
    build_gateway();
    let presets = sandbox::presets::Presets::builtin();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let engine = runtime.block_on(engine::Engine::connect()).unwrap();
    let policies = tempfile::tempdir().unwrap();
    let setup = engine::GatewaySetup {
        binary: support::paddock::binary().with_file_name("paddock-gateway"),
        policies: policies.path().to_owned(),
    };
    for agent in [
        "claude", "codex", "gemini", "opencode", "copilot", "aider", "shell",
    ] {
        let home = support::paddock::TestHome::new();
        let root = home.path().join(support::unique(agent));
        std::fs::create_dir(&root).unwrap();
        let output = home.run(&[
            "init",
            "--agent",
            agent,
            "--container",
            // Written, never built: the agents install from the internet.
            "--base",
            "registry.fedoraproject.org/fedora:44",
            root.to_str().unwrap(),
        ]);
        assert_success(&output);
        let text = std::fs::read_to_string(root.join(".agent-sandbox/paddock.toml")).unwrap();
        let definition: sandbox::definition::Definition = toml::from_str(&text).unwrap();
        assert_eq!(
            definition.network_mode(),
            sandbox::definition::NetworkMode::Allowlist,
            "{agent}: {text}"
        );
        let preset = definition.resolve_agent(&presets).unwrap();
        let policy = sandbox::net::run_policy(&definition, &preset);
        let api = preset
            .network
            .hosts
            .iter()
            .chain(policy.allow.iter())
            .find(|host| !host.contains('*') && !host.contains(':'))
            .unwrap_or_else(|| panic!("{agent}: an empty allowlist: {policy:?}"))
            .clone();
        let site = Site::with_aliases(OUTER_NETWORK, &format!("stand-in-for-{agent}"), &[&api]);
        let name = support::unique(&format!("preset-{agent}"));
        let egress = runtime
            .block_on(engine.open_egress(&name, &policy, &setup, &[]))
            .unwrap();
        let proxy = format!("http_proxy={}", egress.env()["http_proxy"]);
        let (ok, out) = podman(&[
            "run",
            "--rm",
            "--network",
            &egress.network,
            "-e",
            &proxy,
            &base_image(),
            "wget",
            "-q",
            "-T",
            "10",
            "-O",
            "-",
            &format!("http://{api}/"),
        ]);
        runtime
            .block_on(engine.close_egress(&name, &setup.policies))
            .unwrap();
        drop(site);
        assert!(
            ok && out.contains(&format!("stand-in-for-{agent}")),
            "{agent} did not reach {api}: {out}"
        );
    }
}
