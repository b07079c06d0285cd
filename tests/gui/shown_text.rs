//! Words as the window draws them: no label of a project's views shows
//! markup as text (escaped twice, or escaped for a property that is not
//! markup), and a project's folder is shown from `~` under the home folder.

use std::path::PathBuf;

use crate::harness::{self, Desktop, label_texts, nodes, shown_view};

const VIEWS: [&str; 5] = ["settings", "build", "terminal", "changes", "network"];
const ENTITIES: [&str; 6] = ["&apos;", "&amp;", "&lt;", "&gt;", "&quot;", "&#39;"];

/// A project in the home folder whose name has every character that
/// markup escapes, on the allowlist network (whose explanation has an
/// apostrophe).
fn awkward_project(desktop: &Desktop) -> (tempfile::TempDir, PathBuf) {
    let (keep, made) = harness::project("made", &["sh"]);
    let file = made.join(".agent-sandbox/paddock.toml");
    let text = std::fs::read_to_string(&file).expect("the definition");
    let text = text.replace("network = \"offline\"\n", "");
    std::fs::write(&file, format!("{text}\n[network]\nmode = \"allowlist\"\n"))
        .expect("write the definition");
    let dir = desktop.home.home().join("src").join("Bob's a&b <c> \"d\"");
    std::fs::create_dir_all(dir.parent().expect("its parent")).expect("~/src");
    std::fs::rename(&made, &dir).expect("move the project home");
    desktop.approve(&dir);
    (keep, dir)
}

#[test]
fn labels_show_words_not_markup() {
    let mut desktop = Desktop::start();
    desktop.set_window_size(1280, 800);
    desktop.launch();
    let (_keep, dir) = awkward_project(&desktop);
    desktop
        .activate("open-project", Some(&dir))
        .expect("open the project");
    desktop.wait_for("the project's form", |tree| {
        !nodes(tree, "AdwSpinRow").is_empty()
    });
    let shown = "~/src/Bob's a&b <c> \"d\"";
    for (index, view) in (0u32..).zip(VIEWS) {
        desktop.view(index).expect("show a view");
        let tree = desktop.wait_for(&format!("the {view} view"), |tree| {
            shown_view(tree).as_deref() == Some(view)
        });
        let labels = label_texts(&tree);
        for label in &labels {
            assert!(
                !ENTITIES.iter().any(|entity| label.contains(entity)),
                "the {view} view shows markup as text: {label:?}"
            );
        }
        assert!(
            labels.iter().filter(|label| *label == shown).count() >= 2,
            "the {view} view shows the folder from ~ in the sidebar and the header: {labels:?}"
        );
        assert!(
            !labels
                .iter()
                .any(|label| label.contains(&desktop.home.home().display().to_string())),
            "the {view} view shows the home folder's path: {labels:?}"
        );
    }
    desktop.quit();
}

/// Every drop-down of the Sandbox view shows its chosen option whole, in a
/// phone-sized window and a wide one.
#[test]
fn drop_downs_show_their_choice_whole() {
    for (width, height) in [(360, 720), (1280, 800)] {
        let mut desktop = Desktop::start();
        desktop.set_window_size(width, height);
        desktop.launch();
        let (_keep, dir) = awkward_project(&desktop);
        desktop
            .activate("open-project", Some(&dir))
            .expect("open the project");
        desktop.wait_for("the form's drop-downs", |tree| {
            nodes(tree, "AdwComboRow").len() >= 4
        });
        let tree = desktop.settled();
        let rows = nodes(&tree, "AdwComboRow");
        for row in &rows {
            let cut: Vec<String> = nodes(row, "GtkLabel")
                .into_iter()
                .filter(|label| label["ellipsized"] == true)
                .filter_map(|label| label["text"].as_str().map(str::to_owned))
                .collect();
            assert!(
                cut.is_empty(),
                "at {width} px the {:?} row cuts {cut:?} short",
                row["title"]
            );
            assert!(
                label_texts(row).len() >= 2,
                "the {:?} row shows its title and its choice",
                row["title"]
            );
        }
        desktop.screenshot(&format!("drop-downs-{width}"));
        desktop.quit();
    }
}
