//! `paddock inbox [DIR] FILE...`: files into a project's inbox, their
//! paths inside the sandbox printed shell-quoted; a link refused.

use support::paddock::{TestProject, assert_success};

#[test]
fn inbox_copies_files_in_and_prints_their_paths_there() {
    let project = TestProject::init("cli-inbox", &[]);
    let outside = project.home().path().join("dropped");
    std::fs::create_dir(&outside).unwrap();
    let file = outside.join("bug report.png");
    std::fs::write(&file, b"image").unwrap();
    let output = project.run(&["inbox", project.path(), file.to_str().unwrap()]);
    assert_success(&output);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "'/run/paddock/inbox/bug report.png'\n"
    );
    let inboxes: Vec<_> = std::fs::read_dir(project.home().data().join("paddock/inbox"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(inboxes.len(), 1);
    assert_eq!(
        std::fs::read(inboxes[0].join("bug report.png")).unwrap(),
        b"image"
    );

    // From the project folder itself, the project is the current one; a
    // symbolic link is refused with what to do instead.
    let link = outside.join("key");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    let output = project
        .paddock()
        .current_dir(&project.root)
        .args(["inbox", link.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("symbolic link") && error.contains("nothing was copied"),
        "{error}"
    );
}
