//! The way out of an `allowlist` sandbox: an `--internal` podman network of
//! its own (no route out, no podman resolver) that the sandbox alone joins,
//! and a gateway container, Paddock's `paddock-gateway`, on that network and
//! on the shared outer network [`OUTER_NETWORK`]. The gateway's image is made
//! here from the installed binary (no registry); its policy file lives in a
//! folder of Paddock's data, mounted read-only into the gateway and into
//! nothing else. The same for krun and container mode: the VM's network is
//! the container's.
//!
//! Fail closed: the internal network has no route, so if the gateway stops
//! the sandbox reaches nothing at all.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use hyper::body::HttpBody;
use hyper::{Body, Method};
use podman_api::models::Namespace;
use podman_api::opts::{ContainerCreateOpts, ContainerDeleteOpts};
use sandbox::names::LABEL_SANDBOX;
use sandbox::net::{Attempt, Policy};
use sha2::{Digest, Sha256};

use crate::keys::{self, OutsideKey};
use crate::{Engine, Error, Result};

/// The normal network every gateway joins besides its sandbox's, made on
/// first use: a bridge with podman's resolver, through which the gateway
/// looks names up.
pub const OUTER_NETWORK: &str = "paddock-egress";
/// The gateway's HTTP proxy port.
pub const PROXY_PORT: u16 = 3128;
/// Where the policy folder appears inside the gateway.
const POLICY_MOUNT: &str = "/etc/paddock";
const POLICY_FILE: &str = "policy.json";

/// Where a gateway comes from and where its policy is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewaySetup {
    /// The `paddock-gateway` binary.
    pub binary: PathBuf,
    /// Paddock's folder for policies; one subfolder per sandbox.
    pub policies: PathBuf,
}

/// A sandbox's way out, as the sandbox container joins it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Egress {
    /// The internal network.
    pub network: String,
    /// The gateway's address on it: the sandbox's resolver and proxy.
    pub address: Ipv4Addr,
}

impl Egress {
    /// The proxy variables the sandbox gets. The gateway's own address is
    /// not proxied: its key routes are plain listeners there.
    pub fn env(&self) -> BTreeMap<String, String> {
        let proxy = format!("http://{}:{PROXY_PORT}", self.address);
        let mut env = BTreeMap::new();
        for name in ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"] {
            env.insert(name.to_owned(), proxy.clone());
        }
        for name in ["NO_PROXY", "no_proxy"] {
            env.insert(
                name.to_owned(),
                format!("localhost,127.0.0.1,::1,{}", self.address),
            );
        }
        env
    }
}

/// A build's way out: its gateway, and the network namespace its `RUN`
/// steps join.
pub(crate) struct BuildWay {
    pub(crate) egress: Egress,
    pub(crate) namespace: String,
}

/// `<sandbox>-build`: the name a sandbox's builds open their way out under.
pub fn build_name(sandbox: &str) -> String {
    format!("{sandbox}-build")
}

fn anchor_name(name: &str) -> String {
    format!("{name}-anchor")
}

/// `<sandbox>-net`
pub fn network_name(sandbox: &str) -> String {
    format!("{sandbox}-net")
}

/// `<sandbox>-gateway`
pub fn gateway_name(sandbox: &str) -> String {
    format!("{sandbox}-gateway")
}

impl GatewaySetup {
    /// The gateway binary at `$PADDOCK_GATEWAY`, else next to the running
    /// program (a build folder, a Flatpak's /app/bin), else at
    /// `../libexec/paddock/` from it (meson's install); the policies in
    /// `$XDG_DATA_HOME/paddock/gateways` (else `~/.local/share/...`).
    pub fn locate() -> Result<GatewaySetup> {
        const BINARY: &str = "paddock-gateway";
        let binary = match std::env::var_os("PADDOCK_GATEWAY") {
            Some(path) => PathBuf::from(path),
            None => {
                let exe = std::env::current_exe().unwrap_or_default();
                let dir = exe.parent().map(PathBuf::from).unwrap_or_default();
                let beside = dir.join(BINARY);
                let libexec = dir.join("../libexec/paddock").join(BINARY);
                if beside.is_file() || !libexec.is_file() {
                    beside
                } else {
                    libexec
                }
            }
        };
        let data = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share"))
            })
            .ok_or_else(|| {
                Error::podman(
                    BINARY,
                    gettextrs::gettext(
                        "neither XDG_DATA_HOME nor HOME is set, so there is nowhere to keep the network policy; set HOME and try again",
                    ),
                )
            })?;
        Ok(GatewaySetup {
            binary,
            policies: data.join("paddock/gateways"),
        })
    }

    fn policy_dir(&self, sandbox: &str) -> PathBuf {
        self.policies.join(sandbox)
    }

    /// Writes the policy by rename, so that the gateway never reads half of
    /// it; the folder is the user's only (0700).
    fn write_policy(&self, sandbox: &str, policy: &Policy) -> Result<PathBuf> {
        use std::os::unix::fs::DirBuilderExt;
        let dir = self.policy_dir(sandbox);
        let io = |err: std::io::Error| Error::podman(&dir.display().to_string(), err);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(io)?;
        let next = dir.join(".policy.json.next");
        std::fs::write(&next, policy.to_json()).map_err(io)?;
        std::fs::rename(&next, dir.join(POLICY_FILE)).map_err(io)?;
        Ok(dir)
    }
}

impl Engine {
    /// Opens the sandbox's way out with `policy`: the gateway image (built
    /// when the binary changed), the internal network, the gateway (started
    /// afresh) with a listener for each of `keys` ([`crate::outside_keys`]
    /// of the sandbox's plan). Call before creating the sandbox.
    pub async fn open_egress(
        &self,
        sandbox: &str,
        policy: &Policy,
        setup: &GatewaySetup,
        keys: &[OutsideKey<'_>],
    ) -> Result<Egress> {
        let image = self.gateway_image(&setup.binary).await?;
        let network = network_name(sandbox);
        self.ensure_network(&network, true, sandbox).await?;
        let egress = self.egress(sandbox).await?;
        let dir = setup.write_policy(sandbox, policy)?;
        let gateway = gateway_name(sandbox);
        let _outer = self.lock_outer_network().await;
        self.ensure_network(OUTER_NETWORK, false, sandbox).await?;
        self.start_gateway(&gateway, &image, sandbox, &dir, egress.address, true, keys)
            .await?;
        Ok(egress)
    }

    /// Starts the gateway of a sandbox that runs on its internal network
    /// again (it died or was stopped), with `policy` and the key routes of
    /// `keys`, at the address the sandbox's proxy settings name: the sandbox
    /// needs no restart. Its base URLs name the same ports: a route's port
    /// is its place among the sandbox's routes ([`crate::outside_keys`]).
    pub async fn restart_gateway(
        &self,
        sandbox: &str,
        policy: &Policy,
        setup: &GatewaySetup,
        keys: &[OutsideKey<'_>],
    ) -> Result<()> {
        let image = self.gateway_image(&setup.binary).await?;
        let egress = self.egress(sandbox).await?;
        let dir = setup.write_policy(sandbox, policy)?;
        let _outer = self.lock_outer_network().await;
        self.ensure_network(OUTER_NETWORK, false, sandbox).await?;
        self.start_gateway(
            &gateway_name(sandbox),
            &image,
            sandbox,
            &dir,
            egress.address,
            true,
            keys,
        )
        .await
    }

    /// Opens a way out for a build's `RUN` steps: a gateway as for a
    /// sandbox, and an anchor, a container on the internal network only
    /// (the gateway image again, its listeners on an address of their own,
    /// with no way out), whose network namespace the steps join.
    pub(crate) async fn open_build_egress(
        &self,
        name: &str,
        policy: &Policy,
        setup: &GatewaySetup,
    ) -> Result<BuildWay> {
        let egress = self.open_egress(name, policy, setup, &[]).await?;
        let image = self.gateway_image(&setup.binary).await?;
        let anchor = anchor_name(name);
        let address = Ipv4Addr::from(u32::from(egress.address) - 1);
        self.start_gateway(
            &anchor,
            &image,
            name,
            &setup.policy_dir(name),
            address,
            false,
            &[],
        )
        .await?;
        let inspect = self.podman.containers().get(&anchor).inspect().await?;
        let pid = inspect
            .state
            .and_then(|state| state.pid)
            .ok_or_else(|| Error::podman(&anchor, gettextrs::gettext("it has no process")))?;
        Ok(BuildWay {
            egress,
            namespace: format!("/proc/{pid}/ns/net"),
        })
    }

    /// Removes the container `name` if there is one, without a grace period:
    /// gateways and anchors keep no state.
    async fn remove_at_once(&self, name: &str) -> Result<()> {
        let container = self.podman.containers().get(name);
        if container.exists().await? {
            container
                .delete(
                    &ContainerDeleteOpts::builder()
                        .force(true)
                        .timeout(0)
                        .build(),
                )
                .await
                .map_err(|err| Error::podman(name, err))?;
        }
        Ok(())
    }

    /// Creates and starts a gateway container `name` on `sandbox`'s internal
    /// network at `address` (and, if `outer`, on [`OUTER_NETWORK`]), with
    /// the policy folder `dir` and the key routes of `keys`; a container of
    /// that name goes first. The keys reach it as podman mount secrets,
    /// which are gone from podman's store and the container's folder once
    /// it is ready (it reads them at start).
    #[allow(clippy::too_many_arguments)]
    async fn start_gateway(
        &self,
        name: &str,
        image: &str,
        sandbox: &str,
        dir: &Path,
        address: Ipv4Addr,
        outer: bool,
        keys: &[OutsideKey<'_>],
    ) -> Result<()> {
        self.remove_at_once(name).await?;
        let io = |err: std::io::Error| Error::podman(&dir.display().to_string(), err);
        let routes_file = dir.join(keys::KEYS_FILE);
        let mut command = vec![
            "--policy".to_owned(),
            format!("{POLICY_MOUNT}/{POLICY_FILE}"),
            "--address".to_owned(),
            address.to_string(),
        ];
        let mut mounts = vec![podman_api::models::ContainerMount {
            destination: Some(POLICY_MOUNT.into()),
            source: Some(dir.to_string_lossy().into_owned()),
            _type: Some("bind".into()),
            options: Some(vec!["ro".into(), "z".into()]),
            uid_mappings: None,
            gid_mappings: None,
        }];
        let mut secrets = Vec::new();
        if keys.is_empty() {
            if routes_file.exists() {
                std::fs::remove_file(&routes_file).map_err(io)?;
            }
        } else {
            let bundle = keys::ca_bundle().ok_or(Error::NoCaBundle)?;
            std::fs::write(&routes_file, keys::routes_json(keys)).map_err(io)?;
            command.extend([
                "--keys".to_owned(),
                format!("{POLICY_MOUNT}/{}", keys::KEYS_FILE),
            ]);
            mounts.push(podman_api::models::ContainerMount {
                destination: Some(keys::CA_IN_GATEWAY.into()),
                source: Some(bundle.to_string_lossy().into_owned()),
                _type: Some("bind".into()),
                options: Some(vec!["ro".into()]),
                uid_mappings: None,
                gid_mappings: None,
            });
            let values = keys
                .iter()
                .map(|key| (key.route.variable.clone(), key.value.clone()))
                .collect();
            secrets = self.replace_secrets(name, &values, None).await?;
        }
        let mut networks: BTreeMap<String, serde_json::Value> = [(
            network_name(sandbox),
            serde_json::json!({ "static_ips": [address.to_string()] }),
        )]
        .into();
        if outer {
            networks.insert(OUTER_NETWORK.to_owned(), serde_json::json!({}));
        }
        let opts = ContainerCreateOpts::builder()
            .name(name)
            .image(image)
            .labels([(LABEL_SANDBOX, sandbox)])
            .command(command)
            .net_namespace(Namespace {
                nsmode: Some("bridge".into()),
                value: None,
            })
            .networks(networks)
            .mounts(mounts)
            .secrets(secrets)
            .privileged(false)
            .build();
        // Without the outer network's lock (see `lock_outer_network`),
        // another sandbox's close_egress may remove the shared outer network
        // between our making sure of it and this create: make it again. By
        // the time we look, a third may have made it again already, so
        // podman's word that it was missing counts too.
        let mut attempts = 0;
        while let Err(err) = self.podman.containers().create(&opts).await {
            attempts += 1;
            let outer_gone = outer
                && (err.to_string().contains(OUTER_NETWORK)
                    || !self.podman.networks().get(OUTER_NETWORK).exists().await?);
            if !outer_gone || attempts == 3 {
                let _ = self.remove_secrets(name).await;
                return Err(Error::podman(name, err));
            }
            self.ensure_network(OUTER_NETWORK, false, sandbox).await?;
        }
        let started = self.podman.containers().get(name).start(None).await;
        let ready = match started {
            Ok(()) => self.wait_ready(name).await,
            Err(err) => Err(Error::podman(name, err)),
        };
        if !keys.is_empty() {
            self.forget_keys(name).await?;
        }
        ready
    }

    /// The sandbox's internal network and the gateway's address on it (the
    /// last host address of its subnet), if the network exists.
    pub async fn egress(&self, sandbox: &str) -> Result<Egress> {
        let network = network_name(sandbox);
        let response = self
            .raw
            .send(
                Method::GET,
                &format!("/networks/{network}/json"),
                None,
                Body::empty(),
            )
            .await
            .map_err(|_| Error::NoGateway(sandbox.to_owned()))?;
        let body = hyper::body::to_bytes(response.into_body())
            .await
            .map_err(|err| Error::Connection(err.to_string()))?;
        let value: serde_json::Value =
            serde_json::from_slice(&body).map_err(|err| Error::podman(&network, err))?;
        let address = value["subnets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|subnet| subnet["subnet"].as_str())
            .find_map(last_host)
            .ok_or_else(|| {
                Error::podman(
                    &network,
                    gettextrs::gettext("the network has no IPv4 subnet of /30 or larger"),
                )
            })?;
        Ok(Egress { network, address })
    }

    /// Rewrites the running gateway's policy and makes it re-read it
    /// (SIGHUP through libpod): no restart, open connections stay.
    pub async fn reload_egress(
        &self,
        sandbox: &str,
        policy: &Policy,
        setup: &GatewaySetup,
    ) -> Result<()> {
        setup.write_policy(sandbox, policy)?;
        let gateway = gateway_name(sandbox);
        self.raw
            .send(
                Method::POST,
                &format!("/containers/{gateway}/kill?signal=SIGHUP"),
                None,
                Body::empty(),
            )
            .await
            .map(|_| ())
            .map_err(|_| Error::NoGateway(sandbox.to_owned()))
    }

    /// Whether the sandbox's gateway runs.
    pub async fn gateway_running(&self, sandbox: &str) -> Result<bool> {
        let container = self.podman.containers().get(gateway_name(sandbox));
        if !container.exists().await? {
            return Ok(false);
        }
        let inspect = container.inspect().await?;
        Ok(inspect.state.and_then(|s| s.running).unwrap_or(false))
    }

    /// Removes the sandbox's gateway, its internal network and its policy
    /// folder; the outer network too once no gateway uses it. Missing parts
    /// are fine: removing twice is not an error.
    pub async fn close_egress(&self, sandbox: &str, policies: &Path) -> Result<()> {
        for name in [gateway_name(sandbox), anchor_name(sandbox)] {
            self.remove_at_once(&name).await?;
        }
        self.remove_secrets(&gateway_name(sandbox)).await?;
        let network = network_name(sandbox);
        let internal = self.podman.networks().get(&network);
        if internal.exists().await? {
            internal
                .remove()
                .await
                .map_err(|err| Error::podman(&network, err))?;
        }
        // Refused while another gateway is on it, which is what we want.
        let _outer = self.lock_outer_network().await;
        let _ = self
            .raw
            .send(
                Method::DELETE,
                &format!("/networks/{OUTER_NETWORK}"),
                None,
                Body::empty(),
            )
            .await;
        let dir = policies.join(sandbox);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|err| Error::podman(&dir.display().to_string(), err))?;
        }
        Ok(())
    }

    /// The gateway's attempts, from its stdout through libpod's log
    /// stream: what it logged so far, then (`follow`) each new one as it
    /// comes.
    pub async fn gateway_log(&self, sandbox: &str, follow: bool) -> Result<GatewayLog> {
        let gateway = gateway_name(sandbox);
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("stdout", "true")
            .append_pair("stderr", "false")
            .append_pair("follow", if follow { "true" } else { "false" })
            .finish();
        let response = self
            .raw
            .send(
                Method::GET,
                &format!("/containers/{gateway}/logs?{query}"),
                None,
                Body::empty(),
            )
            .await
            .map_err(|_| Error::NoGateway(sandbox.to_owned()))?;
        Ok(GatewayLog {
            body: response.into_body(),
            pending: Vec::new(),
            text: Vec::new(),
        })
    }

    /// The gateway image for this binary: `localhost/paddock/gateway:<hash>`,
    /// built from the binary and the shared libraries it links (nothing
    /// else: no shell, no package manager).
    async fn gateway_image(&self, binary: &Path) -> Result<String> {
        let bytes = std::fs::read(binary).map_err(|_| Error::NoGatewayBinary(binary.to_owned()))?;
        let hash: String = Sha256::digest(&bytes)
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        let image = format!("localhost/paddock/gateway:{hash}");
        if self.image_exists(&image).await? {
            return Ok(image);
        }
        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        files.insert("root/usr/bin/paddock-gateway".into(), bytes);
        for library in linked_libraries(binary)? {
            let contents = std::fs::read(&library)
                .map_err(|err| Error::podman(&library.display().to_string(), err))?;
            files.insert(
                format!("root/{}", library.to_string_lossy().trim_start_matches('/')),
                contents,
            );
        }
        files.insert(
            "Containerfile".into(),
            b"FROM scratch\nCOPY root/ /\nENTRYPOINT [\"/usr/bin/paddock-gateway\"]\n".to_vec(),
        );
        self.build_files(&image, &files).await?;
        Ok(image)
    }

    async fn ensure_network(&self, name: &str, internal: bool, sandbox: &str) -> Result<()> {
        if self.podman.networks().get(name).exists().await? {
            return Ok(());
        }
        let mut body = serde_json::json!({
            "name": name,
            "driver": "bridge",
            "internal": internal,
            "dns_enabled": !internal,
        });
        if internal {
            body["labels"] = serde_json::json!({ LABEL_SANDBOX: sandbox });
        }
        let made = self
            .raw
            .send(
                Method::POST,
                "/networks/create",
                Some("application/json"),
                Body::from(body.to_string()),
            )
            .await;
        match made {
            Ok(_) => Ok(()),
            // Made by another sandbox starting at the same time, between our
            // look and our create.
            Err(_) if self.podman.networks().get(name).exists().await? => Ok(()),
            Err(err) => Err(Error::podman(name, err)),
        }
    }

    /// Held by every Paddock process on this podman service (a lock file
    /// beside its socket) while a gateway joins the shared outer network,
    /// and while that network is removed once no gateway is on it: so a
    /// sandbox closing never removes it under a gateway being created.
    /// None when the file cannot be made or locked; the create's retries
    /// are what is left then.
    async fn lock_outer_network(&self) -> Option<std::fs::File> {
        let path = self.socket().with_file_name("paddock-egress.lock");
        tokio::task::spawn_blocking(move || {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(path)
                .ok()?;
            file.lock().ok()?;
            Some(file)
        })
        .await
        .ok()
        .flatten()
    }

    /// Waits for the gateway's `ready` line on stderr; a gateway that
    /// exits first (a policy it refused) is an error with its words.
    async fn wait_ready(&self, gateway: &str) -> Result<()> {
        for _ in 0..100 {
            let body = self
                .raw
                .get(&format!(
                    "/containers/{gateway}/logs?stdout=false&stderr=true"
                ))
                .await?;
            let text = String::from_utf8_lossy(&body).into_owned();
            if text.contains("paddock-gateway: ready") {
                return Ok(());
            }
            let inspect = self.podman.containers().get(gateway).inspect().await?;
            if !inspect.state.and_then(|s| s.running).unwrap_or(false) {
                return Err(Error::podman(gateway, sandbox::shown::escape(text.trim())));
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Err(Error::podman(
            gateway,
            gettextrs::gettext("the gateway did not get ready within 10 seconds"),
        ))
    }
}

/// The gateway's attempt log, line by line.
pub struct GatewayLog {
    body: Body,
    pending: Vec<u8>,
    text: Vec<u8>,
}

impl GatewayLog {
    /// The next attempt; `None` when the log ends (the gateway stopped, or
    /// without `follow`, everything so far was read). Lines that are not
    /// attempts are skipped.
    pub async fn next(&mut self) -> Result<Option<Attempt>> {
        loop {
            while let Some(end) = self.text.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.text.drain(..=end).collect();
                if let Some(attempt) = Attempt::parse(&String::from_utf8_lossy(&line)) {
                    return Ok(Some(attempt));
                }
            }
            // libpod frames each chunk: stream (1 stdout, 2 stderr), three
            // zero bytes, a big-endian length, then that many bytes.
            while self.pending.len() >= 8 {
                let length = u32::from_be_bytes([
                    self.pending[4],
                    self.pending[5],
                    self.pending[6],
                    self.pending[7],
                ]) as usize;
                if self.pending.len() < 8 + length {
                    break;
                }
                let frame: Vec<u8> = self.pending.drain(..8 + length).collect();
                if frame[0] == 1 {
                    self.text.extend_from_slice(&frame[8..]);
                }
            }
            if self.text.contains(&b'\n') {
                continue;
            }
            match self.body.data().await {
                Some(Ok(chunk)) => self.pending.extend_from_slice(&chunk),
                Some(Err(err)) => return Err(Error::Connection(err.to_string())),
                None => return Ok(None),
            }
        }
    }
}

/// The last usable host address of an IPv4 subnet such as `10.89.1.0/24`.
fn last_host(subnet: &str) -> Option<Ipv4Addr> {
    let (base, prefix) = subnet.split_once('/')?;
    let base: Ipv4Addr = base.parse().ok()?;
    let prefix: u32 = prefix.parse().ok()?;
    if !(1..=30).contains(&prefix) {
        return None;
    }
    let size = 1u32 << (32 - prefix);
    Some(Ipv4Addr::from(u32::from(base) + size - 2))
}

/// The shared libraries `ldd` says the binary loads, as absolute paths.
fn linked_libraries(binary: &Path) -> Result<Vec<PathBuf>> {
    let output = std::process::Command::new("ldd")
        .arg(binary)
        .output()
        .map_err(|err| Error::podman("ldd", err))?;
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or
            // "/lib64/ld-linux-x86-64.so.2 (0x...)"; the vDSO has no file.
            let path = line.split("=>").last()?.split_whitespace().next()?;
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gateway_takes_the_last_address() {
        assert_eq!(
            last_host("10.89.1.0/24"),
            Some(Ipv4Addr::new(10, 89, 1, 254))
        );
        assert_eq!(
            last_host("10.0.0.0/16"),
            Some(Ipv4Addr::new(10, 0, 255, 254))
        );
        assert_eq!(last_host("fd00::/64"), None);
    }
}
