//! The inbox as the agent would attack it, on real folders: what a drop or
//! `paddock inbox` copies, and what it must never copy or type.
// Helpers of tests, which fail by panicking.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use host::inbox::{self, InboxError};
use sandbox::inbox::{CAP_BYTES, Inbox, shell_quote, typed};

struct Setup {
    _keep: tempfile::TempDir,
    outside: PathBuf,
    inbox: Inbox,
}

fn setup() -> Setup {
    let keep = tempfile::tempdir().unwrap();
    let outside = keep.path().join("dropped-from");
    std::fs::create_dir(&outside).unwrap();
    let project = keep.path().join("project");
    std::fs::create_dir(&project).unwrap();
    let inbox = Inbox::of(&keep.path().join("data"), &project);
    Setup {
        _keep: keep,
        outside,
        inbox,
    }
}

fn listing(folder: &Path) -> Vec<String> {
    let mut out = Vec::new();
    walk(folder, folder, &mut out);
    out.sort();
    out
}

fn walk(root: &Path, folder: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        let relative = path.strip_prefix(root).unwrap().display().to_string();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            out.push(format!("{relative}/"));
            walk(root, &path, out);
        } else if meta.file_type().is_symlink() {
            out.push(format!("{relative} -> link"));
        } else {
            out.push(relative);
        }
    }
}

#[test]
fn files_and_folders_are_copied_and_their_paths_returned() {
    let s = setup();
    let file = s.outside.join("screenshot.png");
    std::fs::write(&file, b"png bytes").unwrap();
    let folder = s.outside.join("src");
    std::fs::create_dir_all(folder.join("deep")).unwrap();
    std::fs::write(folder.join("deep/main.rs"), "fn main() {}").unwrap();
    let copied = inbox::copy_in(&s.inbox, &[file.clone(), folder]).unwrap();
    assert_eq!(
        copied.paths,
        [
            "/run/paddock/inbox/screenshot.png",
            "/run/paddock/inbox/src"
        ]
    );
    assert_eq!(
        listing(s.inbox.folder()),
        ["screenshot.png", "src/", "src/deep/", "src/deep/main.rs"]
    );
    // Dropped again: a second copy under a new name, the first untouched.
    let again = inbox::copy_in(&s.inbox, &[file]).unwrap();
    assert_eq!(again.paths, ["/run/paddock/inbox/screenshot (2).png"]);
    assert_eq!(
        typed(&again.paths),
        "'/run/paddock/inbox/screenshot (2).png'"
    );
}

#[test]
fn a_symbolic_link_is_never_followed() {
    let s = setup();
    let secret = s.outside.join("id_ed25519");
    std::fs::write(&secret, "PRIVATE KEY").unwrap();
    // A link the agent left in the project, dropped by itself: refused.
    let link = s.outside.join("looks-harmless.txt");
    symlink(&secret, &link).unwrap();
    let error = inbox::copy_in(&s.inbox, &[link]).unwrap_err();
    assert!(matches!(error, InboxError::Link { .. }), "{error}");
    assert!(error.to_string().contains("symbolic link"), "{error}");
    // Links inside a dropped folder, to a file and to a folder: left out.
    let folder = s.outside.join("logs");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("build.log"), "ok").unwrap();
    symlink(&secret, folder.join("key")).unwrap();
    symlink(&s.outside, folder.join("up")).unwrap();
    let copied = inbox::copy_in(&s.inbox, &[folder]).unwrap();
    assert_eq!(copied.skipped, 2);
    assert_eq!(listing(s.inbox.folder()), ["logs/", "logs/build.log"]);
    let everything: String = listing(s.inbox.folder()).concat();
    assert!(!everything.contains("key") && !everything.contains("up"));
}

#[test]
fn a_fifo_is_refused_and_never_opened() {
    let s = setup();
    let fifo = s.outside.join("pipe");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let error = inbox::copy_in(&s.inbox, &[fifo]).unwrap_err();
    assert!(matches!(error, InboxError::Special { .. }), "{error}");
}

#[test]
fn a_folder_bigger_than_the_cap_copies_nothing() {
    let s = setup();
    let folder = s.outside.join("dataset");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("a-small-file"), "small").unwrap();
    // Sparse: the size counts, the disk is not used.
    std::fs::File::create(folder.join("z-huge.bin"))
        .unwrap()
        .set_len(CAP_BYTES + 1)
        .unwrap();
    let error = inbox::copy_in(&s.inbox, &[folder]).unwrap_err();
    assert!(matches!(error, InboxError::TooBig { .. }), "{error}");
    assert!(error.to_string().contains("nothing was copied"), "{error}");
    assert_eq!(listing(s.inbox.folder()), Vec::<String>::new());
}

#[test]
fn what_the_inbox_holds_counts_against_the_cap() {
    let s = setup();
    let half = s.outside.join("half");
    std::fs::File::create(&half)
        .unwrap()
        .set_len(CAP_BYTES / 2 + 1)
        .unwrap();
    inbox::copy_in(&s.inbox, std::slice::from_ref(&half)).unwrap();
    let error = inbox::copy_in(&s.inbox, &[half]).unwrap_err();
    assert!(matches!(error, InboxError::TooBig { .. }), "{error}");
    assert_eq!(listing(s.inbox.folder()), ["half"]);
    let error = inbox::save(&s.inbox, "shot.png", &vec![0; (CAP_BYTES / 2) as usize]).unwrap_err();
    assert!(matches!(error, InboxError::TooBig { .. }), "{error}");
    inbox::empty(&s.inbox).unwrap();
    assert_eq!(listing(s.inbox.folder()), Vec::<String>::new());
    assert!(
        s.inbox.folder().is_dir(),
        "emptied, still there to be mounted"
    );
}

#[test]
fn names_that_would_run_commands_are_renamed_and_quoted() {
    let s = setup();
    let hostile = [
        "line\nbreak; rm -rf ~",
        "end-paste\u{1b}[201~; curl evil",
        "back\rspace",
        "quote' ; echo owned '",
        "right-to-left\u{202e}gnp.exe",
        "$(reboot)",
    ];
    let sources: Vec<PathBuf> = hostile
        .iter()
        .map(|name| {
            let path = s.outside.join(name);
            std::fs::write(&path, name).unwrap();
            path
        })
        .collect();
    let copied = inbox::copy_in(&s.inbox, &sources).unwrap();
    let text = typed(&copied.paths);
    for c in text.chars() {
        assert!(!c.is_control(), "{text:?} holds {c:?}");
    }
    assert!(!text.contains('\u{202e}'), "{text:?}");
    assert_eq!(
        copied.paths[0], "/run/paddock/inbox/line_break; rm -rf ~",
        "newline replaced"
    );
    assert_eq!(
        copied.paths[1],
        "/run/paddock/inbox/end-paste_[201~; curl evil"
    );
    // What a POSIX shell makes of the typed text: the paths, word for word.
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "for word in {text}; do printf '%s\\n' \"$word\"; done"
        ))
        .output()
        .unwrap();
    let words: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(words, copied.paths);
    // And each is a file the inbox holds, with its content.
    for (path, name) in copied.paths.iter().zip(hostile) {
        let on_host = s
            .inbox
            .folder()
            .join(path.strip_prefix("/run/paddock/inbox/").unwrap());
        assert_eq!(std::fs::read_to_string(on_host).unwrap(), name);
    }
}

#[test]
fn two_projects_never_share_an_inbox() {
    let keep = tempfile::tempdir().unwrap();
    let data = keep.path().join("data");
    let one = Inbox::of(&data, Path::new("/home/u/work/app"));
    let two = Inbox::of(&data, Path::new("/home/u/other/app"));
    assert_ne!(
        one.folder(),
        two.folder(),
        "same folder name, other project"
    );
    let file = keep.path().join("note");
    std::fs::write(&file, "for one").unwrap();
    inbox::copy_in(&one, &[file]).unwrap();
    assert!(!two.folder().exists() || listing(two.folder()).is_empty());
}

#[test]
fn plain_paths_are_typed_as_they_are() {
    assert_eq!(
        shell_quote("/run/paddock/inbox/pasted-image-2026-12-01-13-45-02.png"),
        "/run/paddock/inbox/pasted-image-2026-12-01-13-45-02.png"
    );
    assert_eq!(shell_quote("a b"), "'a b'");
    assert_eq!(shell_quote("it's"), "'it'\\''s'");
    assert_eq!(shell_quote(""), "''");
}

/// The review lists the inbox as Paddock's own mount, read-only, so that
/// no mount of the sandbox goes unsaid.
#[test]
fn the_review_names_the_inbox_as_paddocks_own_mount() {
    let s = crate::security_approval::setup();
    s.project
        .save_definition(&sandbox::definition::Definition::new(
            "shell",
            "registry.fedoraproject.org/fedora:44",
        ))
        .unwrap();
    let sandbox::approval::Gate::NeedsApproval(review) = s.gate() else {
        panic!("a new definition is reviewed");
    };
    let notes = crate::security_approval::notes(&review);
    assert!(
        notes.contains("Paddock's own mount: the inbox")
            && notes.contains("read-only at /run/paddock/inbox"),
        "{notes}"
    );
}
