//! The lines a review shows besides the diff: each change that decides
//! what the sandbox can reach gets one of its own, so that a one-word edit
//! deep in a long diff (`runtime`, `network`) is not missed.

use super::Note;
use crate::definition::{Definition, NetworkMode, Runtime};
use crate::messages::tr;
use crate::presets::Preset;

/// One line per security-relevant setting that differs between `old` (the
/// approved definition; `None` when there is none, and then every such
/// setting is listed as it is) and `new`; a change is an alert.
/// `containerfile_changed`: the hand-written Containerfile's bytes differ
/// from the approved ones.
pub fn security_notes(
    old: Option<&Definition>,
    new: &Definition,
    containerfile_changed: bool,
) -> Vec<Note> {
    let mut notes = Vec::new();
    let changed = |pick: &dyn Fn(&Definition) -> String| match old {
        None => Some((None, pick(new))),
        Some(old) if pick(old) != pick(new) => Some((Some(pick(old)), pick(new))),
        Some(_) => None,
    };
    let line = |what: &str, (was, now): (Option<String>, String)| match was {
        None => Note::new(
            &tr("{what}: {now}", &[("what", &what), ("now", &now)]),
            false,
        ),
        Some(was) => Note::new(
            &tr(
                "{what} CHANGED: {was} -> {now}",
                &[("what", &what), ("was", &was), ("now", &now)],
            ),
            true,
        ),
    };
    if let Some(change) = changed(&|d| runtime(d.sandbox.runtime)) {
        notes.push(line(&gettextrs::gettext("isolation"), change));
    }
    if let Some(change) = changed(&|d| network(d.network_mode())) {
        notes.push(line(&gettextrs::gettext("network"), change));
        notes.push(Note::new(&build_network(new.network_mode()), false));
    }
    if new.network_mode() == NetworkMode::Allowlist {
        if let Some(change) = changed(&|d| list(&d.network.groups)) {
            notes.push(line(&gettextrs::gettext("host groups allowed"), change));
        }
        if let Some(change) = changed(&|d| list(&d.network.allow)) {
            notes.push(line(&gettextrs::gettext("hosts allowed"), change));
        }
        if let Some(change) = changed(&|d| list(&d.network.deny)) {
            notes.push(line(&gettextrs::gettext("hosts denied"), change));
        }
    }
    if new.sandbox.runtime == Runtime::Container
        && let Some(change) = changed(&|d| d.resources.pids.to_string())
    {
        notes.push(line(
            &gettextrs::gettext("process limit (container)"),
            change,
        ));
    }
    if let Some(change) = changed(&|d| list(&d.agent.secrets)) {
        notes.push(line(&gettextrs::gettext("API keys requested"), change));
    }
    if let Some(change) = changed(&|d| list(&d.image.packages)) {
        notes.push(line(&gettextrs::gettext("packages"), change));
    }
    if let Some(change) = changed(&|d| {
        list(
            &d.mounts
                .iter()
                .map(|m| {
                    let access = if m.read_only { "ro" } else { "rw" };
                    format!("{} -> {} ({access})", m.source, m.target)
                })
                .collect::<Vec<_>>(),
        )
    }) {
        notes.push(line(&gettextrs::gettext("extra mounts"), change));
    }
    if let Some(change) = changed(&|d| list(&d.sandbox.writable))
        .filter(|(was, _)| was.is_some() || !new.sandbox.writable.is_empty())
    {
        notes.push(line(
            &gettextrs::gettext("writable inside although the host runs them"),
            change,
        ));
    }
    let containerfile = |d: &Definition| d.image.containerfile.clone().unwrap_or_default();
    match (&new.image.containerfile, old) {
        (Some(name), Some(old)) if containerfile(old) == *name && containerfile_changed => {
            notes.push(Note::new(
                &tr(
                    "hand-written Containerfile {name} CHANGED: its steps run when the image is built",
                    &[("name", name)],
                ),
                true,
            ));
        }
        (Some(name), Some(old)) if containerfile(old) == *name => {}
        (Some(name), _) => notes.push(Note::new(
            &tr(
                "builds from the hand-written Containerfile {name}: its steps run when the image is built",
                &[("name", name)],
            ),
            true,
        )),
        (None, Some(old)) if old.image.containerfile.is_some() => notes.push(Note::new(
            &gettextrs::gettext("no longer builds from a hand-written Containerfile"),
            false,
        )),
        (None, _) => {}
    }
    notes
}

/// For an `allowlist` definition, every host the sandbox and its build may
/// reach, in full: what the user approves is the effective policy, not only
/// the lines of the file.
pub fn policy_notes(definition: &Definition, agent: &Preset) -> Vec<Note> {
    if definition.network_mode() != NetworkMode::Allowlist {
        return Vec::new();
    }
    let shown = |policy: &crate::net::Policy| {
        let mut text = list(&policy.allow);
        if !policy.deny.is_empty() {
            text = tr(
                "{allow}; never {deny}",
                &[("allow", &text), ("deny", &policy.deny.join(", "))],
            );
        }
        crate::shown::escape(&text)
    };
    vec![
        Note::new(
            &tr(
                "the sandbox may reach: {hosts}",
                &[("hosts", &shown(&crate::net::run_policy(definition, agent)))],
            ),
            false,
        ),
        Note::new(
            &tr(
                "builds may reach: {hosts}",
                &[(
                    "hosts",
                    &shown(&crate::net::build_policy(definition, agent)),
                )],
            ),
            false,
        ),
    ]
}

fn runtime(runtime: Runtime) -> String {
    match runtime {
        Runtime::Krun => gettextrs::gettext("microVM (its own kernel)"),
        Runtime::Container => {
            gettextrs::gettext("container only (the agent shares the host's kernel)")
        }
    }
}

fn network(network: NetworkMode) -> String {
    match network {
        NetworkMode::Offline => gettextrs::gettext("offline"),
        NetworkMode::Allowlist => gettextrs::gettext(
            "allowed hosts only, through Paddock's gateway (the agent's API and login hosts, its host groups and the hosts listed here)",
        ),
        NetworkMode::Full => gettextrs::gettext("full network access"),
    }
}

/// What the image's `RUN` steps get: never the host's network namespace.
fn build_network(network: NetworkMode) -> String {
    match network {
        NetworkMode::Offline => gettextrs::gettext("builds: RUN steps have no network"),
        NetworkMode::Allowlist => gettextrs::gettext(
            "builds: RUN steps reach only the distribution's package mirrors, the agent installer's hosts and the allowed hosts, through a gateway of their own",
        ),
        NetworkMode::Full => gettextrs::gettext(
            "builds: RUN steps get a network of their own, not the host's (no access to services on this computer's loopback)",
        ),
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        gettextrs::gettext("none")
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::Mount;

    fn text(notes: &[Note]) -> String {
        notes
            .iter()
            .map(|n| n.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn definition() -> Definition {
        let mut d = Definition::new("shell", "fedora:44");
        d.set_network_mode(NetworkMode::Offline);
        d
    }

    #[test]
    fn every_security_change_gets_its_own_line() {
        let old = definition();
        let mut new = old.clone();
        assert!(security_notes(Some(&old), &new, false).is_empty());
        new.sandbox.runtime = Runtime::Container;
        new.set_network_mode(NetworkMode::Full);
        new.agent.secrets = vec!["HF_TOKEN".into()];
        new.image.packages = vec!["curl".into()];
        new.mounts = vec![Mount {
            source: "~/.ssh".into(),
            target: "/keys".into(),
            read_only: false,
        }];
        new.image.containerfile = Some("Dockerfile".into());
        new.sandbox.writable = vec![".git/hooks".into()];
        let notes = text(&security_notes(Some(&old), &new, false));
        for needle in [
            "isolation CHANGED",
            "network CHANGED: offline -> full",
            "RUN steps get a network of their own",
            "API keys requested CHANGED: none -> HF_TOKEN",
            "packages CHANGED: none -> curl",
            "extra mounts CHANGED: none -> ~/.ssh -> /keys (rw)",
            "hand-written Containerfile Dockerfile",
            "writable inside although the host runs them CHANGED: none -> .git/hooks",
        ] {
            assert!(notes.contains(needle), "{needle} in {notes}");
        }
    }

    #[test]
    fn a_changed_containerfile_is_named_even_when_the_definition_is_not() {
        let mut old = definition();
        old.image.containerfile = Some("Dockerfile".into());
        let notes = security_notes(Some(&old), &old, true);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].text.contains("Dockerfile CHANGED"), "{notes:?}");
        assert!(notes[0].alert);
    }

    #[test]
    fn a_containers_process_limit_is_listed_and_a_raised_one_is_an_alert() {
        let mut old = definition();
        old.sandbox.runtime = Runtime::Container;
        let first = text(&security_notes(None, &old, false));
        assert!(first.contains("process limit (container): 4096"), "{first}");
        let mut new = old.clone();
        new.resources.pids = 20_000;
        let notes = security_notes(Some(&old), &new, false);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].alert);
        assert!(
            notes[0]
                .text
                .contains("process limit (container) CHANGED: 4096 -> 20000"),
            "{notes:?}"
        );
    }

    #[test]
    fn a_first_review_lists_the_settings_as_they_are() {
        let notes = security_notes(None, &definition(), false);
        assert!(notes.iter().all(|n| !n.alert), "{notes:?}");
        let notes = text(&notes);
        assert!(notes.contains("isolation: microVM"), "{notes}");
        assert!(notes.contains("network: offline"), "{notes}");
        assert!(notes.contains("RUN steps have no network"), "{notes}");
    }
}
