//! Building a sandbox image from a [`BuildPlan`]: only the plan's files go to
//! podman (never the project), the log streams as it arrives, and a cancelled
//! build leaves no tag behind.
//!
//! The build goes straight to libpod's `/build` endpoint: podman-api can only
//! send a folder from disk and offers no way to drop a build half-way.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use hyper::{Body, Method};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::raw::Lines;
use crate::{Engine, Error, Result};
use sandbox::plan::{BuildNetwork, BuildPlan, Gated};

/// One "STEP n/m: INSTRUCTION" line of podman's build log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildStep {
    pub number: u32,
    pub total: u32,
    pub instruction: String,
}

impl BuildStep {
    /// "STEP 3/7: RUN make" -> step 3 of 7, "RUN make".
    pub fn parse(line: &str) -> Option<BuildStep> {
        let rest = line.strip_prefix("STEP ")?;
        let (counts, instruction) = rest.split_once(':')?;
        let (number, total) = counts.split_once('/')?;
        Some(BuildStep {
            number: number.trim().parse().ok()?,
            total: total.trim().parse().ok()?,
            instruction: instruction.trim().to_owned(),
        })
    }
}

/// What a running build reports, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildEvent {
    /// A new step began (its line is also sent as [`BuildEvent::Log`]).
    Step(BuildStep),
    /// One line of the build log, without its newline.
    Log(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildOutcome {
    Built,
    /// The image (tag = spec hash) already existed: nothing was built.
    AlreadyBuilt,
}

/// How many of the failing step's last output lines an error carries.
const FAILED_OUTPUT_LINES: usize = 8;
/// How long a cancelled build may take to finish its current step.
const CANCEL_SETTLE: Duration = Duration::from_secs(300);

impl Engine {
    pub async fn image_exists(&self, image: &str) -> Result<bool> {
        Ok(self.podman.images().get(image).exists().await?)
    }

    /// Builds `plan.image` unless it exists. Log lines and steps go to `events`
    /// as podman sends them. On `cancel` the build is dropped, podman is given
    /// time to stop it, and a tag it may still have written is removed. Only
    /// a plan that passed the approval gate is built.
    pub async fn build(
        &self,
        plan: &Gated<BuildPlan>,
        events: &UnboundedSender<BuildEvent>,
        cancel: &CancellationToken,
    ) -> Result<BuildOutcome> {
        if self.image_exists(&plan.image).await? {
            return Ok(BuildOutcome::AlreadyBuilt);
        }
        let build_containers_before = self.build_containers().await?;
        let result = tokio::select! {
            result = self.gated_build(plan, events) => result,
            () = cancel.cancelled() => Err(Error::Cancelled),
        };
        match result {
            Err(Error::Cancelled) => {
                self.settle_cancelled_build(plan, &build_containers_before)
                    .await?;
                Err(Error::Cancelled)
            }
            Err(Error::BuildFailed {
                step: Some(step),
                message,
            }) if step.instruction.to_ascii_uppercase().starts_with("FROM ") => {
                Err(self.base_image_failure(step, message).await)
            }
            Err(error) => Err(error),
            // A log cut short (podman stopped mid-way) ends like a finished
            // one: only the tag tells them apart.
            Ok(()) if !self.image_exists(&plan.image).await? => Err(Error::Connection(
                gettextrs::gettext("the build log ended before the image was tagged"),
            )),
            Ok(()) => Ok(BuildOutcome::Built),
        }
    }

    /// A failed FROM step is almost always a base image that is neither
    /// here nor pullable: say so, with the fix, when it is not here.
    async fn base_image_failure(&self, step: BuildStep, message: String) -> Error {
        let image = step
            .instruction
            .split_whitespace()
            .skip(1)
            .find(|word| !word.starts_with("--"))
            .unwrap_or_default()
            .to_owned();
        match self.image_exists(&image).await {
            Ok(false) if !image.is_empty() => Error::BaseImageMissing { image, message },
            _ => Error::BuildFailed {
                step: Some(step),
                message,
            },
        }
    }

    /// The build of an `allowlist` definition gets a way out of its own for
    /// its `RUN` steps (closed afterwards, however the build ends); others
    /// build directly.
    async fn gated_build(
        &self,
        plan: &BuildPlan,
        events: &UnboundedSender<BuildEvent>,
    ) -> Result<()> {
        let BuildNetwork::Gated { sandbox, policy } = &plan.network else {
            return self.stream_build(plan, events, None).await;
        };
        let setup = crate::GatewaySetup::locate()?;
        let name = crate::egress::build_name(sandbox);
        let result = match self.open_build_egress(&name, policy, &setup).await {
            Ok(way) => self.stream_build(plan, events, Some(&way)).await,
            Err(error) => Err(error),
        };
        let closed = self.close_egress(&name, &setup.policies).await;
        result.and(closed)
    }

    async fn stream_build(
        &self,
        plan: &BuildPlan,
        events: &UnboundedSender<BuildEvent>,
        way: Option<&crate::egress::BuildWay>,
    ) -> Result<()> {
        let mut lines = self
            .post_build(&build_query(plan, way)?, &plan.context)
            .await?;
        let mut log = BuildLog::default();
        while let Some(line) = lines.next().await? {
            if line.trim().is_empty() {
                continue;
            }
            let message: BuildMessage = serde_json::from_str(&line)
                .map_err(|err| Error::podman(&gettextrs::gettext("Reading the build log"), err))?;
            if let Some(error) = message.error {
                return Err(log.failure(error));
            }
            if let Some(text) = message.stream {
                log.push(&text, events);
            }
        }
        Ok(())
    }

    /// Sends `files` as the build context to podman's build endpoint with
    /// `query`; the lines of its log.
    async fn post_build(&self, query: &str, files: &BTreeMap<String, Vec<u8>>) -> Result<Lines> {
        let context = context_tar(files)
            .map_err(|err| Error::podman(&gettextrs::gettext("Packing the build context"), err))?;
        let response = self
            .raw
            .send(
                Method::POST,
                &format!("/build?{query}"),
                Some("application/x-tar"),
                Body::from(context),
            )
            .await?;
        Ok(Lines::new(response.into_body()))
    }

    /// Builds `image` from a context of `files` (a `Containerfile` among
    /// them) that is Paddock's own, not a project's: without network.
    pub(crate) async fn build_files(
        &self,
        image: &str,
        files: &BTreeMap<String, Vec<u8>>,
    ) -> Result<()> {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("t", image)
            .append_pair("dockerfile", "Containerfile")
            .append_pair("networkmode", "1")
            .append_pair("rm", "true")
            .append_pair("forcerm", "true")
            .finish();
        let mut lines = self.post_build(&query, files).await?;
        while let Some(line) = lines.next().await? {
            if let Ok(BuildMessage {
                error: Some(error), ..
            }) = serde_json::from_str(&line)
            {
                return Err(Error::podman(image, error));
            }
        }
        Ok(())
    }

    /// The ids of buildah's working containers ("external" to libpod).
    async fn build_containers(&self) -> Result<HashSet<String>> {
        Ok(self
            .list_containers("all=true&external=true")
            .await?
            .into_iter()
            .filter(|container| container.state.eq_ignore_ascii_case("storage"))
            .map(|container| container.id)
            .collect())
    }

    /// podman finishes the step it is in after the client goes away and then
    /// removes its working container; wait for that, then drop any tag.
    /// Only the working containers that appeared during this build are
    /// waited for, not those of builds started since by someone else.
    async fn settle_cancelled_build(
        &self,
        plan: &BuildPlan,
        before: &HashSet<String>,
    ) -> Result<()> {
        let ours: HashSet<String> = self
            .build_containers()
            .await?
            .difference(before)
            .cloned()
            .collect();
        let deadline = tokio::time::Instant::now() + CANCEL_SETTLE;
        while tokio::time::Instant::now() < deadline {
            let now = self.build_containers().await?;
            if now.is_disjoint(&ours) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        if self.image_exists(&plan.image).await? {
            self.podman
                .images()
                .get(&plan.image)
                .remove()
                .await
                .map_err(|err| Error::podman(&plan.image, err))?;
        }
        Ok(())
    }
}

#[derive(serde::Deserialize)]
struct BuildMessage {
    stream: Option<String>,
    error: Option<String>,
}

/// The log as it streams: podman's chunks split into lines, the current step
/// and its output kept for the error message of a failed build.
#[derive(Default)]
struct BuildLog {
    partial: String,
    step: Option<BuildStep>,
    step_output: Vec<String>,
}

impl BuildLog {
    fn push(&mut self, text: &str, events: &UnboundedSender<BuildEvent>) {
        self.partial.push_str(text);
        while let Some(end) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=end).collect();
            let line = line.trim_end_matches(['\n', '\r']).to_owned();
            if let Some(step) = BuildStep::parse(&line) {
                self.step = Some(step.clone());
                self.step_output.clear();
                let _ = events.send(BuildEvent::Step(step));
            } else {
                self.step_output.push(line.clone());
                if self.step_output.len() > FAILED_OUTPUT_LINES {
                    self.step_output.remove(0);
                }
            }
            let _ = events.send(BuildEvent::Log(line));
        }
    }

    fn failure(self, error: String) -> Error {
        let mut message = error.trim_end().to_owned();
        let output: Vec<&str> = self
            .step_output
            .iter()
            .map(String::as_str)
            .chain(std::iter::once(self.partial.as_str()))
            .filter(|line| !line.trim().is_empty())
            .collect();
        if !output.is_empty() {
            message.push('\n');
            message.push_str(&output.join("\n"));
        }
        Error::BuildFailed {
            step: self.step,
            message,
        }
    }
}

/// An in-memory tar of the plan's files. Scripts (`#!`) keep an execute bit.
fn context_tar(files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<Vec<u8>> {
    let mut archive = tar::Builder::new(Vec::new());
    for (name, contents) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(
            if contents.starts_with(b"#!") || contents.starts_with(b"\x7fELF") {
                0o755
            } else {
                0o644
            },
        );
        header.set_mtime(0);
        archive.append_data(&mut header, name, contents.as_slice())?;
    }
    archive.into_inner()
}

fn build_query(plan: &BuildPlan, way: Option<&crate::egress::BuildWay>) -> Result<String> {
    let json = |map: &BTreeMap<String, String>| {
        serde_json::to_string(map)
            .map_err(|err| Error::podman(&gettextrs::gettext("Preparing the build"), err))
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("t", &plan.image)
        .append_pair("dockerfile", &plan.containerfile)
        .append_pair("labels", &json(&plan.labels)?)
        // RUN steps never share the host's network namespace (its loopback
        // services, the X server's abstract socket): libpod's build puts
        // them there unless `nsoptions` asks for a namespace of their own.
        // `networkmode` is buildah's network policy: 1 disabled, 2 enabled.
        // Rootless buildah cannot join a podman network by name, so a gated
        // build joins the namespace of a container that is on it alone;
        // the proxy variables are build arguments that Docker and buildah
        // predefine (not part of the spec hash).
        .append_pair(
            "networkmode",
            match plan.network {
                BuildNetwork::None => "1",
                BuildNetwork::Private | BuildNetwork::Gated { .. } => "2",
            },
        );
    match way {
        Some(way) => {
            let mut args = plan.build_args.clone();
            args.extend(way.egress.env());
            let namespace = serde_json::json!([
                { "Name": "network", "Host": false, "Path": way.namespace }
            ]);
            query
                .append_pair("buildargs", &json(&args)?)
                .append_pair("nsoptions", &namespace.to_string())
                .append_pair(
                    "dnsservers",
                    &serde_json::json!([way.egress.address.to_string()]).to_string(),
                );
        }
        None => {
            query
                .append_pair("buildargs", &json(&plan.build_args)?)
                .append_pair(
                    "nsoptions",
                    r#"[{"Name":"network","Host":false,"Path":""}]"#,
                );
        }
    }
    query
        // Remove every intermediate container, also when a step fails.
        .append_pair("rm", "true")
        .append_pair("forcerm", "true");
    Ok(query.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_lines_are_parsed() {
        assert_eq!(
            BuildStep::parse("STEP 3/7: RUN apk add nodejs"),
            Some(BuildStep {
                number: 3,
                total: 7,
                instruction: "RUN apk add nodejs".into()
            })
        );
        assert_eq!(BuildStep::parse("one"), None);
        assert_eq!(BuildStep::parse("STEP x/7: RUN"), None);
    }

    #[test]
    fn chunks_become_lines_and_a_failure_names_its_step() {
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
        let mut log = BuildLog::default();
        log.push("STEP 1/2: FROM base\n", &sender);
        log.push(
            "STEP 2/2: RUN apk add x\ninstalling\n/bin/sh: apk: ",
            &sender,
        );
        log.push("not found\n", &sender);
        let Error::BuildFailed { step, message } =
            log.failure("building at STEP \"RUN apk add x\": exit status 127\n".into())
        else {
            panic!("not a build failure");
        };
        assert_eq!(step.map(|step| step.number), Some(2));
        assert!(message.starts_with("building at STEP"), "{message}");
        assert!(message.ends_with("/bin/sh: apk: not found"), "{message}");
        let mut seen = Vec::new();
        while let Ok(event) = receiver.try_recv() {
            seen.push(event);
        }
        assert_eq!(
            seen,
            vec![
                BuildEvent::Step(BuildStep {
                    number: 1,
                    total: 2,
                    instruction: "FROM base".into()
                }),
                BuildEvent::Log("STEP 1/2: FROM base".into()),
                BuildEvent::Step(BuildStep {
                    number: 2,
                    total: 2,
                    instruction: "RUN apk add x".into()
                }),
                BuildEvent::Log("STEP 2/2: RUN apk add x".into()),
                BuildEvent::Log("installing".into()),
                BuildEvent::Log("/bin/sh: apk: not found".into()),
            ]
        );
    }

    #[test]
    fn the_context_holds_exactly_the_plan_files() {
        let files = BTreeMap::from([
            ("Containerfile".to_owned(), b"FROM x\n".to_vec()),
            ("entrypoint.sh".to_owned(), b"#!/bin/sh\n".to_vec()),
        ]);
        let tar = context_tar(&files).unwrap();
        let mut archive = tar::Archive::new(tar.as_slice());
        let entries: Vec<(String, u32)> = archive
            .entries()
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                (
                    entry.path().unwrap().display().to_string(),
                    entry.header().mode().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            entries,
            vec![
                ("Containerfile".to_owned(), 0o644),
                ("entrypoint.sh".to_owned(), 0o755)
            ]
        );
    }
}
