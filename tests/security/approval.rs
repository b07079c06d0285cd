//! Approval through the `paddock` binary, in temporary folders with a
//! temporary home: what `paddock init` writes is approved, what it did not
//! write (a cloned definition, an imported sbx Dockerfile) is not.

use std::path::{Path, PathBuf};
use std::process::Output;

use sandbox::approval::{Approvals, Gate, HostSockets, Status};
use sandbox::definition::Definition;
use sandbox::presets::Presets;
use sandbox::project::Project;
use support::paddock::TestHome;

/// A project folder `name` in the test's home.
fn project(s: &TestHome, name: &str) -> PathBuf {
    let path = s.home().join("src").join(name);
    std::fs::create_dir_all(&path).expect("project folder");
    path
}

/// The approval gate of the project at `root`, as `paddock` in `s` sees it.
fn gate(s: &TestHome, root: &Path) -> Gate {
    let project = Project::open(root, &s.home()).expect("project");
    Approvals::at(s.data().join("paddock/approvals"))
        .gate(
            &project,
            &Presets::builtin(),
            &s.home(),
            &HostSockets::from_env(),
        )
        .expect("gate")
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn init_approves_what_it_wrote_in_the_data_folder() {
    let s = TestHome::new();
    let root = project(&s, "demo");
    let out = s.run(&["init", root.to_str().expect("utf-8"), "--agent", "shell"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(matches!(gate(&s, &root), Gate::Approved(_)));
    let records: Vec<_> = std::fs::read_dir(s.data().join("paddock/approvals"))
        .expect("records in $XDG_DATA_HOME/paddock/approvals")
        .collect();
    assert_eq!(records.len(), 1);
    assert!(
        !root
            .join(".agent-sandbox")
            .read_dir()
            .expect("dir")
            .any(|e| e
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .contains("approv")),
        "nothing about approval is kept in the project"
    );

    // Changing an approved definition with init keeps it approved: the
    // user asked for the change.
    let out = s.run(&[
        "init",
        root.to_str().expect("utf-8"),
        "--cpus",
        "4",
        "--force",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(matches!(gate(&s, &root), Gate::Approved(_)));
}

#[test]
fn init_does_not_approve_a_cloned_definition() {
    let s = TestHome::new();
    let root = project(&s, "cloned");
    std::fs::create_dir_all(root.join(".agent-sandbox")).expect("dir");
    let mut definition = Definition::new("shell", "registry.fedoraproject.org/fedora:44");
    definition.sandbox.mount = Some("/src/cloned".into());
    std::fs::write(
        root.join(".agent-sandbox/paddock.toml"),
        definition.to_toml(),
    )
    .expect("write");
    assert!(matches!(
        gate(&s, &root),
        Gate::NeedsApproval(ref r) if r.status == Status::NeverApproved
    ));

    let out = s.run(&["init", root.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("you have not approved this definition yet"),
        "{}",
        text(&out)
    );
    assert!(matches!(
        gate(&s, &root),
        Gate::NeedsApproval(ref r) if r.status == Status::NeverApproved
    ));
}

#[test]
fn an_imported_sbx_dockerfile_waits_for_review() {
    let s = TestHome::new();
    let root = project(&s, "py-project");
    let dir = root.join(".agent-sandbox");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM registry.fedoraproject.org/fedora:44\nRUN curl -fsSL https://example.invalid/install.sh | bash\n",
    )
    .expect("Dockerfile");
    std::fs::write(
        dir.join("docker-compose.yaml"),
        "services:\n  shell:\n    build:\n      context: .\n    volumes:\n      - ../:/app:U,z\n    working_dir: /app\n",
    )
    .expect("compose");
    let out = s.run(&["init", root.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out));
    let Gate::NeedsApproval(review) = gate(&s, &root) else {
        panic!("the imported Dockerfile was never shown to the user");
    };
    assert_eq!(review.status, Status::NeverApproved);
    assert!(
        review
            .diff
            .contains("+RUN curl -fsSL https://example.invalid/install.sh | bash"),
        "{}",
        review.diff
    );
}
