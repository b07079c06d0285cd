//! `paddock.toml` is the user's file: the CLI's writers keep its comments
//! and layout, and a broken file is reported whole, each problem on its own
//! line with the line and column it is at.

use std::path::Path;

use support::paddock::{TestProject, assert_success};

/// Records the definition as it is on disk as approved, where the
/// project's `paddock` keeps its approvals (as the user's review would).
fn approve(project: &TestProject) {
    let home = project.home();
    let opened = sandbox::project::Project::open(&project.root, &home.home()).expect("a project");
    sandbox::approval::Approvals::at(home.data().join("paddock/approvals"))
        .approve_written(
            &opened,
            &sandbox::presets::Presets::builtin(),
            &home.home(),
            &sandbox::approval::HostSockets::from_env(),
        )
        .expect("approve");
}

/// `text` with comments, blank lines and a trailing comment on every value
/// line, as a person keeps a shared file.
fn commented(text: &str) -> String {
    let mut out = String::from("# Shared with the team: ask before changing.\n\n");
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        if line.starts_with('[') {
            out.push_str(&format!("\n# About {line}\n{line}\n"));
        } else if line.contains('=') {
            out.push_str(&format!("{line}  # kept\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn definition_text(root: &Path) -> String {
    std::fs::read_to_string(root.join(".agent-sandbox/paddock.toml")).unwrap()
}

#[test]
fn net_allow_keeps_every_comment_and_adds_only_its_line() {
    let project = TestProject::init("keep-comments", &["--container", "--network", "allowlist"]);
    let file = project.root.join(".agent-sandbox/paddock.toml");
    let before = commented(&definition_text(&project.root));
    std::fs::write(&file, &before).unwrap();
    approve(&project);

    assert_success(&project.run(&["net", "allow", "example.org", project.path()]));
    let after = definition_text(&project.root);
    let added: Vec<&str> = after
        .lines()
        .filter(|line| !before.lines().any(|b| b == *line))
        .collect();
    assert_eq!(added, ["allow = [\"example.org\"]"], "{after}");
    let kept: Vec<&str> = after.lines().filter(|l| added[0] != *l).collect();
    assert_eq!(kept, before.lines().collect::<Vec<_>>(), "{after}");

    // Another host goes after the first, in the same list.
    assert_success(&project.run(&["net", "allow", "example.net", project.path()]));
    let again = definition_text(&project.root);
    assert_eq!(
        again,
        after.replace(
            "allow = [\"example.org\"]",
            "allow = [\"example.org\", \"example.net\"]"
        )
    );
}

#[test]
fn init_with_a_changed_setting_keeps_the_comments() {
    let project = TestProject::init("keep-init", &["--container"]);
    let file = project.root.join(".agent-sandbox/paddock.toml");
    let before = commented(&definition_text(&project.root));
    std::fs::write(&file, &before).unwrap();
    approve(&project);
    assert_success(&project.run(&["init", "--force", "--cpus", "3", project.path()]));
    let after = definition_text(&project.root);
    let changed: Vec<(&str, &str)> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(before.lines().count(), after.lines().count(), "{after}");
    assert_eq!(changed.len(), 1, "{after}");
    assert!(changed[0].1.starts_with("cpus = 3"), "{changed:?}");
    assert!(changed[0].1.ends_with("# kept"), "{changed:?}");
}

#[test]
fn build_run_and_init_list_every_problem_with_its_line_and_column() {
    let project = TestProject::init("every-problem", &["--container"]);
    let file = project.root.join(".agent-sandbox/paddock.toml");
    let text = definition_text(&project.root);
    // A syntax error in [resources], a type error in [sandbox] and an
    // unknown key in a table of its own, plus a bad value in [image].
    let broken = text
        .replace("[resources]", "[resources\n")
        .replace("[sandbox]", "[sandbox]\nwritable = \"no list\"")
        .replace("[image]", "[image]\npackages = [\"two words\"]")
        + "\n[bogus]\nx = 1\n";
    std::fs::write(&file, &broken).unwrap();
    let line_of = |needle: &str| {
        broken
            .lines()
            .position(|l| l.starts_with(needle))
            .map(|i| i + 1)
            .unwrap()
    };
    for args in [
        vec!["build", project.path()],
        vec!["run", "--detach", project.path()],
        vec!["init", project.path()],
    ] {
        let output = project.run(&args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        for (line, key) in [
            (line_of("[resources"), "resources"),
            (line_of("writable"), "sandbox.writable"),
            (line_of("[bogus]"), "bogus"),
            (line_of("packages"), "image.packages[0]"),
        ] {
            let prefix = format!("{line}:");
            assert!(
                stderr
                    .lines()
                    .any(|l| l.trim_start().starts_with(&prefix)
                        && l.contains(&format!(": {key}: "))),
                "{args:?}: no line {line} for {key} in:\n{stderr}"
            );
        }
    }
}

#[test]
fn an_unreadable_definition_is_reported_in_words_with_the_system_text_as_detail() {
    use std::os::unix::fs::PermissionsExt;
    let project = TestProject::init("unreadable", &["--container"]);
    let file = project.root.join(".agent-sandbox/paddock.toml");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    let output = project.run(&["build", project.path()]);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("you do not have permission: Permission denied (os error 13)"),
        "{stderr}"
    );
}
