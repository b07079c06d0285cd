//! Paddock's sandboxes as podman lists them, and what each one said about
//! its isolation the last time it ran.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use gettextrs::gettext;
use hyper::{Body, Method};

use crate::{Engine, Error, Result};
use sandbox::guest::{GuestReport, Verdict};
use sandbox::names::{LABEL_PROJECT, LABEL_SPEC};

/// A sandbox's state, as podman reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SandboxState {
    Created,
    Running,
    Paused,
    Stopping,
    Exited { code: i32 },
    Other(String),
}

impl SandboxState {
    fn from_podman(state: &str, exit_code: i32) -> SandboxState {
        match state {
            "created" | "configured" | "initialized" => SandboxState::Created,
            "running" => SandboxState::Running,
            "paused" => SandboxState::Paused,
            "stopping" => SandboxState::Stopping,
            "exited" | "stopped" => SandboxState::Exited { code: exit_code },
            other => SandboxState::Other(other.to_owned()),
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self, SandboxState::Running | SandboxState::Paused)
    }
}

impl fmt::Display for SandboxState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            SandboxState::Created => gettext("created"),
            SandboxState::Running => gettext("running"),
            SandboxState::Paused => gettext("paused"),
            SandboxState::Stopping => gettext("stopping"),
            SandboxState::Exited { code } => {
                gettext("exited ({code})").replace("{code}", &code.to_string())
            }
            SandboxState::Other(state) => state.clone(),
        };
        f.write_str(&text)
    }
}

/// One of Paddock's sandboxes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxSummary {
    pub name: String,
    pub project: PathBuf,
    /// The hash of the definition it was made from.
    pub spec: Option<String>,
    pub image: String,
    pub state: SandboxState,
}

/// A container as libpod's list endpoint returns it (only what we read).
#[derive(Debug, serde::Deserialize)]
pub(crate) struct ListedContainer {
    #[serde(rename = "Id")]
    pub(crate) id: String,
    #[serde(rename = "Names", default)]
    names: Vec<String>,
    #[serde(rename = "Image", default)]
    image: String,
    #[serde(rename = "State", default)]
    pub(crate) state: String,
    #[serde(rename = "ExitCode", default)]
    exit_code: i32,
    #[serde(rename = "Labels", default)]
    labels: Option<HashMap<String, String>>,
}

impl Engine {
    /// Lists containers through libpod directly: podman-api's model of a
    /// listed container does not match what podman 5 sends.
    pub(crate) async fn list_containers(&self, query: &str) -> Result<Vec<ListedContainer>> {
        let body = self.raw.get(&format!("/containers/json?{query}")).await?;
        serde_json::from_slice(&body)
            .map_err(|err| Error::podman(&gettext("Listing containers"), err))
    }

    /// Paddock's sandboxes (by label), in any state, sorted by name.
    pub async fn list(&self) -> Result<Vec<SandboxSummary>> {
        let filters = serde_json::json!({ "label": [LABEL_PROJECT] }).to_string();
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("all", "true")
            .append_pair("filters", &filters)
            .finish();
        let mut sandboxes: Vec<SandboxSummary> = self
            .list_containers(&query)
            .await?
            .into_iter()
            .map(|container| {
                let labels = container.labels.unwrap_or_default();
                SandboxSummary {
                    name: container.names.into_iter().next().unwrap_or(container.id),
                    project: labels
                        .get(LABEL_PROJECT)
                        .map(PathBuf::from)
                        .unwrap_or_default(),
                    spec: labels.get(LABEL_SPEC).cloned(),
                    image: container.image,
                    state: SandboxState::from_podman(&container.state, container.exit_code),
                }
            })
            .collect();
        sandboxes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(sandboxes)
    }

    /// The sandbox of a project, if there is one.
    pub async fn sandbox_of(&self, project: &std::path::Path) -> Result<Option<SandboxSummary>> {
        Ok(self
            .list()
            .await?
            .into_iter()
            .find(|sandbox| sandbox.project == project))
    }

    /// The isolation verdict of the sandbox's last start, read back from the
    /// first line of its log; `None` when that line is not the entrypoint's
    /// report (a sandbox started with a custom entrypoint, or no output yet).
    pub async fn last_verdict(&self, name: &str) -> Result<Option<Verdict>> {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("stdout", "true")
            .append_pair("stderr", "false")
            .finish();
        let response = self
            .raw
            .send(
                Method::GET,
                &format!("/containers/{name}/logs?{query}"),
                None,
                Body::empty(),
            )
            .await?;
        let mut lines = crate::raw::Lines::new(response.into_body());
        let Some(first) = lines.next().await? else {
            return Ok(None);
        };
        match GuestReport::parse(strip_log_frame(&first)) {
            Ok(report) => Ok(Some(self.verdict(name, &report).await?)),
            Err(_) => Ok(None),
        }
    }
}

/// Without a terminal, libpod's log stream frames each chunk with an 8-byte
/// header (stream, 0, 0, 0, length); with one it sends the bytes as they are.
fn strip_log_frame(line: &str) -> &str {
    let bytes = line.as_bytes();
    if bytes.len() >= 8 && matches!(bytes[0], 1 | 2) && bytes[1..4] == [0, 0, 0] {
        line.get(8..).unwrap_or(line)
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podman_states_map_to_ours() {
        assert_eq!(
            SandboxState::from_podman("running", 0),
            SandboxState::Running
        );
        assert_eq!(
            SandboxState::from_podman("exited", 7),
            SandboxState::Exited { code: 7 }
        );
        assert_eq!(
            SandboxState::from_podman("configured", 0),
            SandboxState::Created
        );
        assert!(SandboxState::Running.is_running());
        assert!(!SandboxState::Exited { code: 0 }.is_running());
        assert_eq!(SandboxState::Exited { code: 7 }.to_string(), "exited (7)");
    }

    #[test]
    fn log_frames_are_stripped() {
        let framed = "\u{1}\0\0\0\0\0\0\u{5}paddock-sandbox x";
        assert_eq!(strip_log_frame(framed), "paddock-sandbox x");
        assert_eq!(strip_log_frame("paddock-sandbox x"), "paddock-sandbox x");
    }
}
