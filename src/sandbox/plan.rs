//! What a project's sandbox asks of podman, as plain data. This is the seam
//! between the definition (this layer) and the engine: the engine builds and
//! runs exactly what a plan says and knows nothing of `paddock.toml`.
//!
//! The engine's build and create take only a [`Gated`] plan, and the only
//! way to one is [`plan`], which takes an [`Approved`] definition, which
//! only the approval gate makes ([`crate::approval::Approvals::gate`]). So
//! nothing is built or created that the user did not approve, whichever
//! front end asks; and the build context is made from the approved bytes,
//! not from a second read of the disk.

use std::collections::BTreeMap;
use std::ops::Deref;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use crate::approval::Approved;
use crate::definition::{AgentHome, NetworkMode, Resources};
use crate::host_facts::HostFacts;
use crate::krun;
use crate::messages::tr;
use crate::names::{LABEL_PROJECT, LABEL_SPEC, Names};
use crate::net::{self, Policy};
use crate::presets::Preset;
use crate::project::{CONTAINERFILE, ENTRYPOINT, Project, ProjectError, SANDBOX_DIR, user_home};
use crate::render;
use crate::secret::SecretVars;

/// Everything needed to build and run one project's sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxPlan {
    pub build: Gated<BuildPlan>,
    pub container: Gated<ContainerPlan>,
    /// The agent's shared login, when its settings are the project's own.
    pub login: Option<LoginShare>,
}

/// The login volume of an agent whose settings are per project, and where
/// an earlier version's shared home kept the same files: the first time the
/// login volume is made, they are carried over from there, so that nobody
/// has to log in again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginShare {
    pub volume: String,
    pub shared_home: String,
    /// The login files' names, in both volumes' top folder.
    pub files: Vec<String>,
}

/// A plan that passed the approval gate. It derefs to the plan for
/// reading; it can only be made by [`plan`] (and, in Paddock's own tests,
/// by [`Gated::unchecked`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gated<T>(T);

impl<T> Deref for Gated<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl Gated<ContainerPlan> {
    /// Runs `command` instead of the agent (`paddock run -- CMD`): the user
    /// chose it, in the sandbox the user approved.
    pub fn with_command(mut self, command: Vec<String>) -> Gated<ContainerPlan> {
        self.0.command = Some(command);
        self
    }
    /// Mounts Paddock's inbox folder for this sandbox (made beforehand,
    /// links resolved) read-only at [`crate::inbox::TARGET`]. It is
    /// Paddock's own mount, like `.agent-sandbox/`: the review says so.
    pub fn with_inbox(mut self, folder: PathBuf) -> Result<Gated<ContainerPlan>, PinError> {
        self.0
            .binds
            .push(Bind::pinned(folder, crate::inbox::TARGET.to_owned(), true)?);
        Ok(self)
    }
}

#[cfg(feature = "test-plans")]
impl<T> Gated<T> {
    /// A plan made by hand, for the engine's own tests (the `test-plans`
    /// feature, which no shipped build enables).
    pub fn unchecked(plan: T) -> Gated<T> {
        Gated(plan)
    }

    /// Changes a plan by hand, for the same tests.
    pub fn unchecked_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// An image built from generated files only, never from the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildPlan {
    /// `localhost/paddock/<slug>:<spec hash>`; an existing tag means no rebuild.
    pub image: String,
    /// File name -> contents, written into an empty temporary context folder.
    pub context: BTreeMap<String, Vec<u8>>,
    /// Which file of `context` is the Containerfile.
    pub containerfile: String,
    pub build_args: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    /// The network the build's `RUN` steps get; never the host's.
    pub network: BuildNetwork,
}

/// The network of a build's `RUN` steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildNetwork {
    /// No network at all (offline definitions).
    None,
    /// A network namespace of the build's own, with a way out but not into
    /// the host's loopback or abstract sockets.
    Private,
    /// A build's own internal network, out only through a gateway with
    /// this build policy (`allowlist` definitions); `sandbox` names it.
    Gated { sandbox: String, policy: Policy },
}

/// The network of the running sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SandboxNetwork {
    /// No network at all (`--network=none`).
    None,
    /// Podman's default network.
    Full,
    /// Alone on an internal network whose only way out is the sandbox's
    /// gateway, enforcing this policy.
    Gated(Policy),
}

/// The isolation a definition asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// A krun microVM (the default); anything less is refused at run time.
    MicroVm,
    /// A plain container, chosen explicitly by the user and always shown as weaker.
    Container,
}

/// Which file or folder a path named when it was approved or planned: its
/// device and inode. A bind is made only while its source is still that
/// one, so that a source replaced by a symbolic link, renamed or swapped
/// (during a slow build, say) is not mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pin {
    pub dev: u64,
    pub ino: u64,
}

impl Pin {
    /// The identity of `path`, opened without following a symbolic link in
    /// any of its components (`openat2` with `RESOLVE_NO_SYMLINKS`): `path`
    /// must be absolute with its links already resolved.
    pub fn of(path: &Path) -> std::io::Result<Pin> {
        use rustix::fs::{CWD, Mode, OFlags, ResolveFlags};
        let fd = rustix::fs::openat2(
            CWD,
            path,
            OFlags::PATH | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::empty(),
            ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
        )?;
        let stat = rustix::fs::fstat(fd.as_fd())?;
        Ok(Pin {
            dev: stat.st_dev,
            ino: stat.st_ino,
        })
    }
}

/// A host folder mounted into the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    /// Absolute, with symbolic links resolved.
    pub source: PathBuf,
    pub target: String,
    pub read_only: bool,
    /// What `source` was when the plan was made.
    pub pin: Pin,
}

/// A bind source that is no longer what was approved.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error("{}", tr("{path} is no longer what was approved (it was replaced, renamed or is now a symbolic link), so it was not mounted and the sandbox was not started; look at what changed it, then run again to review the definition", &[("path", &path.display())]))]
    Moved { path: PathBuf },
    #[error("{}", tr("{path} cannot be opened without following a symbolic link ({error}), so it was not mounted and the sandbox was not started; replace the link with the folder itself", &[("path", &path.display()), ("error", &crate::messages::os_error(source))]))]
    Unreachable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", tr("{path} has a name that is not valid UTF-8, which podman's API cannot carry exactly, so it was not mounted and the sandbox was not started; rename it (or the folder holding it) to a UTF-8 name", &[("path", &path.display())]))]
    NotUtf8 { path: PathBuf },
}

impl Bind {
    /// A bind of `source` as it is now (pinned now).
    pub fn pinned(source: PathBuf, target: String, read_only: bool) -> Result<Bind, PinError> {
        utf8(&source)?;
        let pin = Pin::of(&source).map_err(|error| PinError::Unreachable {
            path: source.clone(),
            source: error,
        })?;
        Ok(Bind {
            source,
            target,
            read_only,
            pin,
        })
    }

    /// The source as podman's API carries it (JSON text): a name that is
    /// not UTF-8 cannot be passed exactly, so it is refused, never altered.
    pub fn source_str(&self) -> Result<&str, PinError> {
        utf8(&self.source)
    }

    /// Whether the source is still the file or folder that was pinned.
    /// Call it immediately before the source is handed to podman.
    pub fn verify(&self) -> Result<(), PinError> {
        match Pin::of(&self.source) {
            Ok(pin) if pin == self.pin => Ok(()),
            Ok(_) => Err(PinError::Moved {
                path: self.source.clone(),
            }),
            Err(error) => Err(PinError::Unreachable {
                path: self.source.clone(),
                source: error,
            }),
        }
    }
}

fn utf8(path: &Path) -> Result<&str, PinError> {
    path.to_str().ok_or_else(|| PinError::NotUtf8 {
        path: path.to_owned(),
    })
}

/// A named podman volume mounted into the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeMount {
    pub volume: String,
    pub target: String,
    /// The name an earlier version gave the same volume: mounted instead
    /// while only it exists, so that a cache or a per-project login is kept.
    pub earlier: Option<String>,
}

/// The sandbox container (a microVM under krun).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerPlan {
    /// `paddock-<slug>`
    pub name: String,
    pub image: String,
    /// Replaces the image's entrypoint whatever the image says, so that
    /// Paddock's entrypoint (and its isolation check) always runs first.
    pub entrypoint: Vec<String>,
    /// `uid:gid` the sandbox runs as: the host user's, with keep-id the same
    /// ids inside, whatever the image's `USER` says.
    pub user: String,
    /// Overrides the image's command (the agent); `None` runs the agent.
    pub command: Option<Vec<String>>,
    pub workdir: String,
    pub env: BTreeMap<String, String>,
    /// `run.oci.handler=krun`, `krun.cpus`, `krun.ram_mib` for a microVM.
    pub annotations: BTreeMap<String, String>,
    /// [`LABEL_PROJECT`] and [`LABEL_SPEC`].
    pub labels: BTreeMap<String, String>,
    /// The project (read-write), its `.agent-sandbox/` and the files the
    /// host runs ([`crate::host_run::protected`], read-only, on top), the
    /// approved extra mounts, then the inbox (read-only).
    pub binds: Vec<Bind>,
    pub volumes: Vec<VolumeMount>,
    pub network: SandboxNetwork,
    pub isolation: Isolation,
    /// The cgroup limits of a plain container (CPUs, memory, processes); a
    /// microVM (`None`) is bounded by its own size instead.
    pub limits: Option<Resources>,
    /// Variables whose values the front end looks up in the keyring; the
    /// engine hands those it gets over as podman secrets.
    pub secrets: SecretVars,
}

/// What the engine builds and runs for this project, from the definition
/// the user approved. `agent` is [`crate::definition::Definition::resolve_agent`]'s
/// result. The build context is rendered from the approved definition; a
/// hand-written Containerfile comes from the approved bytes, and is refused
/// when it holds characters that the review could only show escaped.
pub fn plan(
    project: &Project,
    approved: &Approved,
    agent: &Preset,
    host: &HostFacts,
) -> Result<SandboxPlan, ProjectError> {
    project.refuse_links(None)?;
    let definition = approved.definition();
    let names = project.names();
    let mount = definition.mount_point(&project.folder_name());
    let home = user_home(definition);

    let mut context: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let containerfile = match &definition.image.containerfile {
        Some(name) => {
            let path = project.sandbox_dir().join(name);
            let bytes = approved
                .snapshot()
                .files()
                .get(name)
                .ok_or_else(|| ProjectError::Io {
                    action: gettextrs::gettext("read"),
                    path: path.clone(),
                    source: std::io::ErrorKind::NotFound.into(),
                })?;
            let text = std::str::from_utf8(bytes)
                .map_err(|_| ProjectError::NotText { path: path.clone() })?;
            if let Some((line, character)) = crate::shown::first_hidden(text) {
                return Err(ProjectError::HiddenCharacter {
                    path,
                    line,
                    character: crate::shown::escape(&character.to_string()),
                });
            }
            context.insert(name.clone(), render::with_entrypoint(bytes));
            name.clone()
        }
        None => {
            context.insert(
                CONTAINERFILE.to_owned(),
                render::containerfile(definition, agent, &mount, host.vm_sizing).into_bytes(),
            );
            CONTAINERFILE.to_owned()
        }
    };
    context.insert(
        ENTRYPOINT.to_owned(),
        render::entrypoint(agent).into_bytes(),
    );
    let build_args: BTreeMap<String, String> = [
        ("HOST_UID".to_owned(), host.uid.to_string()),
        ("HOST_GID".to_owned(), host.gid.to_string()),
    ]
    .into();
    let spec = render::spec_hash(&context, &build_args);
    let image = names.image(&spec);
    let root = project.root().to_str().ok_or_else(|| {
        ProjectError::Pin(Box::new(PinError::NotUtf8 {
            path: project.root().to_owned(),
        }))
    })?;
    let labels: BTreeMap<String, String> = [
        (LABEL_PROJECT.to_owned(), root.to_owned()),
        (LABEL_SPEC.to_owned(), spec),
    ]
    .into();

    let isolation = definition.isolation();
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    env.insert("TERM".into(), "xterm-256color".into());
    env.insert("COLORTERM".into(), "truecolor".into());
    env.extend(agent.env_in(&home));
    env.extend(definition.env.clone());
    if let Some(kernel) = &host.kernel {
        env.insert("PADDOCK_HOST_KERNEL".into(), kernel.trim().to_owned());
    }
    env.insert(
        "PADDOCK_ISOLATION".into(),
        match isolation {
            Isolation::MicroVm => "microvm",
            Isolation::Container => "container",
        }
        .into(),
    );
    env.insert("PADDOCK_UID".into(), host.uid.to_string());
    env.insert("PADDOCK_GID".into(), host.gid.to_string());

    let annotations: BTreeMap<String, String> = match isolation {
        Isolation::MicroVm => krun::annotations(&definition.resources)
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect(),
        Isolation::Container => BTreeMap::new(),
    };

    let mut volumes = Vec::new();
    if let Some(dir) = &agent.config_dir {
        let volume = names.home_volume(&agent.id, definition.agent.home);
        volumes.push(VolumeMount {
            earlier: names.earlier_volume(&volume),
            volume,
            target: format!("{home}/{dir}"),
        });
    }
    let login = (definition.agent.home == AgentHome::Project
        && agent.config_dir.is_some()
        && !agent.login.is_empty())
    .then(|| LoginShare {
        volume: Names::login_volume(&agent.id),
        shared_home: names.home_volume(&agent.id, AgentHome::Shared),
        files: agent.login.clone(),
    });
    if let Some(login) = &login {
        volumes.push(VolumeMount {
            volume: login.volume.clone(),
            earlier: None,
            target: render::LOGIN_IN_SANDBOX.to_owned(),
        });
    }
    for cache in &definition.caches {
        let volume = names.cache_volume(&cache.name);
        volumes.push(VolumeMount {
            earlier: names.earlier_volume(&volume),
            volume,
            target: cache.path.trim_end_matches('/').to_owned(),
        });
    }

    let command = match &definition.image.containerfile {
        // A hand-written Containerfile's CMD is not the agent's.
        Some(_) if !agent.command.is_empty() => Some(agent.command.clone()),
        _ => None,
    };

    let (network, build_network) = match definition.network_mode() {
        NetworkMode::Offline => (SandboxNetwork::None, BuildNetwork::None),
        NetworkMode::Full => (SandboxNetwork::Full, BuildNetwork::Private),
        NetworkMode::Allowlist => (
            SandboxNetwork::Gated(net::run_policy(definition, agent)),
            BuildNetwork::Gated {
                sandbox: names.container(),
                policy: net::build_policy(definition, agent),
            },
        ),
    };
    let pinned = |source: PathBuf, target: String, read_only: bool| {
        Bind::pinned(source, target, read_only).map_err(|error| ProjectError::Pin(Box::new(error)))
    };
    let mut binds = vec![
        pinned(project.root().to_owned(), mount.clone(), false)?,
        pinned(
            project.sandbox_dir(),
            format!("{mount}/{SANDBOX_DIR}"),
            true,
        )?,
    ];
    let protected =
        crate::host_run::protected(project.root()).map_err(|source| ProjectError::Io {
            action: gettextrs::gettext("read"),
            path: project.root().join(".git"),
            source,
        })?;
    for file in protected {
        if !file.read_only || !definition.sandbox.writable.contains(&file.path) {
            let source = project.root().join(&file.path);
            if std::fs::symlink_metadata(&source).is_ok_and(|m| m.is_symlink()) {
                return Err(ProjectError::HostRunLink { path: source });
            }
            binds.push(pinned(
                source,
                format!("{mount}/{}", file.path),
                file.read_only,
            )?);
        }
    }
    binds.extend(approved.mounts().iter().map(|m| m.bind()));
    for bind in &binds {
        bind.source_str()
            .map_err(|error| ProjectError::Pin(Box::new(error)))?;
    }

    Ok(SandboxPlan {
        build: Gated(BuildPlan {
            image: image.clone(),
            context,
            containerfile,
            build_args,
            labels: labels.clone(),
            network: build_network,
        }),
        container: Gated(ContainerPlan {
            name: names.container(),
            image,
            entrypoint: vec![render::ENTRYPOINT_IN_IMAGE.to_owned()],
            user: format!("{}:{}", host.uid, host.gid),
            command,
            workdir: mount.clone(),
            env,
            annotations,
            labels,
            binds,
            volumes,
            network,
            isolation,
            limits: (isolation == Isolation::Container).then_some(definition.resources),
            secrets: SecretVars::of(agent, definition),
        }),
        login,
    })
}
