//! A sandbox's API keys as podman secrets. podman keeps them in its secret
//! store (the file driver: `secrets/filedriver/` under the user's containers
//! storage, readable by the user only) and puts each into the container's
//! environment when it starts, so the value is in no image and `podman
//! inspect` shows it masked. They are named after the sandbox, labelled with
//! it, made afresh for each new container and removed with it.

use std::collections::BTreeMap;

use hyper::{Body, Method};

use crate::{Engine, Error, Result};
use sandbox::names::LABEL_SANDBOX;
use sandbox::secret::SecretValue;

impl Engine {
    /// Replaces the sandbox's podman secrets with `values` (variable ->
    /// value) and returns the container's `secret_env` (variable -> secret).
    pub(super) async fn replace_secrets(
        &self,
        sandbox: &str,
        values: &BTreeMap<String, SecretValue>,
    ) -> Result<BTreeMap<String, String>> {
        self.remove_secrets(sandbox).await?;
        let labels = serde_json::json!({ LABEL_SANDBOX: sandbox }).to_string();
        let mut secret_env = BTreeMap::new();
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
            secret_env.insert(variable.clone(), name);
        }
        Ok(secret_env)
    }

    /// Removes every podman secret made for the sandbox.
    pub(super) async fn remove_secrets(&self, sandbox: &str) -> Result<()> {
        let secrets = self
            .podman
            .secrets()
            .list()
            .await
            .map_err(|err| Error::podman(sandbox, err))?;
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
            }
        }
        Ok(())
    }
}

/// `<sandbox>.<VARIABLE>`: recognisable in `podman secret ls`.
fn secret_name(sandbox: &str, variable: &str) -> String {
    format!("{sandbox}.{variable}")
}
