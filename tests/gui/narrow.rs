//! A phone-sized window (360 px): every view of a running project fits
//! it, nothing allocated beyond its edges (where it would be cut off or
//! out of reach, as the window's own close button was).

use support::podman::ProjectCleanup;

use crate::harness::{Desktop, outside_window, shown_view, shows, terminal_shows};

const VIEWS: [&str; 5] = ["settings", "build", "terminal", "changes", "network"];

#[test]
fn every_view_of_a_running_project_fits_360_px() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(360, 720);
    desktop.launch();
    let (_keep, project) = desktop.approved_project(
        "gui-narrow-web-app",
        &[
            "sh",
            "-c",
            "echo 'export A=1' > .envrc; echo narrow-ready; sleep 600",
        ],
    );
    let _cleanup = ProjectCleanup(project.clone());
    desktop
        .activate("open-project", Some(&project))
        .expect("open");
    desktop.build(&project);
    desktop
        .activate("run-project", Some(&project))
        .expect("run");
    desktop.wait_for("the sandbox running", |tree| {
        terminal_shows(tree, "narrow-ready")
    });
    for (index, view) in (0u32..).zip(VIEWS) {
        desktop.view(index).expect("show a view");
        desktop.wait_for(&format!("the {view} view"), |tree| {
            shown_view(tree).as_deref() == Some(view)
                // What the agent changed, when the view is shown by its key.
                && (view != "changes" || shows(tree, ".envrc"))
        });
        let tree = desktop.settled();
        desktop.screenshot(&format!("narrow-running-{view}"));
        let outside = outside_window(&tree);
        assert!(
            outside.is_empty(),
            "the {view} view at 360 px: {} widgets outside the window, the outermost {:?}",
            outside.len(),
            outside.first()
        );
    }
    desktop.quit();
}
