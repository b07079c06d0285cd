//! Building images through the engine against the real podman service.

use engine::{BuildEvent, BuildOutcome, Engine, Error};
use support::podman::{ImageGuard, base_image, image_exists, podman};
use support::unique;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::plans::{build_plan, runtime};

fn drain(receiver: &mut mpsc::UnboundedReceiver<BuildEvent>) -> Vec<BuildEvent> {
    let mut events = Vec::new();
    while let Ok(event) = receiver.try_recv() {
        events.push(event);
    }
    events
}

#[test]
fn a_build_with_a_run_step_succeeds_and_the_second_is_skipped() {
    let image = format!("localhost/{}:spec1", unique("build"));
    let _guard = ImageGuard(image.clone());
    runtime().block_on(async {
        let engine = Engine::connect().await.unwrap();
        let plan = build_plan(
            &image,
            "RUN echo built-by-paddock-test > /built && cat /built\n",
        );
        let (sender, mut receiver) = mpsc::unbounded_channel();
        let outcome = engine
            .build(&plan, &sender, &CancellationToken::new())
            .await
            .unwrap();
        assert_eq!(outcome, BuildOutcome::Built);
        let events = drain(&mut receiver);
        let steps: Vec<(u32, u32)> = events
            .iter()
            .filter_map(|event| match event {
                BuildEvent::Step(step) => Some((step.number, step.total)),
                BuildEvent::Log(_) => None,
            })
            .collect();
        assert!(steps.len() >= 2, "{events:?}");
        assert_eq!(steps[0].0, 1);
        assert!(
            events.contains(&BuildEvent::Log("built-by-paddock-test".into())),
            "{events:?}"
        );
        assert!(image_exists(&image));
        let (_, label) = podman(&[
            "image",
            "inspect",
            "--format",
            "{{index .Labels \"io.github.paddockapp.project\"}}",
            &image,
        ]);
        assert_eq!(label.trim(), "/tmp/paddock-test");

        let (sender, mut receiver) = mpsc::unbounded_channel();
        let again = engine
            .build(&plan, &sender, &CancellationToken::new())
            .await
            .unwrap();
        assert_eq!(again, BuildOutcome::AlreadyBuilt);
        assert!(drain(&mut receiver).is_empty());
    });
}

#[test]
fn a_failing_step_reports_that_step_and_podmans_message() {
    let image = format!("localhost/{}:spec1", unique("build-fail"));
    let _guard = ImageGuard(image.clone());
    runtime().block_on(async {
        let engine = Engine::connect().await.unwrap();
        let plan = build_plan(
            &image,
            "RUN echo first\nRUN echo installing packages && apk add nodejs\nRUN echo never\n",
        );
        let (sender, _receiver) = mpsc::unbounded_channel();
        let err = engine
            .build(&plan, &sender, &CancellationToken::new())
            .await
            .unwrap_err();
        let Error::BuildFailed { step, message } = &err else {
            panic!("expected a build failure, got {err}");
        };
        let step = step.as_ref().expect("the failing step is known");
        assert_eq!(step.number, 3);
        assert!(step.instruction.contains("apk add nodejs"), "{step:?}");
        assert!(message.contains("exit status 127"), "{message}");
        assert!(message.contains("apk: not found"), "{message}");
        let shown = err.to_string();
        assert!(shown.contains("STEP 3/"), "{shown}");
        assert!(!image_exists(&image));
    });
}

/// buildah's working containers made from the base image `{name}-base`.
fn own_build_containers(name: &str) -> Vec<String> {
    let (_, names) = podman(&["ps", "-a", "--external", "--format", "{{.Names}}"]);
    names
        .lines()
        .filter(|line| line.contains(&format!("{name}-base")))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_cancelled_build_leaves_no_tag_and_no_build_container() {
    let name = unique("build-cancel");
    let image = format!("localhost/{name}:spec1");
    let _guard = ImageGuard(image.clone());
    // buildah names a working container after its base image, so a base
    // tagged for this test alone makes this build's containers its own:
    // other builds on the shared service do not count.
    let base = format!("localhost/{name}-base:latest");
    let _base_guard = ImageGuard(base.clone());
    assert!(podman(&["tag", &base_image(), &base]).0);
    assert!(own_build_containers(&name).is_empty());
    let seen_while_building = runtime().block_on(async {
        let engine = Engine::connect().await.unwrap();
        let mut plan = build_plan(&image, "");
        plan.unchecked_mut().context.insert(
            "Containerfile".into(),
            format!("FROM {base}\nRUN sleep 2\nRUN echo after-the-sleep\n").into_bytes(),
        );
        let (sender, mut receiver) = mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let canceller = cancel.clone();
        let name = name.clone();
        let watcher = tokio::spawn(async move {
            let mut seen = Vec::new();
            while let Some(event) = receiver.recv().await {
                if let BuildEvent::Step(step) = &event
                    && step.instruction.starts_with("RUN sleep")
                {
                    let name = name.clone();
                    seen = tokio::task::spawn_blocking(move || own_build_containers(&name))
                        .await
                        .unwrap();
                    canceller.cancel();
                }
                assert_ne!(event, BuildEvent::Log("after-the-sleep".into()));
            }
            seen
        });
        let err = engine.build(&plan, &sender, &cancel).await.unwrap_err();
        assert!(matches!(err, Error::Cancelled), "{err}");
        drop(sender);
        watcher.await.unwrap()
    });
    assert!(
        !seen_while_building.is_empty(),
        "the build's own working container was not found while it ran"
    );
    assert!(!image_exists(&image), "a cancelled build left its tag");
    let leftovers = own_build_containers(&name);
    assert!(leftovers.is_empty(), "build containers left: {leftovers:?}");
}

#[test]
fn a_missing_base_image_is_named_with_the_fix() {
    let name = unique("build-no-base");
    let image = format!("localhost/{name}:spec1");
    let _guard = ImageGuard(image.clone());
    let missing = format!("localhost/{name}-missing:none");
    let err = runtime().block_on(async {
        let engine = Engine::connect().await.unwrap();
        let mut plan = build_plan(&image, "");
        plan.unchecked_mut().context.insert(
            "Containerfile".into(),
            format!("FROM {missing}\nRUN true\n").into_bytes(),
        );
        let (sender, _receiver) = mpsc::unbounded_channel();
        engine
            .build(&plan, &sender, &CancellationToken::new())
            .await
            .unwrap_err()
    });
    assert!(
        matches!(&err, Error::BaseImageMissing { image, .. } if *image == missing),
        "{err:?}"
    );
    let shown = err.to_string();
    assert!(shown.contains(&missing), "{shown}");
    assert!(shown.contains(&format!("podman pull {missing}")), "{shown}");
    assert!(!image_exists(&image));
}
