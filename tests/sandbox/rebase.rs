//! An edit made in the window on top of a `paddock.toml` that changed
//! meanwhile: only the keys the edit changed are the edit's.

use sandbox::definition::{Definition, NetworkMode};

fn base() -> Definition {
    let mut base = Definition::new("shell", "fedora:44");
    base.env.insert("KEPT".into(), "1".into());
    base
}

#[test]
fn a_hand_added_variable_survives_an_edit_of_another_key() {
    let base = base();
    let mut ours = base.clone();
    ours.resources.cpus = 6;
    let mut theirs = base.clone();
    theirs.env.insert("HAND_ADDED".into(), "kept".into());
    theirs.set_network_mode(NetworkMode::Offline);

    let merged = Definition::rebase(&ours, &base, &theirs).expect("they go together");
    assert_eq!(merged.resources.cpus, 6);
    assert_eq!(
        merged.env.get("HAND_ADDED").map(String::as_str),
        Some("kept")
    );
    assert_eq!(merged.env.get("KEPT").map(String::as_str), Some("1"));
    assert_eq!(merged.network_mode(), NetworkMode::Offline);
}

#[test]
fn a_variable_removed_in_the_form_stays_removed_and_one_removed_by_hand_too() {
    let base = base();
    let mut ours = base.clone();
    ours.env.remove("KEPT");
    let mut theirs = base.clone();
    theirs.env.insert("OTHER".into(), "x".into());
    let merged = Definition::rebase(&ours, &base, &theirs).expect("they go together");
    assert!(!merged.env.contains_key("KEPT"), "{merged:?}");
    assert_eq!(merged.env.get("OTHER").map(String::as_str), Some("x"));

    // Removed by hand, not touched in the form: removed.
    let mut ours = base.clone();
    ours.resources.memory_mib = 8192;
    let mut theirs = base.clone();
    theirs.env.clear();
    let merged = Definition::rebase(&ours, &base, &theirs).expect("they go together");
    assert!(merged.env.is_empty(), "{merged:?}");
    assert_eq!(merged.resources.memory_mib, 8192);
}

#[test]
fn the_same_key_changed_on_both_sides_takes_the_edit() {
    let base = base();
    let mut ours = base.clone();
    ours.resources.cpus = 4;
    let mut theirs = base.clone();
    theirs.resources.cpus = 8;
    theirs.resources.memory_mib = 1024;
    let merged = Definition::rebase(&ours, &base, &theirs).expect("they go together");
    assert_eq!(
        (merged.resources.cpus, merged.resources.memory_mib),
        (4, 1024)
    );
}

#[test]
fn new_projects_start_the_same_from_the_window_and_paddock_init() {
    let fedora = "ID=fedora\nVERSION_ID=44\n";
    let definition = Definition::for_new_project("web app", Some(fedora));
    assert_eq!(
        definition.resources.memory_mib,
        sandbox::definition::DEFAULT_MEMORY_MIB
    );
    assert_eq!(definition.resources.cpus, sandbox::definition::DEFAULT_CPUS);
    assert_eq!(
        definition.sandbox.mount.as_deref(),
        Some(definition.mount_point("web app").as_str())
    );
    assert_eq!(
        definition.image.base.as_deref(),
        Some("registry.fedoraproject.org/fedora:44")
    );
}
