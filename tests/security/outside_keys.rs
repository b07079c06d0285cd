//! API keys that stay outside the sandbox, with the real things: GNOME
//! Keyring on a private bus, the `paddock` binary, the real podman service
//! and Paddock's gateway. A stand-in HTTPS API (`openssl s_server` with a
//! certificate from a test CA, which only this test has the gateway trust,
//! through the test build's `PADDOCK_TEST_CA_BUNDLE`) and a plain HTTP
//! recorder sit on the gateway's outer network and log what they receive.
//! The sandbox holds a placeholder; the API gets the real key; the key is
//! in no file, environment, log or `podman inspect` of the sandbox, never
//! reaches another host, and the sandbox's attempts to get it sent
//! elsewhere are refused. Container mode: the same path as krun.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use engine::OUTER_NETWORK;
use support::bus::PrivateBus;
use support::keyring::TestKeyring;
use support::paddock::TestProject;
use support::podman::{containers_of, podman, podman_files_holding};
use support::process::run_with_input;
use support::sites::{ApiSite, Recorder, build_gateway};
use support::wait::wait_until;

const KEY: &str = "SANDBOX_TEST_API_KEY";
const PLACEHOLDER: &str = "paddock-placeholder-SANDBOX_TEST_API_KEY";
/// A key whose base URL goes into a variable of JSON settings, as
/// OpenCode's do (`OPENCODE_CONFIG_CONTENT`).
const SETTINGS_KEY: &str = "SANDBOX_TEST_SETTINGS_KEY";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn wait_for(path: &Path) -> String {
    wait_until(&path.display().to_string(), Duration::from_secs(90), || {
        path.is_file()
    });
    std::thread::sleep(Duration::from_millis(200));
    std::fs::read_to_string(path).unwrap()
}

/// Every file under `dir`, read as bytes.
fn files(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => found.extend(files(&path)),
            Ok(kind) if kind.is_file() => {
                if let Ok(bytes) = std::fs::read(&path) {
                    found.push((path, bytes));
                }
            }
            _ => {}
        }
    }
    found
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// Raw requests the agent crafts to get the key sent elsewhere, each to
/// the key route's listener (`$gw:$port`), answered into `<name>.out`.
const ATTACKS: &[(&str, &str)] = &[
    // Another host in the Host header.
    (
        "a1",
        "GET /a1 HTTP/1.1\\r\\nHost: OTHER\\r\\nx-api-key: $K\\r\\n\\r\\n",
    ),
    // An absolute-form target naming another host.
    (
        "a2",
        "GET http://OTHER/a2 HTTP/1.1\\r\\nHost: OTHER\\r\\nx-api-key: $K\\r\\n\\r\\n",
    ),
    // An absolute-form target, even naming the API host itself.
    (
        "a3",
        "GET http://API/a3 HTTP/1.1\\r\\nHost: API\\r\\nx-api-key: $K\\r\\n\\r\\n",
    ),
    // The API host's name with more after it: another authority.
    (
        "a4",
        "GET /a4 HTTP/1.1\\r\\nHost: API.evil.test\\r\\nx-api-key: $K\\r\\n\\r\\n",
    ),
    (
        "a4b",
        "GET /a4b HTTP/1.1\\r\\nHost: API:8443\\r\\nx-api-key: $K\\r\\n\\r\\n",
    ),
    // The key header twice.
    (
        "a5",
        "GET /a5 HTTP/1.1\\r\\nHost: $hp\\r\\nx-api-key: $K\\r\\nx-api-key: $K\\r\\n\\r\\n",
    ),
    // A CRLF inside a header value: a second Host header.
    (
        "a6",
        "GET /a6 HTTP/1.1\\r\\nHost: $hp\\r\\nX-Note: x\\r\\nHost: OTHER\\r\\nx-api-key: $K\\r\\n\\r\\n",
    ),
    // A bare CR to split the key header.
    (
        "a7",
        "GET /a7 HTTP/1.1\\r\\nHost: $hp\\r\\nx-api-key: $K\\rHost: OTHER\\r\\n\\r\\n",
    ),
];

#[test]
fn a_key_that_stays_outside_reaches_its_api_only_and_never_the_sandbox() {
    build_gateway();
    let api = ApiSite::start(OUTER_NETWORK);
    let other = Recorder::start(OUTER_NETWORK);
    let project = TestProject::init("keys-out", &["--container", "--network", "allowlist"]);
    let bus = PrivateBus::start();
    let _keyring = TestKeyring::start(&bus, &project.home().path().join("keyring"));
    let agents = project.home().config().join("paddock/agents");
    std::fs::create_dir_all(&agents).unwrap();
    std::fs::write(
        agents.join("shell.toml"),
        format!(
            "name = \"Shell\"\ncommand = []\nsecrets = [\"{KEY}\", \"{SETTINGS_KEY}\"]\n\
             [keys.{KEY}]\nbase_url = \"KEYTEST_BASE_URL\"\nhost = \"{api}\"\nheader = \"x-api-key\"\n\
             docs = \"https://example.test/docs\"\n\
             [keys.{SETTINGS_KEY}]\nbase_url = \"KEYTEST_SETTINGS\"\njson = \"/provider/test/options/baseURL\"\n\
             path = \"/v1\"\nhost = \"{api}\"\nheader = \"x-api-key\"\ndocs = \"https://example.test/docs\"\n\
             [network]\nhosts = [\"{api}\", \"{other}\"]\n",
            api = api.host,
            other = other.0,
        ),
    )
    .unwrap();
    let ca = api.ca.clone();
    let paddock = |args: &[&str], stdin: &[u8]| -> Output {
        let mut command: Command = project.paddock();
        command
            .env("DBUS_SESSION_BUS_ADDRESS", bus.address())
            .env("PADDOCK_TEST_CA_BUNDLE", &ca)
            .args(args);
        run_with_input(&mut command, stdin)
    };
    let value = format!(
        "sk-outside-{}-{:?}",
        std::process::id(),
        std::time::Instant::now()
    );
    let stored = paddock(&["secret", "set", KEY], value.as_bytes());
    assert!(stored.status.success(), "{}", text(&stored.stderr));
    let settings_value = format!("sk-settings-{}", std::process::id());
    let stored = paddock(&["secret", "set", SETTINGS_KEY], settings_value.as_bytes());
    assert!(stored.status.success(), "{}", text(&stored.stderr));
    // Where the key is, per project: outside this one, inside one without
    // a gateway (in the same home, so with the same preset).
    let listed = paddock(&["secret", "ls", project.path()], b"");
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let listed = text(&listed.stdout);
    for name in [KEY, SETTINGS_KEY] {
        assert!(
            listed.contains(&format!("{name}: stays outside the sandbox")),
            "{listed}"
        );
    }
    let full = project.root.with_file_name(format!(
        "{}-full",
        project.root.file_name().unwrap().to_string_lossy()
    ));
    std::fs::create_dir(&full).unwrap();
    let init = paddock(
        &[
            "init",
            "--agent",
            "shell",
            "--base",
            &support::podman::base_image(),
            "--network",
            "full",
            full.to_str().unwrap(),
        ],
        b"",
    );
    assert!(init.status.success(), "{}", text(&init.stderr));
    let listed = paddock(&["secret", "ls", full.to_str().unwrap()], b"");
    let listed = text(&listed.stdout);
    assert!(
        listed.contains(&format!("{KEY}: is inside the sandbox")),
        "{listed}"
    );

    let mut script = String::from(
        "K=\"$SANDBOX_TEST_API_KEY\"; hp=${KEYTEST_BASE_URL#http://}; gw=${hp%:*}; port=${hp#*:}; \
         wget -Y off -q -T 20 -O - --header \"x-api-key: $K\" \"$KEYTEST_BASE_URL/v1/messages\" > api.out 2>&1; echo $? > api.rc; \
         u=$(printf %s \"$KEYTEST_SETTINGS\" | sed 's/.*\"baseURL\":\"\\([^\"]*\\)\".*/\\1/'); \
         for try in 1 2 3 4 5; do \
         wget -Y off -q -T 20 -O - --header \"x-api-key: $SANDBOX_TEST_SETTINGS_KEY\" \"$u/from-settings\" > settings.out 2>&1; rc=$?; \
         [ $rc = 0 ] && break; sleep 1; done; echo $rc > settings.rc; ",
    );
    for (name, request) in ATTACKS {
        let request = request.replace("OTHER", &other.0).replace("API", &api.host);
        script.push_str(&format!(
            "printf \"{request}\" | nc -w 5 $gw $port > {name}.out 2>&1; "
        ));
    }
    script.push_str(&format!(
        "wget -q -T 10 -O - --header \"x-api-key: $K\" http://{other}/other > other.out 2>&1; echo $? > other.rc; \
         cat /proc/[0-9]*/environ > environ.out 2>/dev/null; touch step1; \
         while [ ! -e go ]; do sleep 0.2; done; \
         wget -Y off -q -T 5 -O - --header \"x-api-key: $K\" \"$KEYTEST_BASE_URL/v1/dead\" > dead.out 2>&1; echo $? > dead.rc",
        other = other.0
    ));
    let ran = paddock(
        &["run", "--detach", project.path(), "--", "sh", "-c", &script],
        b"",
    );
    let said = text(&ran.stderr);
    assert!(ran.status.success(), "{said}");
    for name in [KEY, SETTINGS_KEY] {
        assert!(
            said.contains(&format!("{name} stays outside the sandbox")),
            "{said}"
        );
    }
    assert!(
        !said.contains(&value) && !said.contains(&settings_value),
        "{said}"
    );
    let root = &project.root;

    // The placeholder went out; the API got the real key, from the API's
    // own name, and answered.
    assert_eq!(wait_for(&root.join("api.rc")).trim(), "0");
    let answer = std::fs::read_to_string(root.join("api.out")).unwrap();
    assert!(answer.contains("hello-from-the-api"), "{answer}");
    wait_for(&root.join("step1"));
    let received = api.received();
    assert!(
        received.contains(&format!("x-api-key: {value}")),
        "the API did not get the key: {received}"
    );
    assert!(received.contains("GET /v1/messages HTTP/1.1"), "{received}");
    assert!(
        received.contains(&format!("Host: {}", api.host)),
        "{received}"
    );
    assert!(!received.contains(PLACEHOLDER), "{received}");
    // So did the key whose URL the sandbox read from its JSON settings
    // (tried again while the stand-in, which serves one request at a
    // time, starts over: the gateway says 502 then).
    assert_eq!(
        wait_for(&root.join("settings.rc")).trim(),
        "0",
        "{}",
        std::fs::read_to_string(root.join("settings.out")).unwrap_or_default()
    );
    let received = api.received();
    assert!(
        received.contains(&format!("x-api-key: {settings_value}")),
        "the API did not get the settings key: {received}"
    );
    assert!(
        received.contains("GET /v1/from-settings HTTP/1.1"),
        "{received}"
    );

    // Every attempt to have it sent elsewhere was refused by the gateway,
    // and reached neither the API nor the other host.
    let elsewhere = other.received();
    for (name, _) in ATTACKS {
        let answer = std::fs::read_to_string(root.join(format!("{name}.out"))).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 400") || answer.starts_with("HTTP/1.1 403"),
            "{name}: {answer}"
        );
        let path = format!("/{name} ");
        assert!(
            !received.contains(&path),
            "{name} reached the API: {received}"
        );
        assert!(
            !elsewhere.contains(&path),
            "{name} reached {}: {elsewhere}",
            other.0
        );
    }

    // Through the proxy to another allowed host, the placeholder stays
    // what it is.
    assert_eq!(wait_for(&root.join("other.rc")).trim(), "0");
    assert!(elsewhere.contains("GET /other"), "{elsewhere}");
    assert!(elsewhere.contains(PLACEHOLDER), "{elsewhere}");
    assert!(!elsewhere.contains(&value), "{elsewhere}");

    // The sandbox's processes hold the placeholder and the gateway's
    // address, never the key.
    let environ = std::fs::read(root.join("environ.out")).unwrap();
    assert!(holds(&environ, PLACEHOLDER), "{}", text(&environ));
    assert!(
        holds(&environ, "KEYTEST_BASE_URL=http://"),
        "{}",
        text(&environ)
    );
    assert!(
        holds(
            &environ,
            "KEYTEST_SETTINGS={\"provider\":{\"test\":{\"options\":{\"baseURL\":\"http://"
        ),
        "{}",
        text(&environ)
    );
    assert!(!holds(&environ, &value));
    assert!(!holds(&environ, &settings_value));
    // Not the project, Paddock's data or the presets; not podman's view of
    // the sandbox or the gateway, their logs, or the sandbox's files.
    for dir in [root, &project.home().data(), &project.home().config()] {
        for (path, bytes) in files(dir) {
            assert!(
                !holds(&bytes, &value) && !holds(&bytes, &settings_value),
                "{} holds a key",
                path.display()
            );
        }
    }
    let sandbox = containers_of(root).into_iter().next().expect("the sandbox");
    let gateway = format!("{sandbox}-gateway");
    for args in [
        vec!["inspect", sandbox.as_str()],
        vec!["inspect", gateway.as_str()],
        vec!["logs", sandbox.as_str()],
        vec!["logs", gateway.as_str()],
    ] {
        let (ok, out) = podman(&args);
        assert!(ok, "{out}");
        assert!(
            !out.contains(&value) && !out.contains(&settings_value),
            "podman {args:?} shows a key"
        );
    }
    let (ok, inspect) = podman(&["inspect", &gateway]);
    assert!(
        ok && inspect.contains(&format!("{gateway}.{KEY}")),
        "{inspect}"
    );
    let (_, log) = podman(&["logs", &gateway]);
    assert!(log.contains("\"kind\":\"key\""), "{log}");
    let export = Command::new("podman")
        .args(["export", &sandbox])
        .output()
        .unwrap();
    assert!(export.status.success());
    assert!(
        !holds(&export.stdout, &value) && !holds(&export.stdout, &settings_value),
        "the sandbox's files hold a key"
    );

    // The gateway gone, nothing reaches the API.
    let (ok, out) = podman(&["kill", &gateway]);
    assert!(ok, "{out}");
    std::fs::write(root.join("go"), "").unwrap();
    assert_ne!(
        wait_for(&root.join("dead.rc")).trim(),
        "0",
        "out without the gateway"
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(!api.received().contains("/v1/dead"), "{}", api.received());

    // With the stand-in (whose log holds the key) gone, no file of podman's
    // does: not the image, the containers' folders or the secret store.
    drop(api);
    for key in [&value, &settings_value] {
        let holding = podman_files_holding(key.as_bytes());
        assert!(holding.is_empty(), "a key is in {holding:?}");
    }
    assert!(paddock(&["rm", &sandbox], b"").status.success());
}
