//! podman's event stream, narrowed to Paddock's sandboxes: what a front end
//! needs to keep its list current without polling.

use std::path::PathBuf;

use hyper::{Body, Method};

use crate::raw::Lines;
use crate::{Engine, Error, Result};
use sandbox::names::LABEL_PROJECT;

/// A change of one sandbox's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxEvent {
    pub name: String,
    pub project: PathBuf,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Created,
    Started,
    /// The main process ended (with its exit code, when podman says it).
    Died {
        exit_code: Option<i32>,
    },
    Stopped,
    Removed,
    /// Any other container event (attach, resize, …) under podman's name.
    Other(String),
}

/// Sandbox events as they happen. Ends when podman goes away.
pub struct SandboxEvents {
    lines: Lines,
}

impl SandboxEvents {
    pub async fn next(&mut self) -> Option<Result<SandboxEvent>> {
        loop {
            let line = match self.lines.next().await {
                Ok(Some(line)) => line,
                Ok(None) => return None,
                Err(err) => return Some(Err(err)),
            };
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<RawEvent>(&line) {
                Ok(event) => {
                    if let Some(event) = event.into_sandbox_event() {
                        return Some(Ok(event));
                    }
                }
                Err(err) => {
                    return Some(Err(Error::podman(
                        &gettextrs::gettext("Reading podman's events"),
                        err,
                    )));
                }
            }
        }
    }
}

#[derive(serde::Deserialize)]
struct RawEvent {
    #[serde(rename = "Type", default)]
    kind: String,
    #[serde(rename = "Action", default)]
    action: String,
    #[serde(rename = "Actor", default)]
    actor: Actor,
}

#[derive(Default, serde::Deserialize)]
struct Actor {
    #[serde(rename = "Attributes", default)]
    attributes: std::collections::HashMap<String, String>,
}

impl RawEvent {
    fn into_sandbox_event(mut self) -> Option<SandboxEvent> {
        if self.kind != "container" {
            return None;
        }
        let project = self.actor.attributes.remove(LABEL_PROJECT)?;
        let name = self.actor.attributes.remove("name")?;
        let change = match self.action.as_str() {
            "create" => Change::Created,
            "start" => Change::Started,
            "died" => Change::Died {
                exit_code: self
                    .actor
                    .attributes
                    .get("containerExitCode")
                    .and_then(|code| code.parse().ok()),
            },
            "stop" => Change::Stopped,
            "remove" => Change::Removed,
            other => Change::Other(other.to_owned()),
        };
        Some(SandboxEvent {
            name,
            project: PathBuf::from(project),
            change,
        })
    }
}

impl Engine {
    /// Follows podman's events for Paddock's containers from now on.
    pub async fn events(&self) -> Result<SandboxEvents> {
        // podman's event filter matches a label only with its value, so the
        // label is checked here (`into_sandbox_event`).
        let filters = serde_json::json!({ "type": ["container"] }).to_string();
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("stream", "true")
            .append_pair("filters", &filters)
            .finish();
        let response = self
            .raw
            .send(
                Method::GET,
                &format!("/events?{query}"),
                None,
                Body::empty(),
            )
            .await?;
        Ok(SandboxEvents {
            lines: Lines::new(response.into_body()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_died_event_carries_the_exit_code() {
        let raw: RawEvent = serde_json::from_str(
            r#"{"Type":"container","Action":"died","Actor":{"ID":"abc","Attributes":{"name":"paddock-hello","containerExitCode":"7","io.github.paddockapp.project":"/home/u/hello"}}}"#,
        )
        .unwrap();
        assert_eq!(
            raw.into_sandbox_event(),
            Some(SandboxEvent {
                name: "paddock-hello".into(),
                project: "/home/u/hello".into(),
                change: Change::Died { exit_code: Some(7) }
            })
        );
    }

    #[test]
    fn other_containers_and_types_are_ignored() {
        let foreign: RawEvent = serde_json::from_str(
            r#"{"Type":"container","Action":"start","Actor":{"Attributes":{"name":"other"}}}"#,
        )
        .unwrap();
        assert_eq!(foreign.into_sandbox_event(), None);
        let image: RawEvent =
            serde_json::from_str(r#"{"Type":"image","Action":"pull","Actor":{}}"#).unwrap();
        assert_eq!(image.into_sandbox_event(), None);
    }
}
