//! The agent's settings are each project's own, its login is every
//! project's, through the `paddock` binary and the real podman service: what
//! project A's agent writes into its settings folder (a hook, an MCP server)
//! is not in project B's, while the login file A's agent refreshed is the
//! one B's agent finds, also when it was replaced by a rename. The login of
//! an earlier version's shared home is carried over, but a link there to a
//! file of the host is not followed.

// Its helpers, like its test, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use support::paddock::{TestHome, assert_success};
use support::podman::{ProjectCleanup, base_image, containers_of, podman};

/// The volumes of a "shell" agent with a settings folder, which only this
/// test has.
const LOGIN_VOLUME: &str = "paddock-shell-login";
const OLD_SHARED_HOME: &str = "paddock-shell-home";

/// Removes the agent's volumes before and after the test (the per-project
/// homes go with their projects' sandboxes).
struct Volumes(Vec<String>);

impl Drop for Volumes {
    fn drop(&mut self) {
        for volume in &self.0 {
            let _ = podman(&["volume", "rm", "-f", volume]);
        }
    }
}

fn volume_folder(volume: &str) -> PathBuf {
    let (ok, out) = podman(&["volume", "inspect", "--format", "{{.Mountpoint}}", volume]);
    assert!(ok, "{out}");
    PathBuf::from(out.trim())
}

struct Projects {
    home: TestHome,
    _cleanups: Vec<ProjectCleanup>,
}

impl Projects {
    fn project(&mut self, name: &str) -> PathBuf {
        let root = self.home.path().join(support::unique(name));
        std::fs::create_dir(&root).unwrap();
        self._cleanups.push(ProjectCleanup(root.clone()));
        let init = self.home.run(&[
            "init",
            "--agent",
            "shell",
            "--container",
            "--base",
            &base_image(),
            root.to_str().unwrap(),
        ]);
        assert_success(&init);
        root
    }

    /// Runs `script` as the agent of `project`: its stdout.
    fn run(&self, project: &Path, script: &str) -> String {
        let ran = self
            .home
            .run(&["run", project.to_str().unwrap(), "--", "sh", "-c", script]);
        let out = String::from_utf8_lossy(&ran.stdout).into_owned();
        assert!(
            ran.status.success(),
            "{out}{}",
            String::from_utf8_lossy(&ran.stderr)
        );
        out
    }
}

#[test]
fn settings_are_the_projects_own_and_the_login_is_shared() {
    let volumes = || Volumes(vec![LOGIN_VOLUME.into(), OLD_SHARED_HOME.into()]);
    // Left by an earlier run that failed, then removed at the end.
    drop(volumes());
    let _volumes = volumes();
    let home = TestHome::new();
    let agents = home.config().join("paddock/agents");
    std::fs::create_dir_all(&agents).unwrap();
    std::fs::write(
        agents.join("shell.toml"),
        "name = \"Shell\"\ncommand = []\nconfig_dir = \".probe\"\nlogin = [\"login.json\", \"token.json\"]\n",
    )
    .unwrap();
    let mut projects = Projects {
        home,
        _cleanups: Vec::new(),
    };

    // An earlier version's shared home: a login, and a link that an agent
    // there aimed at a file of the host.
    let (ok, out) = podman(&["volume", "create", OLD_SHARED_HOME]);
    assert!(ok, "{out}");
    let old = volume_folder(OLD_SHARED_HOME);
    std::fs::write(old.join("login.json"), "old-login").unwrap();
    let host_file = projects.home.path().join("host-secret");
    std::fs::write(&host_file, "host-secret-bytes").unwrap();
    std::os::unix::fs::symlink(&host_file, old.join("token.json")).unwrap();
    std::fs::write(old.join("settings.json"), "old-hooks").unwrap();

    let a = projects.project("home-a");
    let b = projects.project("home-b");
    let out = projects.run(
        &a,
        "cat ~/.probe/login.json; echo; cat ~/.probe/token.json 2>/dev/null || echo no-token; \
         [ -e ~/.probe/settings.json ] && echo old-settings-mounted; \
         echo hooks-of-a > ~/.probe/settings.json; echo login-of-a > ~/.probe/login.json; \
         ln -sfn /src/elsewhere /.paddock/login/token.json",
    );
    assert!(
        out.contains("old-login"),
        "the login was not carried over: {out}"
    );
    assert!(
        out.contains("no-token"),
        "a link out of the volume was followed: {out}"
    );
    assert!(!out.contains("host-secret-bytes"), "{out}");
    assert!(!out.contains("old-settings-mounted"), "{out}");

    let out = projects.run(
        &b,
        "cat ~/.probe/login.json; echo; cat ~/.probe/settings.json 2>/dev/null || echo own-settings; \
         [ -L /.paddock/login/token.json ] && echo link-kept; \
         echo renamed-login > ~/.probe/new && mv ~/.probe/new ~/.probe/login.json",
    );
    assert!(out.contains("login-of-a"), "the login is not shared: {out}");
    assert!(
        out.contains("own-settings"),
        "A's settings reached B: {out}"
    );
    assert!(
        !out.contains("link-kept"),
        "A's link in the login volume: {out}"
    );
    assert!(!out.contains("hooks-of-a"), "{out}");

    // B's agent replaced the link with a file of its own, the newer login:
    // B's next start puts it into the login volume and links it again.
    let out = projects.run(
        &b,
        "cat ~/.probe/login.json; echo; [ -L ~/.probe/login.json ] && echo linked",
    );
    assert!(
        out.contains("renamed-login") && out.contains("linked"),
        "{out}"
    );
    let out = projects.run(
        &a,
        "cat ~/.probe/login.json; echo; cat ~/.probe/settings.json",
    );
    assert!(out.contains("renamed-login"), "{out}");
    assert!(
        out.contains("hooks-of-a"),
        "A keeps its own settings: {out}"
    );
    assert_eq!(
        std::fs::read_to_string(volume_folder(LOGIN_VOLUME).join("login.json")).unwrap(),
        "renamed-login\n"
    );

    // Each project's settings volume goes with its sandbox.
    for project in [&a, &b] {
        for sandbox in containers_of(project) {
            assert_success(&projects.home.run(&["rm", "--volumes", &sandbox]));
        }
    }
}
