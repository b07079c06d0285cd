//! Shared by the engine's integration tests: unique names, plans built by
//! hand, and guards that remove what a test made from podman.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use paddock::sandbox::plan::BuildPlan;

/// The local busybox image every test image starts from.
pub fn base_image() -> String {
    std::env::var("PADDOCK_TEST_BASE_IMAGE")
        .expect("PADDOCK_TEST_BASE_IMAGE is not set: run the tests through build-aux/dev-env test")
}

/// A name no other test (or parallel run) uses: test name, pid, counter.
pub fn unique(test: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "paddock-test-{test}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A plan whose Containerfile is `FROM <base>` followed by `steps`.
pub fn build_plan(image: &str, steps: &str) -> BuildPlan {
    build_plan_with(image, steps, BTreeMap::new())
}

pub fn build_plan_with(image: &str, steps: &str, extra: BTreeMap<String, Vec<u8>>) -> BuildPlan {
    let mut context = extra;
    context.insert(
        "Containerfile".into(),
        format!("FROM {}\n{steps}", base_image()).into_bytes(),
    );
    BuildPlan {
        image: image.to_owned(),
        context,
        containerfile: "Containerfile".into(),
        build_args: BTreeMap::new(),
        labels: BTreeMap::from([(
            "io.github.paddockapp.project".to_owned(),
            "/tmp/paddock-test".to_owned(),
        )]),
    }
}

/// Runs the podman CLI (against the same service) and returns its stdout.
pub fn podman(args: &[&str]) -> (bool, String) {
    let output = Command::new("podman")
        .args(args)
        .output()
        .expect("the podman CLI is installed in the dev environment");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

pub fn image_exists(image: &str) -> bool {
    podman(&["image", "exists", image]).0
}

/// Removes an image when the test ends, however it ends.
pub struct ImageGuard(pub String);

impl Drop for ImageGuard {
    fn drop(&mut self) {
        let _ = podman(&["rmi", "-f", &self.0]);
    }
}

/// Removes a container (and, if asked, volumes) when the test ends.
pub struct ContainerGuard {
    pub name: String,
    pub volumes: Vec<String>,
}

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        let _ = podman(&["rm", "-f", "-t", "0", &self.name]);
        for volume in &self.volumes {
            let _ = podman(&["volume", "rm", "-f", volume]);
        }
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}
