//! Creating, starting, waiting for, stopping and removing a sandbox.

use podman_api::models::{
    ContainerMount, LinuxCpu, LinuxMemory, LinuxPids, LinuxResources, NamedVolume, Namespace,
    PosixRlimit,
};
use podman_api::opts::{
    ContainerCreateOpts, ContainerDeleteOpts, ContainerStopOpts, ContainerWaitOpts,
    VolumeCreateOpts,
};

use std::collections::BTreeMap;

use crate::{Engine, Error, Result};
use sandbox::definition::Resources;
use sandbox::plan::{Bind, ContainerPlan, Gated, Isolation, SandboxNetwork};
use sandbox::secret::SecretValue;

fn verify_binds(plan: &ContainerPlan) -> Result<()> {
    for bind in &plan.binds {
        bind.verify().map_err(Error::BindMoved)?;
    }
    Ok(())
}

/// Seconds a stopping sandbox gets between SIGTERM and SIGKILL.
const STOP_TIMEOUT: usize = 10;

impl Engine {
    /// The named volumes the plan mounts, by the name each has in podman:
    /// created unless it exists, or the earlier version's name while only
    /// that exists.
    async fn ensure_volumes(&self, plan: &ContainerPlan) -> Result<Vec<NamedVolume>> {
        let mut mounted = Vec::new();
        for mount in &plan.volumes {
            let exists = |name: &str| {
                let volume = self.podman.volumes().get(name);
                async move { volume.exists().await }
            };
            let name = match &mount.earlier {
                _ if exists(&mount.volume).await? => mount.volume.clone(),
                Some(earlier) if exists(earlier).await? => earlier.clone(),
                _ => {
                    self.podman
                        .volumes()
                        .create(&VolumeCreateOpts::builder().name(&mount.volume).build())
                        .await
                        .map_err(|err| Error::podman(&mount.volume, err))?;
                    mount.volume.clone()
                }
            };
            mounted.push(NamedVolume {
                name: Some(name),
                dest: Some(mount.target.clone()),
                options: Some(vec!["U".into(), "z".into()]),
                is_anonymous: None,
            });
        }
        Ok(mounted)
    }

    /// The host folder holding the named volume's files, `None` when there is
    /// no such volume.
    pub async fn volume_folder(&self, name: &str) -> Result<Option<std::path::PathBuf>> {
        let volume = self.podman.volumes().get(name);
        if !volume.exists().await? {
            return Ok(None);
        }
        let inspect = volume
            .inspect()
            .await
            .map_err(|err| Error::podman(name, err))?;
        Ok(Some(std::path::PathBuf::from(inspect.mountpoint)))
    }

    /// Creates the named volume and returns its host folder.
    pub async fn create_volume(&self, name: &str) -> Result<Option<std::path::PathBuf>> {
        self.podman
            .volumes()
            .create(&VolumeCreateOpts::builder().name(name).build())
            .await
            .map_err(|err| Error::podman(name, err))?;
        self.volume_folder(name).await
    }

    /// Refuses a microVM plan when podman's crun lacks libkrun: crun would
    /// ignore the krun annotation and start a plain container instead. A
    /// container plan passes.
    pub async fn refuse_unisolated(&self, plan: &ContainerPlan) -> Result<()> {
        if plan.isolation == Isolation::MicroVm {
            let host = self.info().await?;
            if !host.krun_available {
                return Err(Error::KrunUnavailable {
                    runtime: runtime_summary(&host.runtime_name, host.crun_version.as_deref()),
                });
            }
        }
        Ok(())
    }

    /// Creates the sandbox container exactly as the plan says (volumes first),
    /// after [`Engine::refuse_unisolated`]. `terminal` gives it a terminal;
    /// without one stdin is a plain pipe. `secrets` (variable -> value, looked
    /// up by the front end for the plan's secret variables) reach it as
    /// podman mount secrets, which its entrypoint reads into the environment,
    /// except the keys that stay outside ([`crate::outside_keys`], which
    /// [`Engine::open_egress`] gave the gateway): for those it gets the
    /// placeholder and the gateway's listener as the base URL.
    ///
    /// The runtime is never selected by name: krun's annotation does that,
    /// and crun refuses a runtime named krun together with it.
    ///
    /// Only a plan that passed the approval gate is created, and only while
    /// every bind source is still the one pinned when the plan was made:
    /// checked here, after any build, immediately before podman gets them.
    pub async fn create(
        &self,
        plan: &Gated<ContainerPlan>,
        terminal: bool,
        secrets: &BTreeMap<String, SecretValue>,
    ) -> Result<()> {
        self.refuse_unisolated(plan).await?;
        let volumes = self.ensure_volumes(plan).await?;
        verify_binds(plan)?;
        let mounts = plan
            .binds
            .iter()
            .map(bind_mount)
            .collect::<Result<Vec<_>>>()?;
        // An entrypoint set at create time makes podman drop the image's
        // CMD, which is the agent unless the plan names a command.
        let command = match &plan.command {
            Some(command) => command.clone(),
            None => self.image_command(&plan.image).await?,
        };
        let egress = match &plan.network {
            SandboxNetwork::Gated(_) => Some(self.egress(&plan.name).await?),
            SandboxNetwork::None | SandboxNetwork::Full => None,
        };
        let mut env = plan.env.clone();
        let mut inside = secrets.clone();
        if let Some(egress) = &egress {
            env.extend(egress.env());
            let outside = crate::outside_keys(&plan.secrets, secrets);
            for key in &outside {
                inside.remove(&key.route.variable);
            }
            env.extend(crate::keys::sandbox_env(&outside, egress.address));
        }
        // The keys' files are the sandbox's user's, who is the host user.
        let owner = plan
            .user
            .split_once(':')
            .and_then(|(uid, gid)| Some((uid.parse().ok()?, gid.parse().ok()?)));
        let secrets = self.replace_secrets(&plan.name, &inside, owner).await?;
        let mut opts = ContainerCreateOpts::builder()
            .name(&plan.name)
            .image(&plan.image)
            .entrypoint(plan.entrypoint.iter())
            .user(&plan.user)
            .work_dir(&plan.workdir)
            .env(env.iter())
            .annotations(plan.annotations.iter())
            .labels(plan.labels.iter())
            .user_namespace(Namespace {
                nsmode: Some("keep-id".into()),
                value: None,
            })
            .mounts(mounts)
            .volumes(volumes)
            .secrets(secrets)
            .terminal(terminal)
            .stdin(true)
            .privileged(false);
        if !command.is_empty() {
            opts = opts.command(command.iter());
        }
        if let Some(limits) = &plan.limits {
            opts = opts
                .resource_limits(cgroup_limits(limits))
                .r_limits([process_rlimit(limits)]);
        }
        match &egress {
            Some(egress) => {
                // The internal network only, and the gateway as resolver:
                // no podman DNS there to answer instead.
                opts = opts
                    .net_namespace(Namespace {
                        nsmode: Some("bridge".into()),
                        value: None,
                    })
                    .networks([(egress.network.clone(), serde_json::json!({}))])
                    .dns_server([egress.address.to_string()]);
            }
            None if plan.network == SandboxNetwork::None => {
                opts = opts.net_namespace(Namespace {
                    nsmode: Some("none".into()),
                    value: None,
                });
            }
            None => {}
        }
        let created = self.podman.containers().create(&opts.build()).await;
        if let Err(err) = created {
            let _ = self.remove_secrets(&plan.name).await;
            return Err(Error::podman(&plan.name, err));
        }
        Ok(())
    }

    /// The image's own `CMD`.
    async fn image_command(&self, image: &str) -> Result<Vec<String>> {
        let inspect = self
            .podman
            .images()
            .get(image)
            .inspect()
            .await
            .map_err(|err| Error::podman(image, err))?;
        Ok(inspect
            .config
            .and_then(|config| config.cmd)
            .unwrap_or_default())
    }

    /// Starts the sandbox created from `plan`, once more checking that its
    /// bind sources are still the pinned ones (the runtime mounts them now),
    /// and returns once its API keys are no longer kept at rest (see
    /// the engine's `secrets` module).
    pub async fn start(&self, plan: &Gated<ContainerPlan>) -> Result<()> {
        verify_binds(plan)?;
        self.podman
            .containers()
            .get(&plan.name)
            .start(None)
            .await
            .map_err(|err| Error::podman(&plan.name, err))?;
        self.keys_handed_over(&plan.name).await
    }

    /// Tells the sandbox's terminal its new size.
    pub async fn resize(&self, name: &str, columns: u16, rows: u16) -> Result<()> {
        self.podman
            .containers()
            .get(name)
            .resize(usize::from(columns), usize::from(rows))
            .await
            .map_err(|err| Error::podman(name, err))
    }

    /// Waits until the sandbox's main process has exited and returns its exit
    /// code (podman-api's `wait` drops it, so it is read back by inspecting);
    /// podman's copy of its API keys goes with it.
    pub async fn wait(&self, name: &str) -> Result<i64> {
        let container = self.podman.containers().get(name);
        container
            .wait(
                &ContainerWaitOpts::builder()
                    .conditions([podman_api::models::ContainerStatus::Exited])
                    .build(),
            )
            .await
            .map_err(|err| Error::podman(name, err))?;
        self.forget_keys(name).await?;
        let inspect = container
            .inspect()
            .await
            .map_err(|err| Error::podman(name, err))?;
        Ok(inspect
            .state
            .and_then(|state| state.exit_code)
            .map(i64::from)
            .unwrap_or_default())
    }

    /// SIGKILL, for a sandbox Paddock refuses to let run on; one that has
    /// already exited is fine.
    pub(crate) async fn kill(&self, name: &str) {
        let _ = self.podman.containers().get(name).kill().await;
    }

    /// Stops the sandbox; podman's copy of its API keys goes with it.
    pub async fn stop(&self, name: &str) -> Result<()> {
        self.podman
            .containers()
            .get(name)
            .stop(&ContainerStopOpts::builder().timeout(STOP_TIMEOUT).build())
            .await
            .map_err(|err| Error::podman(name, err))?;
        self.forget_keys(name).await
    }

    /// Removes the sandbox, stopping it first if it runs, and its podman
    /// secrets. Its named volumes stay unless `volumes`; even then a volume another container still uses
    /// (an agent's home shared between projects) is kept and named in the result.
    pub async fn remove(&self, name: &str, volumes: bool) -> Result<Vec<String>> {
        let container = self.podman.containers().get(name);
        let inspect = container
            .inspect()
            .await
            .map_err(|err| Error::podman(name, err))?;
        let named_volumes: Vec<String> = inspect
            .mounts
            .unwrap_or_default()
            .into_iter()
            .filter(|mount| mount.type_.as_deref() == Some("volume"))
            .filter_map(|mount| mount.name)
            .collect();
        container
            .delete(
                &ContainerDeleteOpts::builder()
                    .force(true)
                    .timeout(STOP_TIMEOUT)
                    .build(),
            )
            .await
            .map_err(|err| Error::podman(name, err))?;
        self.remove_secrets(name).await?;
        let mut kept = Vec::new();
        if volumes {
            for volume in named_volumes {
                let removed = self.podman.volumes().get(&volume).delete().await;
                if removed.is_err() {
                    kept.push(volume);
                }
            }
        }
        Ok(kept)
    }
}

/// A bind as podman mounts it: exactly the pinned source, and never with
/// `U`. The sandbox runs as the host user (its `user` with keep-id), so the
/// project's files are already its own; `U` could only hand them to
/// another uid, as it did to a subordinate one for an image with `USER 0`.
fn bind_mount(bind: &Bind) -> Result<ContainerMount> {
    let access = if bind.read_only { "ro" } else { "rw" };
    Ok(ContainerMount {
        destination: Some(bind.target.clone()),
        source: Some(bind.source_str().map_err(Error::BindMoved)?.to_owned()),
        _type: Some("bind".into()),
        options: Some(vec![access.into(), "z".into()]),
        uid_mappings: None,
        gid_mappings: None,
    })
}

/// A CPU period of 100 ms: the quota is the definition's CPUs times it.
const CPU_PERIOD_US: u64 = 100_000;

/// A plain container's CPUs, memory (no swap beyond it) and processes as
/// cgroup limits. Rootless podman applies them where the user's cgroups
/// are delegated (cgroups v2); under cgroups v1 it drops them with a
/// warning, which is why the process limit is an rlimit too.
fn cgroup_limits(limits: &Resources) -> LinuxResources {
    let memory = i64::from(limits.memory_mib) * 1024 * 1024;
    LinuxResources {
        block_io: None,
        cpu: Some(LinuxCpu {
            cpus: None,
            mems: None,
            period: Some(CPU_PERIOD_US),
            quota: Some(i64::from(limits.cpus) * CPU_PERIOD_US as i64),
            realtime_period: None,
            realtime_runtime: None,
            shares: None,
        }),
        devices: None,
        hugepage_limits: None,
        memory: Some(LinuxMemory {
            disable_oom_killer: None,
            kernel: None,
            kernel_tcp: None,
            limit: Some(memory),
            reservation: None,
            swap: Some(memory),
            swappiness: None,
            use_hierarchy: None,
        }),
        network: None,
        pids: Some(LinuxPids {
            limit: Some(i64::from(limits.pids)),
        }),
        rdma: None,
        unified: None,
    }
}

/// The process limit as `RLIMIT_NPROC` as well: the kernel counts it per
/// user namespace, so it bounds this sandbox's processes (root inside
/// included, which has no capability outside it) also where podman cannot
/// use cgroups.
fn process_rlimit(limits: &Resources) -> PosixRlimit {
    PosixRlimit {
        // podman spells it as `--ulimit` does and adds the RLIMIT_ itself.
        type_: Some("nproc".into()),
        soft: Some(u64::from(limits.pids)),
        hard: Some(u64::from(limits.pids)),
    }
}

/// "crun 1.21" for the message that says krun is missing.
fn runtime_summary(name: &str, crun_version: Option<&str>) -> String {
    match crun_version {
        Some(version) => format!("{name} {version}"),
        None => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the create call carries, whether or not this machine's podman
    /// can apply it (cgroups v1 cannot).
    #[test]
    fn a_containers_limits_are_in_the_create_spec() {
        let limits = Resources {
            cpus: 3,
            memory_mib: 1024,
            pids: 300,
        };
        let spec = ContainerCreateOpts::builder()
            .resource_limits(cgroup_limits(&limits))
            .r_limits([process_rlimit(&limits)])
            .build()
            .serialize()
            .expect("JSON");
        let spec: serde_json::Value = serde_json::from_str(&spec).expect("JSON");
        let resources = &spec["resource_limits"];
        assert_eq!(resources["cpu"]["quota"], 300_000);
        assert_eq!(resources["cpu"]["period"], 100_000);
        assert_eq!(resources["memory"]["limit"], 1024 * 1024 * 1024);
        assert_eq!(resources["memory"]["swap"], 1024 * 1024 * 1024);
        assert_eq!(resources["pids"]["limit"], 300);
        assert_eq!(
            spec["r_limits"],
            serde_json::json!([{"type": "nproc", "soft": 300, "hard": 300}])
        );
    }
}
