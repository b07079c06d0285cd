//! The generated `compose.yaml` with the real podman-compose: the commands
//! its own header gives, run as written from the project folder, build the
//! sandbox and run a command in it, and what that command writes in the
//! project is the user's.

use std::os::unix::fs::MetadataExt;
use std::process::{Command, Stdio};

use support::machine;
use support::paddock::TestProject;
use support::podman::podman;

/// The shell lines of the file's header, after "from the project folder:".
fn header_commands(compose: &str) -> Vec<String> {
    compose
        .lines()
        .take_while(|line| line.starts_with('#'))
        .skip_while(|line| !line.ends_with("from the project folder:"))
        .skip(1)
        .map(|line| line.trim_start_matches('#').trim().to_owned())
        .collect()
}

#[test]
fn podman_compose_builds_and_runs_the_generated_file_as_its_header_says() {
    let project = TestProject::init("compose", &["--container"]);
    let compose =
        std::fs::read_to_string(project.root.join(".agent-sandbox/compose.yaml")).unwrap();
    let mut commands = header_commands(&compose);
    let run = commands.pop().expect("a podman-compose line");
    assert!(
        run.starts_with("podman-compose ") && run.ends_with(" run --rm agent"),
        "{run}"
    );
    let image = compose
        .lines()
        .find_map(|line| line.trim().strip_prefix("image: "))
        .expect("an image line")
        .trim_matches('"')
        .to_owned();
    let build = run.replace(" run --rm agent", " build");
    commands.push(build);
    // The header's own line, with a command for the agent's service.
    commands.push(format!(
        "{run} sh -c 'echo uid=$(id -u); echo from-compose > written.txt'"
    ));
    let script = commands.join("\n");

    let output = Command::new("sh")
        .args(["-ec", &script])
        .current_dir(&project.root)
        .stdin(Stdio::null())
        .output()
        .expect("sh runs");
    let _ = podman(&["rmi", "-f", &image]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{script}\n{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("uid={}", machine::uid())),
        "{stdout}{stderr}"
    );

    let written = project.root.join("written.txt");
    assert_eq!(std::fs::read_to_string(&written).unwrap(), "from-compose\n");
    let meta = std::fs::metadata(&written).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (machine::uid(), machine::gid()));
    // The project's own files stay the user's too.
    let definition = std::fs::metadata(project.root.join(".agent-sandbox/paddock.toml")).unwrap();
    assert_eq!(definition.uid(), machine::uid());
}
