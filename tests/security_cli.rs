//! Approval through the `paddock` binary, in temporary folders with a
//! temporary home: what `paddock init` writes is approved, what it did not
//! write (a cloned definition, an imported sbx Dockerfile) is not.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sandbox::approval::{Approvals, Gate, HostSockets, Status};
use sandbox::definition::Definition;
use sandbox::presets::Presets;
use sandbox::project::Project;

struct Setup {
    _dir: tempfile::TempDir,
    home: PathBuf,
    data: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = dir.path().canonicalize().expect("canonical");
    let home = base.join("home");
    std::fs::create_dir_all(&home).expect("home");
    Setup {
        data: base.join("data"),
        home,
        _dir: dir,
    }
}

impl Setup {
    fn project(&self, name: &str) -> PathBuf {
        let path = self.home.join("src").join(name);
        std::fs::create_dir_all(&path).expect("project folder");
        path
    }

    fn paddock(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_paddock"))
            .args(args)
            .env("HOME", &self.home)
            .env("XDG_DATA_HOME", &self.data)
            .env_remove("XDG_CONFIG_HOME")
            .env("LANG", "C")
            .output()
            .expect("run paddock")
    }

    fn gate(&self, root: &Path) -> Gate {
        let project = Project::open(root, &self.home).expect("project");
        Approvals::at(self.data.join("paddock/approvals"))
            .gate(
                &project,
                &Presets::builtin(),
                &self.home,
                &HostSockets::from_env(),
            )
            .expect("gate")
    }
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn init_approves_what_it_wrote_in_the_data_folder() {
    let s = setup();
    let root = s.project("demo");
    let out = s.paddock(&["init", root.to_str().expect("utf-8"), "--agent", "shell"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(matches!(s.gate(&root), Gate::Approved(_)));
    let records: Vec<_> = std::fs::read_dir(s.data.join("paddock/approvals"))
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
    let out = s.paddock(&[
        "init",
        root.to_str().expect("utf-8"),
        "--cpus",
        "4",
        "--force",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(matches!(s.gate(&root), Gate::Approved(_)));
}

#[test]
fn init_does_not_approve_a_cloned_definition() {
    let s = setup();
    let root = s.project("cloned");
    std::fs::create_dir_all(root.join(".agent-sandbox")).expect("dir");
    let mut definition = Definition::new("shell", "registry.fedoraproject.org/fedora:44");
    definition.sandbox.mount = Some("/src/cloned".into());
    std::fs::write(
        root.join(".agent-sandbox/paddock.toml"),
        definition.to_toml(),
    )
    .expect("write");
    assert!(matches!(
        s.gate(&root),
        Gate::NeedsApproval(ref r) if r.status == Status::NeverApproved
    ));

    let out = s.paddock(&["init", root.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("you have not approved this definition yet"),
        "{}",
        text(&out)
    );
    assert!(matches!(
        s.gate(&root),
        Gate::NeedsApproval(ref r) if r.status == Status::NeverApproved
    ));
}

#[test]
fn an_imported_sbx_dockerfile_waits_for_review() {
    let s = setup();
    let root = s.project("py-project");
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
    let out = s.paddock(&["init", root.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out));
    let Gate::NeedsApproval(review) = s.gate(&root) else {
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
