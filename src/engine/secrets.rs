//! A sandbox's API keys as podman secrets of type mount: podman copies each
//! into the container as a file named after its variable (under
//! [`KEYS_IN_SANDBOX`]), which the entrypoint reads into the agent's
//! environment before its report line. So the value is in no image, not in
//! the container's OCI `config.json` and not in `podman inspect`.
//!
//! At rest it is kept as briefly as podman allows: the podman secrets
//! (podman's secret store, `secrets/filedriver/` under the user's storage)
//! exist from the create until the start, and podman's own copy in the
//! container's folder (`userdata/secrets/`, on disk) until the entrypoint has
//! reported, or else until the sandbox stops. Each start makes them afresh
//! from the keyring.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use hyper::{Body, Method};
use podman_api::models::Secret;

use crate::{Engine, Error, Result};
use sandbox::names::LABEL_SANDBOX;
use sandbox::secret::{KEYS_IN_SANDBOX, SecretValue};

/// How long a start waits for the entrypoint's first line before it leaves
/// podman's copy of the keys to be removed when the sandbox stops: a microVM
/// boots in a second or two, and a start must not hang on an image that
/// prints nothing.
const KEYS_READ_WITHIN: Duration = Duration::from_secs(15);

impl Engine {
    /// Replaces the sandbox's podman secrets with `values` (variable ->
    /// value) and returns the container's mount secrets, owned by `owner`
    /// (uid, gid: the keep-id user, who is the host user, so that Paddock
    /// can empty podman's copy).
    pub(super) async fn replace_secrets(
        &self,
        sandbox: &str,
        values: &BTreeMap<String, SecretValue>,
        owner: Option<(u32, u32)>,
    ) -> Result<Vec<Secret>> {
        self.remove_secrets(sandbox).await?;
        let labels = serde_json::json!({ LABEL_SANDBOX: sandbox }).to_string();
        let mut mounts = Vec::new();
        for (variable, value) in values {
            let name = secret_name(sandbox, variable);
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("name", &name)
                .append_pair("driver", "file")
                .append_pair("labels", &labels)
                .finish();
            let created = self
                .raw
                .send(
                    Method::POST,
                    &format!("/secrets/create?{query}"),
                    Some("application/octet-stream"),
                    Body::from(value.as_bytes().to_vec()),
                )
                .await;
            if let Err(err) = created {
                let _ = self.remove_secrets(sandbox).await;
                return Err(Error::podman(&name, err));
            }
            mounts.push(Secret {
                source: Some(name),
                target: Some(format!("{KEYS_IN_SANDBOX}/{variable}")),
                uid: owner.map(|(uid, _)| uid),
                gid: owner.map(|(_, gid)| gid),
                mode: Some(0o400),
            });
        }
        Ok(mounts)
    }

    /// Removes every podman secret made for the sandbox; how many there were.
    pub(super) async fn remove_secrets(&self, sandbox: &str) -> Result<usize> {
        let secrets = self
            .podman
            .secrets()
            .list()
            .await
            .map_err(|err| Error::podman(sandbox, err))?;
        let mut removed = 0;
        for secret in secrets {
            let Some(spec) = secret.spec else {
                continue;
            };
            let ours = spec
                .labels
                .as_ref()
                .and_then(|labels| labels.get(LABEL_SANDBOX))
                .is_some_and(|owner| owner == sandbox);
            if let (true, Some(name)) = (ours, spec.name) {
                self.podman
                    .secrets()
                    .get(&name)
                    .delete()
                    .await
                    .map_err(|err| Error::podman(&name, err))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Right after a start: podman has copied the keys into the container,
    /// so the secrets go from its store; the copy goes once the entrypoint
    /// has printed its first line (it reads the keys before), or when the
    /// sandbox ends before that. A sandbox without keys is not waited for.
    pub(super) async fn keys_handed_over(&self, sandbox: &str) -> Result<()> {
        if self.remove_secrets(sandbox).await? > 0
            && tokio::time::timeout(KEYS_READ_WITHIN, self.first_line(sandbox))
                .await
                .is_ok()
        {
            self.forget_keys(sandbox).await?;
        }
        Ok(())
    }

    /// Waits until the sandbox has printed a line or ended.
    async fn first_line(&self, sandbox: &str) {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("stdout", "true")
            .append_pair("stderr", "true")
            .append_pair("follow", "true")
            .finish();
        let logs = self
            .raw
            .send(
                Method::GET,
                &format!("/containers/{sandbox}/logs?{query}"),
                None,
                Body::empty(),
            )
            .await;
        if let Ok(response) = logs {
            let _ = crate::raw::Lines::new(response.into_body()).next().await;
        }
    }

    /// Removes the sandbox's keys from podman's secret store and podman's
    /// copy of them in the container's folder. A sandbox that is gone has
    /// none.
    pub async fn forget_keys(&self, sandbox: &str) -> Result<()> {
        self.remove_secrets(sandbox).await?;
        let inspect = match self.podman.containers().get(sandbox).inspect().await {
            Ok(inspect) => inspect,
            Err(podman_api::Error::Fault { code, .. }) if code == 404 => return Ok(()),
            Err(err) => return Err(Error::podman(sandbox, err)),
        };
        match inspect.static_dir {
            Some(dir) => wipe_copies(&Path::new(&dir).join("secrets"), sandbox),
            None => Ok(()),
        }
    }
}

/// `<sandbox>.<VARIABLE>`: recognisable in `podman secret ls`.
fn secret_name(sandbox: &str, variable: &str) -> String {
    format!("{sandbox}.{variable}")
}

/// Empties and removes podman's copies of the sandbox's secrets in `dir`
/// (podman names each after its secret).
fn wipe_copies(dir: &Path, sandbox: &str) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            return Err(Error::KeyCopyLeft {
                path: dir.to_owned(),
                error,
            });
        }
    };
    let prefix = secret_name(sandbox, "");
    for entry in entries.flatten() {
        let path = entry.path();
        let ours = entry.file_name().to_string_lossy().starts_with(&prefix);
        if !ours || !entry.file_type().is_ok_and(|kind| kind.is_file()) {
            continue;
        }
        // Emptied when it is the user's (then a running sandbox's open copy
        // frees its blocks too); removed in any case.
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|file| file.set_len(0));
        std::fs::remove_file(&path).map_err(|error| Error::KeyCopyLeft { path, error })?;
    }
    Ok(())
}
