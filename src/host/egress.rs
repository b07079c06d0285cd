//! The gateway around a sandbox, from the desktop's side: where its binary
//! and its policies are, the user's Allow and Deny (written into the
//! definition, approved, and in force at once), and removing a sandbox with
//! everything around it.

use engine::{Engine, GatewaySetup};
use sandbox::approval::Gate;
use sandbox::definition::NetworkMode;
use sandbox::messages::tr;
use sandbox::net;
use sandbox::project::Project;
use sandbox::secret::SecretVars;

use crate::launch::{LaunchError, Launcher};

/// Where the gateway binary and the policies are ([`GatewaySetup::locate`]).
pub fn setup() -> Result<GatewaySetup, LaunchError> {
    Ok(GatewaySetup::locate()?)
}

/// Whether a host goes on the allow or the deny list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
}

/// What [`decide`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    /// The running gateway re-read its policy.
    pub reloaded: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error(transparent)]
    Launch(#[from] LaunchError),
    #[error("{0}")]
    Refused(String),
}

/// Adds `host` to the definition's `allow` (taking it off `deny`) or to
/// `deny` (taking it off `allow`), writes the definition, records it as
/// approved (the user did it in Paddock) and, when the sandbox's gateway
/// runs, makes it follow the new policy at once. Only a definition that is
/// approved as it stands is changed: approving it afresh must not also
/// approve edits the user has not seen.
pub async fn decide(
    launcher: &Launcher,
    engine: &Engine,
    project: &Project,
    host: &str,
    decision: Decision,
) -> Result<Decided, DecideError> {
    let host = host.trim().to_ascii_lowercase();
    net::check_entry(&host).map_err(DecideError::Refused)?;
    let approved = match launcher.gate(project)? {
        Gate::Approved(approved) => approved,
        Gate::NeedsApproval(_) => {
            return Err(DecideError::Refused(gettextrs::gettext(
                "The sandbox definition has changes you have not approved, so Paddock did not change it. Review them first (`paddock run` or the window), then try again.",
            )));
        }
    };
    let mut definition = approved.definition().clone();
    if definition.network_mode() != NetworkMode::Allowlist {
        return Err(DecideError::Refused(tr(
            "The sandbox's network mode is \"{mode}\"; allowing or denying hosts needs mode = \"allowlist\" (`paddock init --network allowlist --force`, or the window's Network setting).",
            &[("mode", &definition.network_mode().as_str())],
        )));
    }
    let network = &mut definition.network;
    network.allow.retain(|entry| *entry != host);
    network.deny.retain(|entry| *entry != host);
    match decision {
        Decision::Allow => network.allow.push(host),
        Decision::Deny => network.deny.push(host),
    }
    project
        .save_definition(&definition)
        .map_err(LaunchError::from)?;
    launcher.approve_written(project)?;
    let agent = launcher.agent(project, &definition)?;
    let name = project.names().container();
    let reloaded = engine.gateway_running(&name).await.unwrap_or(false)
        && engine
            .reload_egress(&name, &net::run_policy(&definition, &agent), &setup()?)
            .await
            .is_ok();
    Ok(Decided { reloaded })
}

/// Starts the gateway of the project's running sandbox again, with the
/// approved definition's policy (the window's Restart when it stopped).
pub async fn restart_gateway(
    launcher: &Launcher,
    engine: &Engine,
    project: &Project,
) -> Result<(), DecideError> {
    let approved = match launcher.gate(project)? {
        Gate::Approved(approved) => approved,
        Gate::NeedsApproval(_) => {
            return Err(DecideError::Refused(gettextrs::gettext(
                "The sandbox definition has changes you have not approved, so Paddock did not start the gateway with them. Stop the sandbox and run it again to review them.",
            )));
        }
    };
    let definition = approved.definition();
    let agent = launcher.agent(project, definition)?;
    // The keys went from podman's store once the first gateway was ready:
    // the new one gets them from the keyring again.
    let vars = SecretVars::of(&agent, definition);
    let values = crate::secrets::values_for(&vars, project.root())
        .await
        .map_err(|error| DecideError::Refused(error.to_string()))?;
    let outside = engine::outside_keys(&vars, &values);
    engine
        .restart_gateway(
            &project.names().container(),
            &net::run_policy(definition, &agent),
            &setup()?,
            &outside,
        )
        .await
        .map_err(LaunchError::from)?;
    Ok(())
}

/// Removes the sandbox and its gateway, internal network and policy.
pub async fn remove(
    engine: &Engine,
    name: &str,
    volumes: bool,
) -> Result<Vec<String>, LaunchError> {
    let kept = engine.remove(name, volumes).await?;
    engine.close_egress(name, &setup()?.policies).await?;
    Ok(kept)
}
