//! A full disk while Paddock writes a project's sandbox files, for real: the
//! built `paddock` runs with a file-size limit of zero (RLIMIT_FSIZE, set by
//! the shell's `ulimit -f 0`, with SIGXFSZ ignored), so every write of file
//! data fails with EFBIG as it would on a full disk, and no root is needed.

use std::path::Path;
use std::process::Output;

use support::paddock::{TestHome, assert_success, binary};

/// `paddock ARGS` in `home`, on a full disk if `full`.
fn paddock(home: &TestHome, full: bool, args: &[&str]) -> Output {
    if !full {
        return home.run(args);
    }
    home.command("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 0; exec \"$0\" \"$@\"")
        .arg(binary())
        .args(args)
        .env("LANG", "C")
        .output()
        .expect("run paddock")
}

/// Every file in the folder with its contents, sorted by name.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("the folder")
        .map(|entry| {
            let entry = entry.expect("an entry");
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).expect("a readable file"),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_full_disk_leaves_the_definition_as_it_was_and_says_what_to_do() {
    let home = TestHome::new();
    let project = home.path().join("work/full");
    std::fs::create_dir_all(&project).unwrap();
    let project_arg = project.to_str().unwrap();
    let first = paddock(
        &home,
        false,
        &["init", "--agent", "shell", "--container", project_arg],
    );
    assert_success(&first);
    let sandbox = project.join(".agent-sandbox");
    let before = contents(&sandbox);
    assert!(before.iter().any(|(name, _)| name == "paddock.toml"));

    let change = [
        "init",
        "--agent",
        "shell",
        "--container",
        "--cpus",
        "1",
        "--force",
        project_arg,
    ];
    let refused = paddock(&home, true, &change);
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "the write cannot have succeeded");
    assert!(
        message.contains(&sandbox.join("paddock.toml").display().to_string()),
        "{message}"
    );
    assert!(message.contains("free some space"), "{message}");
    assert!(!message.contains("panicked"), "{message}");
    assert_eq!(
        contents(&sandbox),
        before,
        "the old files are intact and no temporary file is left"
    );

    // The same change with room to write goes through.
    let done = paddock(&home, false, &change);
    assert_success(&done);
    assert_ne!(contents(&sandbox), before);
}
