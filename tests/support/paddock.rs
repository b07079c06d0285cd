//! The `paddock` binary under test, run in a home of the test's own so that
//! it reads and writes none of the developer's settings, approvals or keys.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::podman::{ProjectCleanup, base_image};

/// The `paddock` binary cargo built next to the running test. Only the
/// tests of the package that has the binary (`paddock`) can rely on it
/// being there: cargo builds it before running them.
pub fn binary() -> PathBuf {
    let test = std::env::current_exe().expect("the test's own path");
    // target/<profile>/deps/<test>-<hash> -> target/<profile>/paddock
    let binary = test
        .ancestors()
        .nth(2)
        .expect("the test runs from cargo's target folder")
        .join("paddock");
    assert!(
        binary.is_file(),
        "{} is not built: only the tests of the paddock package (cargo test -p paddock) can run it",
        binary.display()
    );
    binary
}

/// Fails the test unless `paddock` succeeded, with what it said on stderr.
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "paddock failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A temporary folder holding HOME and the XDG data, config and cache
/// folders, removed when dropped.
pub struct TestHome {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl TestHome {
    pub fn new() -> TestHome {
        let dir = tempfile::Builder::new()
            .prefix("paddock-test-home")
            .tempdir()
            .expect("a temp folder");
        let root = dir.path().canonicalize().expect("a canonical temp folder");
        let home = TestHome { _dir: dir, root };
        for folder in [home.home(), home.data(), home.config(), home.cache()] {
            std::fs::create_dir_all(folder).expect("a folder of the test home");
        }
        home
    }

    /// The temporary folder itself, for whatever else the test keeps there.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// HOME.
    pub fn home(&self) -> PathBuf {
        self.root.join("home")
    }

    /// XDG_DATA_HOME: approvals, the window's project list.
    pub fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    /// XDG_CONFIG_HOME: user presets, settings.
    pub fn config(&self) -> PathBuf {
        self.root.join("config")
    }

    /// XDG_CACHE_HOME.
    pub fn cache(&self) -> PathBuf {
        self.root.join("cache")
    }

    /// `program` with this home.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .env("HOME", self.home())
            .env("XDG_DATA_HOME", self.data())
            .env("XDG_CONFIG_HOME", self.config())
            .env("XDG_CACHE_HOME", self.cache());
        command
    }

    /// `paddock` with this home, speaking English whatever the developer's
    /// locale.
    pub fn paddock(&self) -> Command {
        let mut command = self.command(binary());
        command.env("LANG", "C");
        command
    }

    /// Runs `paddock ARGS` with this home to its end.
    pub fn run(&self, args: &[&str]) -> Output {
        self.paddock().args(args).output().expect("paddock runs")
    }
}

impl Default for TestHome {
    fn default() -> TestHome {
        TestHome::new()
    }
}

/// A project folder set up with `paddock init --agent shell` on the local
/// base image, in a home of its own; what podman made for it is removed
/// with the folder when dropped.
pub struct TestProject {
    pub root: PathBuf,
    _cleanup: ProjectCleanup,
    home: TestHome,
}

impl TestProject {
    /// `extra` are more options of `paddock init`. Without a network
    /// option the project gets `--network full`, as definitions had before
    /// there were modes: the tests of the gateway ask for `allowlist`.
    pub fn init(test: &str, extra: &[&str]) -> TestProject {
        let home = TestHome::new();
        let root = home.path().join(crate::unique(test));
        std::fs::create_dir(&root).expect("the project folder");
        let project = TestProject {
            _cleanup: ProjectCleanup(root.clone()),
            root,
            home,
        };
        let output = project
            .paddock()
            .args(["init", "--agent", "shell", "--base", &base_image()])
            .args(extra)
            .args(
                (!extra.iter().any(|e| *e == "--network" || *e == "--offline"))
                    .then_some(["--network", "full"])
                    .into_iter()
                    .flatten(),
            )
            .arg(&project.root)
            .output()
            .expect("paddock init runs");
        assert_success(&output);
        project
    }

    pub fn home(&self) -> &TestHome {
        &self.home
    }

    /// `paddock` in this project's home.
    pub fn paddock(&self) -> Command {
        self.home.paddock()
    }

    /// Runs `paddock ARGS` in this project's home to its end.
    pub fn run(&self, args: &[&str]) -> Output {
        self.home.run(args)
    }

    pub fn path(&self) -> &str {
        self.root.to_str().expect("temp paths are text")
    }
}
