//! `paddock init` end to end, through the built binary, in temporary folders
//! with a temporary home.

use std::path::{Path, PathBuf};
use std::process::Output;

use sandbox::definition::{Definition, NetworkMode, Runtime};
use sandbox::host_facts::default_base_image;
use sandbox::presets::Presets;
use support::paddock::TestHome;

/// A project folder `name` in the test's work folder.
fn project(s: &TestHome, name: &str) -> PathBuf {
    let path = work(s).join(name);
    std::fs::create_dir_all(&path).expect("project folder");
    path
}

/// Where the test's projects are: beside its home, not in it.
fn work(s: &TestHome) -> PathBuf {
    let work = s.path().join("work");
    std::fs::create_dir_all(&work).expect("work folder");
    work
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn definition(project: &Path) -> Definition {
    let text =
        std::fs::read_to_string(project.join(".agent-sandbox/paddock.toml")).expect("paddock.toml");
    Definition::parse(&text, &Presets::builtin()).expect("a valid definition")
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
fn writes_a_fresh_sandbox() {
    let s = TestHome::new();
    let project = project(&s, "My App");
    let out = s.run(&["init", arg(&project)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Wrote paddock.toml, Containerfile, entrypoint.sh, compose.yaml"),
        "{}",
        stdout(&out)
    );

    let definition = definition(&project);
    let os_release = std::fs::read_to_string("/etc/os-release").ok();
    assert_eq!(
        definition.image.base.as_deref(),
        Some(default_base_image(os_release.as_deref()).as_str())
    );
    assert_eq!(definition.agent.preset.as_deref(), Some("claude"));
    assert_eq!(definition.sandbox.mount.as_deref(), Some("/src/My-App"));
    assert_eq!(definition.sandbox.runtime, Runtime::Krun);

    let dir = project.join(".agent-sandbox");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.join("entrypoint.sh"))
        .expect("entrypoint")
        .permissions()
        .mode();
    assert_eq!(mode & 0o111, 0o111, "the entrypoint is executable");
    let compose = std::fs::read_to_string(dir.join("compose.yaml")).expect("compose");
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&compose).expect("YAML");
    assert_eq!(
        yaml["services"]["agent"]["working_dir"].as_str(),
        Some("/src/My-App")
    );
    let containerfile = std::fs::read_to_string(dir.join("Containerfile")).expect("Containerfile");
    assert!(containerfile.contains("WORKDIR /src/My-App"));
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files are left");

    // Running it again changes nothing and succeeds.
    let before = std::fs::read_to_string(dir.join("paddock.toml")).expect("toml");
    let out = s.run(&["init", arg(&project)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.join("paddock.toml")).expect("toml"),
        before
    );
}

#[test]
fn options_become_the_definition() {
    let s = TestHome::new();
    let project = project(&s, "app");
    let out = s.run(&[
        "init",
        arg(&project),
        "--agent",
        "codex",
        "--cpus",
        "6",
        "--memory",
        "6144",
        "--base",
        "docker.io/library/debian:trixie",
        "--offline",
        "--container",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("container only"), "{}", stdout(&out));
    let definition = definition(&project);
    assert_eq!(definition.agent.preset.as_deref(), Some("codex"));
    assert_eq!(
        (definition.resources.cpus, definition.resources.memory_mib),
        (6, 6144)
    );
    assert_eq!(definition.network_mode(), NetworkMode::Offline);
    assert_eq!(definition.sandbox.runtime, Runtime::Container);
    let containerfile = std::fs::read_to_string(project.join(".agent-sandbox/Containerfile"))
        .expect("Containerfile");
    assert!(containerfile.contains("apt-get install"), "{containerfile}");
}

#[test]
fn a_different_definition_needs_force() {
    let s = TestHome::new();
    let project = project(&s, "app");
    assert!(s.run(&["init", arg(&project)]).status.success());
    let before =
        std::fs::read_to_string(project.join(".agent-sandbox/paddock.toml")).expect("toml");

    let out = s.run(&["init", arg(&project), "--cpus", "8", "--agent", "gemini"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("already holds a different definition"),
        "{err}"
    );
    assert!(err.contains("resources.cpus: 2 -> 8"), "{err}");
    assert!(
        err.contains("agent.preset: \"claude\" -> \"gemini\""),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        std::fs::read_to_string(project.join(".agent-sandbox/paddock.toml")).expect("toml"),
        before,
        "nothing changed"
    );

    let out = s.run(&[
        "init",
        arg(&project),
        "--cpus",
        "8",
        "--agent",
        "gemini",
        "--force",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let definition = definition(&project);
    assert_eq!(definition.resources.cpus, 8);
    assert_eq!(definition.agent.preset.as_deref(), Some("gemini"));
}

#[test]
fn a_broken_definition_is_reported_and_kept() {
    let s = TestHome::new();
    let project = project(&s, "app");
    std::fs::create_dir_all(project.join(".agent-sandbox")).expect("dir");
    std::fs::write(
        project.join(".agent-sandbox/paddock.toml"),
        "version = 1\n[resources]\ncpus = 0\n",
    )
    .expect("write");
    let out = s.run(&["init", arg(&project)]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("resources.cpus: 0 is out of range; allowed: 1 to 64"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    let out = s.run(&["init", arg(&project), "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(definition(&project).resources.cpus, 2);
}

#[test]
fn bad_options_are_refused_before_anything_is_written() {
    let s = TestHome::new();
    let project = project(&s, "app");
    for (args, expected) in [
        (
            &["--cpus", "0"][..],
            "resources.cpus: 0 is out of range; allowed: 1 to 64",
        ),
        (
            &["--memory", "64"][..],
            "resources.memory_mib: 64 is out of range; allowed: 512 to 262144 MiB",
        ),
        (
            &["--agent", "nope"][..],
            "agent.preset: \"nope\" is not a known agent",
        ),
        (
            &["--base", "fedora:44; rm -rf ~"][..],
            "image.base: \"fedora:44; rm -rf ~\" contains ';'",
        ),
        (
            &["--base", "localhost/paddock-dev/busybox:latest"][..],
            "image.package_manager: the agent needs OS packages",
        ),
    ] {
        let mut all = vec!["init", arg(&project)];
        all.extend_from_slice(args);
        let out = s.run(&all);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            !project.join(".agent-sandbox").exists(),
            "{args:?} wrote nothing"
        );
    }
}

#[test]
fn refused_places_each_say_why() {
    let s = TestHome::new();
    for secret in [".ssh", ".gnupg", ".local/share/keyrings"] {
        std::fs::create_dir_all(s.home().join(secret)).expect("secret folder");
    }
    let link = work(&s).join("link-to-home");
    std::os::unix::fs::symlink(s.home(), &link).expect("symlink");
    let home = arg(&s.home()).to_owned();
    let cases = [
        ("/".to_owned(), "the root folder / cannot be a project"),
        (home.clone(), "is your home folder"),
        (arg(&link).to_owned(), "is your home folder"),
        (format!("{home}/.ssh"), "your SSH keys"),
        (format!("{home}/.gnupg"), "your GnuPG keys"),
        (format!("{home}/.local/share"), "your keyrings"),
        ("/etc".to_owned(), "is a system folder (/etc)"),
        ("/usr/share".to_owned(), "is a system folder (/usr)"),
        ("/var".to_owned(), "is a system folder (/var)"),
        (arg(&work(&s).join("missing")).to_owned(), "does not exist"),
    ];
    for (path, expected) in cases {
        let out = s.run(&["init", &path]);
        assert!(!out.status.success(), "{path} must be refused");
        let err = stderr(&out);
        assert!(err.contains(expected), "{path}: {err}");
    }
    assert!(
        !s.home().join(".agent-sandbox").exists() && !s.home().join(".ssh/.agent-sandbox").exists()
    );
}

const SEED_DOCKERFILE: &str = r#"FROM fedora:44
ARG HOST_UID=1000
ARG HOST_GID=1000
# Create group and user matching host UID/GID
RUN groupadd -g ${HOST_GID} appuser && \
    useradd -u ${HOST_UID} -g ${HOST_GID} -m appuser
RUN mkdir -p /venv && chown appuser:appuser /venv
RUN mkdir -p /home/appuser/.claude && chown appuser:appuser /home/appuser/.claude
USER appuser
RUN curl -LsSf https://astral.sh/uv/install.sh | sh && \
    curl -fsSL https://claude.ai/install.sh | bash
USER root
RUN dnf install git make vim free libpq-devel python3-devel gcc -y && \
    dnf clean all
COPY --chown=appuser entrypoint.sh /entrypoint.sh
RUN chmod +x /entrypoint.sh
USER appuser
WORKDIR /app
ENV PATH="/home/appuser/.local/bin:$PATH"
ENTRYPOINT ["/entrypoint.sh"]
CMD ["/bin/bash"]
"#;

const SEED_COMPOSE: &str = r#"services:
  claude:
    container_name: project-name-claude
    annotations:
      run.oci.handler: krun
      krun.ram_mib: "4096"
      krun.cpus: "4"
    user: "${HOST_UID}:${HOST_GID}"
    userns_mode: keep-id
    build:
      context: .
      args:
        HOST_UID: "${HOST_UID}"
        HOST_GID: "${HOST_GID}"
    volumes:
      - ../:/app:U,z
      - project-name-venv-cache:/venv:U,z
      - claude-config:/home/appuser/.claude:U,z
    working_dir: /app
    stdin_open: true
    tty: true
    environment:
      - CLAUDE_CONFIG_DIR=/home/appuser/.claude
      - UV_LINK_MODE=copy
      - UV_PROJECT_ENVIRONMENT=/venv/env
      - UV_PYTHON_INSTALL_DIR=/venv/python
      - TERM=xterm-256color
      - COLORTERM=truecolor
volumes:
  project-name-venv-cache:
  claude-config:
    external: true
    name: claude-config
"#;

const SEED_ENTRYPOINT: &str = "#!/bin/bash\nset -e\nuv sync\nexec \"$@\"\n";

#[test]
fn imports_an_sbx_project() {
    let s = TestHome::new();
    let project = project(&s, "py-project");
    let dir = project.join(".agent-sandbox");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("Dockerfile"), SEED_DOCKERFILE).expect("Dockerfile");
    std::fs::write(dir.join("docker-compose.yaml"), SEED_COMPOSE).expect("compose");
    std::fs::write(dir.join("entrypoint.sh"), SEED_ENTRYPOINT).expect("entrypoint");

    let out = s.run(&["init", arg(&project)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Importing the sbx setup"), "{text}");
    assert!(text.contains("entrypoint.sbx.sh"), "{text}");
    assert!(
        text.contains("Wrote paddock.toml, entrypoint.sh, compose.yaml"),
        "{text}"
    );

    let definition = definition(&project);
    assert_eq!(definition.agent.preset.as_deref(), Some("claude"));
    assert_eq!(
        definition.image.containerfile.as_deref(),
        Some("Dockerfile")
    );
    assert_eq!(definition.image.user_home.as_deref(), Some("/home/appuser"));
    assert_eq!(definition.image.base, None);
    assert_eq!(
        (definition.resources.cpus, definition.resources.memory_mib),
        (4, 4096)
    );
    assert_eq!(definition.sandbox.mount.as_deref(), Some("/app"));
    assert_eq!(definition.caches.len(), 1);
    assert_eq!(
        (
            definition.caches[0].name.as_str(),
            definition.caches[0].path.as_str()
        ),
        ("project-name-venv-cache", "/venv")
    );
    assert_eq!(
        definition.env.get("UV_LINK_MODE").map(String::as_str),
        Some("copy")
    );
    assert_eq!(
        definition
            .env
            .get("UV_PROJECT_ENVIRONMENT")
            .map(String::as_str),
        Some("/venv/env")
    );
    assert!(
        !definition.env.contains_key("CLAUDE_CONFIG_DIR"),
        "the preset sets it"
    );

    assert_eq!(
        std::fs::read_to_string(dir.join("Dockerfile")).expect("Dockerfile"),
        SEED_DOCKERFILE,
        "kept as it was"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("entrypoint.sbx.sh")).expect("kept"),
        SEED_ENTRYPOINT
    );
    let entrypoint = std::fs::read_to_string(dir.join("entrypoint.sh")).expect("entrypoint");
    assert!(
        entrypoint.contains("paddock-sandbox guest-kernel="),
        "Paddock's entrypoint is in place"
    );
    assert!(
        !dir.join("Containerfile").exists(),
        "no generated Containerfile next to the kept Dockerfile"
    );
    let compose: serde_yaml_ng::Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(dir.join("compose.yaml")).expect("compose"),
    )
    .expect("YAML");
    assert_eq!(
        compose["services"]["agent"]["build"]["dockerfile"].as_str(),
        Some("Dockerfile")
    );
    assert_eq!(
        compose["services"]["agent"]["annotations"]["krun.cpus"].as_str(),
        Some("4")
    );

    // Once imported, init is an ordinary re-run.
    let out = s.run(&["init", arg(&project)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("Importing"), "{}", stdout(&out));
}
