//! Bad definitions, case by case: each error names the key, shows the bad
//! value and says what is allowed.

use sandbox::definition::Definition;
use sandbox::presets::Presets;

const GOOD: &str = r#"
version = 1
[agent]
preset = "claude"
[image]
base = "registry.fedoraproject.org/fedora:44"
"#;

/// Parses `text` and returns the one error it must produce.
fn error(text: &str) -> (String, String) {
    let errors =
        Definition::parse(text, &Presets::builtin()).expect_err("the definition must be refused");
    assert_eq!(errors.0.len(), 1, "exactly one error expected: {errors}");
    let error = &errors.0[0];
    let place = error
        .at
        .map(|at| format!("{}:{}: ", at.line, at.column))
        .unwrap_or_default();
    assert_eq!(
        error.to_string(),
        format!("{place}{}: {}", error.key, error.message),
        "the CLI prints line:column, key and message"
    );
    (error.key.clone(), error.message.clone())
}

fn assert_error(text: &str, key: &str, parts: &[&str]) {
    let (got_key, message) = error(text);
    assert_eq!(got_key, key, "{message}");
    for part in parts {
        assert!(
            message.contains(part),
            "{key}: {message:?} should mention {part:?}"
        );
    }
}

#[test]
fn the_good_one_parses() {
    assert!(Definition::parse(GOOD, &Presets::builtin()).is_ok());
}

#[test]
fn version_missing_or_unknown() {
    assert_error(
        &GOOD.replace("version = 1", ""),
        "version",
        &["missing", "version = 1"],
    );
    assert_error(
        &GOOD.replace("version = 1", "version = 2"),
        "version",
        &["2", "not supported", "version = 1"],
    );
}

#[test]
fn unknown_keys() {
    assert_error(
        &format!("{GOOD}[resources]\ncpu = 4\n"),
        "resources.cpu",
        &["unknown field", "cpus"],
    );
    assert_error(
        &format!("{GOOD}colour = \"blue\"\n"),
        "image.colour",
        &["unknown field"],
    );
    assert_error(
        &format!("{GOOD}[netwrk]\nmode = \"full\"\n"),
        "netwrk",
        &["unknown field", "network"],
    );
    assert_error(
        &format!("{GOOD}[network]\nmode = \"off\"\n"),
        "network.mode",
        &["unknown variant", "offline", "allowlist", "full"],
    );
    assert_error(
        &format!("{GOOD}[network]\nmode = \"allowlist\"\nallow = [\"192.0.2.1\"]\n"),
        "network.allow[0]",
        &["only with its port"],
    );
}

#[test]
fn syntax_and_type_errors_give_the_line() {
    let header = "version = 1\n[agent\npreset = \"claude\"\n[image]\nbase = \"fedora:44\"\n";
    assert_error(header, "agent", &[]);
    assert_at(header, 2, 7);
    let packages = format!("{GOOD}packages = \"git\"\n");
    assert_error(&packages, "image.packages", &["expected a sequence"]);
    assert_at(&packages, 7, 12);
}

fn assert_at(text: &str, line: usize, column: usize) {
    let errors = Definition::parse(text, &Presets::builtin()).expect_err("refused");
    let at = errors.0[0].at.expect("a place in the file");
    assert_eq!((at.line, at.column), (line, column), "{errors}");
}

#[test]
fn out_of_range_resources() {
    assert_error(
        &format!("{GOOD}[resources]\ncpus = 0\n"),
        "resources.cpus",
        &["0", "1 to 64"],
    );
    assert_error(
        &format!("{GOOD}[resources]\ncpus = 65\n"),
        "resources.cpus",
        &["65", "1 to 64"],
    );
    assert_error(
        &format!("{GOOD}[resources]\ncpus = -2\n"),
        "resources.cpus",
        &["-2", "out of range"],
    );
    assert_error(
        &format!("{GOOD}[resources]\nmemory_mib = 100\n"),
        "resources.memory_mib",
        &["100", "512 to 262144 MiB"],
    );
    assert_error(
        &format!("{GOOD}[resources]\ncpus = \"four\"\n"),
        "resources.cpus",
        &["four"],
    );
}

#[test]
fn wrong_choices() {
    assert_error(
        &format!("{GOOD}[sandbox]\nruntime = \"docker\"\n"),
        "sandbox.runtime",
        &["docker", "krun", "container"],
    );
    assert_error(
        &format!("{GOOD}[sandbox]\nnetwork = \"some\"\n"),
        "sandbox.network",
        &["some", "full", "offline"],
    );
    assert_error(
        &GOOD.replace("preset = \"claude\"", "preset = \"claud\""),
        "agent.preset",
        &["claud", "claude, codex"],
    );
    assert_error(
        &GOOD.replace("preset = \"claude\"", "home = \"shared\""),
        "agent",
        &["agent.preset", "agent.command"],
    );
}

#[test]
fn unsafe_values() {
    assert_error(
        &GOOD.replace("fedora:44\"", "fedora:44 AS x\""),
        "image.base",
        &["fedora:44 AS x", "U+0020", "letters, digits"],
    );
    assert_error(
        &format!("{GOOD}packages = [\"git; rm -rf /\"]\n"),
        "image.packages[0]",
        &["git; rm -rf /", "';'"],
    );
    assert_error(
        &format!("{GOOD}packages = [\"-y\"]\n"),
        "image.packages[0]",
        &["-y", "must start with"],
    );
    assert_error(
        &format!("{GOOD}[sandbox]\nmount = \"/my project\"\n"),
        "sandbox.mount",
        &["/my project", "U+0020"],
    );
    assert_error(
        &format!("{GOOD}[sandbox]\nmount = \"app\"\n"),
        "sandbox.mount",
        &["absolute"],
    );
    assert_error(
        &format!("{GOOD}[sandbox]\nmount = \"/etc/app\"\n"),
        "sandbox.mount",
        &["/etc"],
    );
    assert_error(
        &format!("{GOOD}[env]\nGREETING = \"hello\\nRUN id\"\n"),
        "env.GREETING",
        &["U+000A", "single line"],
    );
    assert_error(
        &format!("{GOOD}[env]\nPADDOCK_UID = \"0\"\n"),
        "env.PADDOCK_UID",
        &["reserved"],
    );
    assert_error(
        &format!("{GOOD}[env]\n\"A B\" = \"x\"\n"),
        "env.A B",
        &["U+0020"],
    );
    assert_error(
        &GOOD.replace(
            "preset = \"claude\"",
            "preset = \"claude\"\ncommand = [\"\"]",
        ),
        "agent.command",
        &["program name"],
    );
    assert_error(
        &GOOD.replace(
            "preset = \"claude\"",
            "preset = \"claude\"\ncommand = [\"claude\", \"a\\u0000\"]",
        ),
        "agent.command[1]",
        &["U+0000"],
    );
}

#[test]
fn caches() {
    assert_error(
        &format!("{GOOD}[[cache]]\nname = \"Venv\"\npath = \"/venv\"\n"),
        "cache[0].name",
        &["Venv", "lowercase"],
    );
    assert_error(
        &format!("{GOOD}[[cache]]\nname = \"venv\"\npath = \"venv\"\n"),
        "cache[0].path",
        &["absolute"],
    );
    assert_error(
        &format!(
            "{GOOD}[[cache]]\nname = \"a\"\npath = \"/x\"\n[[cache]]\nname = \"a\"\npath = \"/y\"\n"
        ),
        "cache[1].name",
        &["used twice"],
    );
    assert_error(
        &format!(
            "{GOOD}[sandbox]\nmount = \"/src/app\"\n[[cache]]\nname = \"a\"\npath = \"/src/app/.agent-sandbox\"\n"
        ),
        "cache[0].path",
        &[".agent-sandbox"],
    );
    assert_error(
        &format!("{GOOD}[[cache]]\nname = \"home\"\npath = \"/home/agent\"\n"),
        "cache[0].path",
        &["home folder"],
    );
}

#[test]
fn package_manager_and_containerfile() {
    let busybox = GOOD.replace(
        "registry.fedoraproject.org/fedora:44",
        "localhost/paddock-dev/busybox:latest",
    );
    assert_error(
        &busybox,
        "image.package_manager",
        &["package manager", "dnf, apt or apk"],
    );
    assert_error(
        &format!(
            "{}packages = [\"git\"]\n",
            busybox.replace("\"claude\"", "\"shell\"")
        ),
        "image.packages",
        &["package manager"],
    );
    assert!(
        Definition::parse(
            &format!("{busybox}package_manager = \"apk\"\n"),
            &Presets::builtin()
        )
        .is_ok()
    );
    assert_error(
        &format!("{GOOD}package_manager = \"pacman\"\n"),
        "image.package_manager",
        &["pacman", "dnf"],
    );
    assert_error(
        &format!("{GOOD}containerfile = \"Dockerfile\"\nuser_home = \"/home/x\"\n"),
        "image.base",
        &["no effect", "Dockerfile"],
    );
    assert_error(
        "version = 1\n[agent]\npreset = \"claude\"\n[image]\ncontainerfile = \"Dockerfile\"\n",
        "image.user_home",
        &["missing"],
    );
    assert_error(
        "version = 1\n[agent]\npreset = \"shell\"\n[image]\ncontainerfile = \"entrypoint.sh\"\n",
        "image.containerfile",
        &["Paddock writes"],
    );
    assert_error(
        &format!("{GOOD}user_home = \"/home/x\"\n"),
        "image.user_home",
        &["only applies"],
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = format!("{GOOD}packages = [\"a b\"]\n[resources]\ncpus = 0\nmemory_mib = 1\n");
    let errors = Definition::parse(&text, &Presets::builtin()).expect_err("refused");
    let keys: Vec<&str> = errors.0.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "image.packages[0]",
            "resources.cpus",
            "resources.memory_mib"
        ]
    );
    assert_eq!(
        errors.for_field("resources.cpus").next(),
        Some(&errors.0[1])
    );
    assert_eq!(errors.for_field("image.packages").count(), 1);
    assert_eq!(errors.for_field("resources").count(), 2);
    assert_eq!(errors.for_field("resources.cpu").count(), 0);
}
