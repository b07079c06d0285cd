//! The files the host runs are read-only inside the sandbox: which binds
//! the plan adds on top of the project, and what an agent's tricks with
//! `.git` make of them.

use std::path::{Path, PathBuf};

use sandbox::definition::Definition;
use sandbox::plan::SandboxPlan;

use super::plan::{base, plan_for};

fn project(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join(name);
    std::fs::create_dir_all(&root).expect("project");
    let root = root.canonicalize().expect("canonical");
    (dir, root)
}

fn git_init(root: &Path) {
    let git = root.join(".git");
    std::fs::create_dir_all(git.join("hooks")).expect("hooks");
    std::fs::create_dir_all(git.join("objects")).expect("objects");
    std::fs::write(git.join("config"), "[core]\n\tbare = false\n").expect("config");
    std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").expect("HEAD");
}

/// (source relative to the project, target, read-only) of the binds after
/// the project itself and `.agent-sandbox/`.
fn protected(plan: &SandboxPlan, root: &Path) -> Vec<(String, String, bool)> {
    plan.container.binds[2..]
        .iter()
        .map(|b| {
            (
                b.source
                    .strip_prefix(root)
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|_| b.source.display().to_string()),
                b.target.clone(),
                b.read_only,
            )
        })
        .collect()
}

#[test]
fn git_hooks_and_config_are_mounted_read_only_on_top_of_the_project() {
    let (_dir, root) = project("demo");
    git_init(&root);
    let plan = plan_for(&root, &base());
    assert_eq!(
        protected(&plan, &root),
        vec![
            // In place, so that the folder holding the others cannot be moved aside.
            (".git".into(), "/src/demo/.git".into(), false),
            (".git/config".into(), "/src/demo/.git/config".into(), true),
            (".git/hooks".into(), "/src/demo/.git/hooks".into(), true),
        ]
    );
}

#[test]
fn a_project_without_git_gets_no_extra_binds() {
    let (_dir, root) = project("plain");
    let plan = plan_for(&root, &base());
    assert!(protected(&plan, &root).is_empty());
}

#[test]
fn a_missing_hooks_folder_is_made_so_that_the_agent_cannot_make_one() {
    let (_dir, root) = project("nohooks");
    git_init(&root);
    std::fs::remove_dir(root.join(".git/hooks")).expect("rm hooks");
    let plan = plan_for(&root, &base());
    assert!(root.join(".git/hooks").is_dir());
    assert!(
        protected(&plan, &root)
            .iter()
            .any(|(source, _, ro)| source == ".git/hooks" && *ro)
    );
}

#[test]
fn submodules_and_worktrees_inside_the_project_are_protected_too() {
    let (_dir, root) = project("super");
    git_init(&root);
    // A submodule checked out at lib/a (its name has a slash), and one nested in it.
    let module = root.join(".git/modules/lib/a");
    std::fs::create_dir_all(module.join("hooks")).expect("module hooks");
    std::fs::write(module.join("config"), "[core]\n").expect("module config");
    let nested = module.join("modules/inner");
    std::fs::create_dir_all(&nested).expect("nested");
    std::fs::write(nested.join("config"), "[core]\n").expect("nested config");
    std::fs::create_dir_all(root.join("lib/a")).expect("checkout");
    std::fs::write(
        root.join("lib/a/.git"),
        "gitdir: ../../.git/modules/lib/a\n",
    )
    .expect("pointer");
    std::fs::write(
        root.join(".gitmodules"),
        "[submodule \"lib/a\"]\n\tpath = lib/a\n\turl = x\n[submodule \"evil\"]\n\tpath = ../outside\n",
    )
    .expect("gitmodules");
    // A linked worktree inside the project, with a configuration of its own.
    let admin = root.join(".git/worktrees/wt");
    std::fs::create_dir_all(&admin).expect("admin");
    std::fs::write(admin.join("config.worktree"), "[core]\n").expect("wt config");
    std::fs::create_dir_all(root.join("wt")).expect("worktree");
    std::fs::write(root.join("wt/.git"), "gitdir: ../.git/worktrees/wt\n").expect("wt pointer");
    std::fs::write(
        admin.join("gitdir"),
        format!("{}\n", root.join("wt/.git").display()),
    )
    .expect("gitdir");

    let plan = plan_for(&root, &base());
    let sources: Vec<String> = protected(&plan, &root).into_iter().map(|b| b.0).collect();
    let in_place: Vec<String> = protected(&plan, &root)
        .into_iter()
        .filter(|b| !b.2)
        .map(|b| b.0)
        .collect();
    assert_eq!(
        in_place,
        [
            ".git",
            ".git/modules/lib/a",
            ".git/modules/lib/a/modules/inner"
        ]
    );
    for expected in [
        ".git/config",
        ".git/hooks",
        ".git/modules/lib/a/config",
        ".git/modules/lib/a/hooks",
        ".git/modules/lib/a/modules/inner/config",
        ".git/modules/lib/a/modules/inner/hooks",
        ".git/worktrees/wt/config.worktree",
        "lib/a/.git",
        "wt/.git",
    ] {
        assert!(
            sources.iter().any(|s| s == expected),
            "{expected} in {sources:?}"
        );
    }
    assert!(
        plan.container
            .binds
            .iter()
            .all(|b| b.source.starts_with(&root)),
        "nothing outside the project: {:?}",
        plan.container.binds
    );
}

#[test]
fn a_git_file_pointing_outside_the_project_is_read_only_and_never_followed() {
    let (dir, root) = project("pointer");
    let outside = dir.path().join("elsewhere.git");
    std::fs::create_dir_all(outside.join("hooks")).expect("outside");
    std::fs::write(outside.join("config"), "[core]\n").expect("outside config");
    std::fs::write(
        root.join(".git"),
        format!("gitdir: {}\n", outside.display()),
    )
    .expect("pointer");
    let plan = plan_for(&root, &base());
    assert_eq!(
        protected(&plan, &root),
        vec![(".git".into(), "/src/pointer/.git".into(), true)]
    );
}

#[test]
fn a_git_config_replaced_by_a_symbolic_link_stops_the_plan_with_what_to_do() {
    let (dir, root) = project("linked");
    git_init(&root);
    let target = dir.path().join("gitconfig");
    std::fs::write(&target, "[core]\n").expect("target");
    std::fs::remove_file(root.join(".git/config")).expect("rm");
    std::os::unix::fs::symlink(&target, root.join(".git/config")).expect("link");
    let result = std::panic::catch_unwind(|| plan_for(&root, &base()));
    let message = match result {
        Ok(_) => panic!("a linked .git/config was planned"),
        Err(panic) => panic.downcast_ref::<String>().cloned().unwrap_or_default(),
    };
    assert!(message.contains("HostRunLink"), "{message}");
    assert!(message.contains(".git/config"), "{message}");
}

#[test]
fn a_path_the_definition_makes_writable_is_not_mounted_read_only() {
    let (_dir, root) = project("optout");
    git_init(&root);
    let mut definition: Definition = base();
    definition.sandbox.writable = vec![".git/hooks".into()];
    let plan = plan_for(&root, &definition);
    assert_eq!(
        protected(&plan, &root),
        vec![
            (".git".into(), "/src/optout/.git".into(), false),
            (".git/config".into(), "/src/optout/.git/config".into(), true),
        ]
    );
}
