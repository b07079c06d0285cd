//! The entrypoint contract holds for hand-written images, with the real
//! podman service: an image that says `USER 0:0` and `ENTRYPOINT []` still
//! starts with Paddock's entrypoint as the host user, its report is
//! consumed, and no file of the project changes owner (no `U` chown).

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use engine::{BuildEvent, Engine, Output};
use host::launch;
use sandbox::definition::{Definition, NetworkMode, Runtime};
use sandbox::guest::Verdict;
use support::machine;
use support::podman::{ContainerGuard, ImageGuard, base_image};
use tokio_util::sync::CancellationToken;

use crate::security_approval::setup;
use crate::security_gate::{approved_containerfile, runtime};

/// Every file and folder under `root` with its owner.
fn owners(root: &Path) -> BTreeMap<String, (u32, u32)> {
    let mut found = BTreeMap::new();
    let mut pending = vec![root.to_owned()];
    while let Some(path) = pending.pop() {
        let meta = std::fs::symlink_metadata(&path).expect("metadata");
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path).expect("read_dir") {
                pending.push(entry.expect("entry").path());
            }
        }
        found.insert(path.display().to_string(), (meta.uid(), meta.gid()));
    }
    found
}

#[test]
fn a_root_handwritten_image_runs_as_the_user_and_changes_no_owner() {
    let s = setup();
    std::fs::write(s.project.root().join("notes.txt"), "mine\n").expect("a project file");
    let mut definition = Definition::new("shell", &base_image());
    definition.sandbox.runtime = Runtime::Container;
    definition.set_network_mode(NetworkMode::Offline);
    // The image tries to skip the entrypoint (its checks) and run as root.
    let plan = approved_containerfile(
        &s,
        definition,
        "USER 0:0\nENTRYPOINT []\nCMD [\"sh\", \"-c\", \"echo agent-uid=$(id -u); id -u > uid.txt; chown 0:0 notes.txt; echo chown-rc=$?\"]\n",
    );
    let before = owners(s.project.root());
    let user = (machine::uid(), machine::gid());
    assert!(before.values().all(|owner| *owner == user), "{before:?}");

    let _sandbox = ContainerGuard::new(&plan.container.name);
    let _image = ImageGuard(plan.build.image.clone());
    let (verdict, output, code) = runtime().block_on(async {
        let engine = Engine::connect().await.expect("podman answers");
        let (events, mut log) = tokio::sync::mpsc::unbounded_channel();
        let built = engine
            .build(&plan.build, &events, &CancellationToken::new())
            .await;
        drop(events);
        let mut lines = String::new();
        while let Some(event) = log.recv().await {
            if let BuildEvent::Log(line) = event {
                lines.push_str(&line);
                lines.push('\n');
            }
        }
        built.unwrap_or_else(|error| panic!("{error}: {lines}"));
        let (mut session, _keys) = launch::start_attached(&engine, &s.project, &plan, false)
            .await
            .expect("started");
        session.input.close().await.expect("stdin closed");
        let (mut verdict, mut output) = (None, String::new());
        while let Some(item) = session.output.next().await {
            match item.expect("output") {
                Output::Verdict(seen) => verdict = Some(seen),
                Output::Stdout(bytes) | Output::Stderr(bytes) => {
                    output.push_str(&String::from_utf8_lossy(&bytes));
                }
            }
        }
        let code = engine.wait(&plan.container.name).await.expect("wait");
        (verdict, output, code)
    });

    assert_eq!(verdict, Some(Ok(Verdict::Container)), "{output}");
    assert!(
        !output.contains("paddock-sandbox "),
        "the report is Paddock's, not output: {output}"
    );
    assert_eq!(code, 0, "{output}");
    assert!(
        output.contains(&format!("agent-uid={}", user.0)),
        "{output}"
    );
    assert!(!output.contains("chown-rc=0"), "{output}");
    assert_eq!(
        std::fs::read_to_string(s.project.root().join("uid.txt")).expect("written inside"),
        format!("{}\n", user.0)
    );
    let after = owners(s.project.root());
    let changed: Vec<_> = after.iter().filter(|(_, owner)| **owner != user).collect();
    assert!(changed.is_empty(), "owners changed: {changed:?}");
    assert!(after.contains_key(&s.project.definition_path().display().to_string()));
}
