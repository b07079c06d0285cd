//! Building images through the engine against the real podman service.

mod engine_support;

use std::sync::Mutex;

use engine_support::{ImageGuard, build_plan, image_exists, podman, unique};
use paddock::engine::{BuildEvent, BuildOutcome, Engine, Error};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The cancel test looks for leftover build containers, so builds in this
/// binary do not overlap.
static SERIAL: Mutex<()> = Mutex::new(());

fn drain(receiver: &mut mpsc::UnboundedReceiver<BuildEvent>) -> Vec<BuildEvent> {
    let mut events = Vec::new();
    while let Ok(event) = receiver.try_recv() {
        events.push(event);
    }
    events
}

#[test]
fn a_build_with_a_run_step_succeeds_and_the_second_is_skipped() {
    let _serial = SERIAL.lock().unwrap_or_else(|poison| poison.into_inner());
    let image = format!("localhost/{}:spec1", unique("build"));
    let _guard = ImageGuard(image.clone());
    engine_support::runtime().block_on(async {
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
    let _serial = SERIAL.lock().unwrap_or_else(|poison| poison.into_inner());
    let image = format!("localhost/{}:spec1", unique("build-fail"));
    let _guard = ImageGuard(image.clone());
    engine_support::runtime().block_on(async {
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

#[test]
fn a_cancelled_build_leaves_no_tag_and_no_build_container() {
    let _serial = SERIAL.lock().unwrap_or_else(|poison| poison.into_inner());
    let image = format!("localhost/{}:spec1", unique("build-cancel"));
    let _guard = ImageGuard(image.clone());
    let (_, before) = podman(&["ps", "-a", "--external", "--format", "{{.ID}}"]);
    engine_support::runtime().block_on(async {
        let engine = Engine::connect().await.unwrap();
        let plan = build_plan(&image, "RUN sleep 2\nRUN echo after-the-sleep\n");
        let (sender, mut receiver) = mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let canceller = cancel.clone();
        tokio::spawn(async move {
            while let Some(event) = receiver.recv().await {
                if let BuildEvent::Step(step) = &event
                    && step.instruction.starts_with("RUN sleep")
                {
                    canceller.cancel();
                }
                assert_ne!(event, BuildEvent::Log("after-the-sleep".into()));
            }
        });
        let err = engine.build(&plan, &sender, &cancel).await.unwrap_err();
        assert!(matches!(err, Error::Cancelled), "{err}");
    });
    assert!(!image_exists(&image), "a cancelled build left its tag");
    let (_, after) = podman(&["ps", "-a", "--external", "--format", "{{.ID}}"]);
    let leftovers: Vec<&str> = after
        .lines()
        .filter(|id| !before.lines().any(|old| old == *id))
        .collect();
    assert!(leftovers.is_empty(), "build containers left: {leftovers:?}");
}
