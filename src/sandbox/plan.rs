//! What a project's sandbox asks of podman, as plain data. This is the seam
//! between the definition (this layer) and the engine: the engine builds and
//! runs exactly what a plan says and knows nothing of `paddock.toml`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::definition::{Definition, Network};
use crate::host_facts::HostFacts;
use crate::krun;
use crate::names::{LABEL_PROJECT, LABEL_SPEC};
use crate::presets::Preset;
use crate::project::{CONTAINERFILE, ENTRYPOINT, Project, ProjectError, SANDBOX_DIR, user_home};
use crate::render;
use crate::secret::SecretVars;

/// Everything needed to build and run one project's sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxPlan {
    pub build: BuildPlan,
    pub container: ContainerPlan,
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
}

/// The isolation a definition asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// A krun microVM (the default); anything less is refused at run time.
    MicroVm,
    /// A plain container, chosen explicitly by the user and always shown as weaker.
    Container,
}

/// A host folder mounted into the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    pub source: PathBuf,
    pub target: String,
    pub read_only: bool,
}

/// A named podman volume mounted into the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeMount {
    pub volume: String,
    pub target: String,
}

/// The sandbox container (a microVM under krun).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerPlan {
    /// `paddock-<slug>`
    pub name: String,
    pub image: String,
    /// Overrides the image's command (the agent); `None` runs the agent.
    pub command: Option<Vec<String>>,
    pub workdir: String,
    pub env: BTreeMap<String, String>,
    /// `run.oci.handler=krun`, `krun.cpus`, `krun.ram_mib` for a microVM.
    pub annotations: BTreeMap<String, String>,
    /// [`LABEL_PROJECT`] and [`LABEL_SPEC`].
    pub labels: BTreeMap<String, String>,
    /// The project (read-write) and its `.agent-sandbox/` (read-only, on top).
    pub binds: Vec<Bind>,
    pub volumes: Vec<VolumeMount>,
    /// No network at all (`--network=none`).
    pub offline: bool,
    pub isolation: Isolation,
    /// Variables whose values the front end looks up in the keyring; the
    /// engine hands those it gets over as podman secrets.
    pub secrets: SecretVars,
}

/// What the engine builds and runs for `project`. `agent` is
/// [`Definition::resolve_agent`]'s result.
pub fn plan(
    project: &Project,
    definition: &Definition,
    agent: &Preset,
    host: &HostFacts,
) -> Result<SandboxPlan, ProjectError> {
    project.refuse_links(None)?;
    let names = project.names();
    let mount = definition.mount_point(&project.folder_name());
    let home = user_home(definition);

    let mut context: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let containerfile = match &definition.image.containerfile {
        Some(name) => {
            context.insert(name.clone(), project.read_sandbox_file(name)?.into_bytes());
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
    let labels: BTreeMap<String, String> = [
        (
            LABEL_PROJECT.to_owned(),
            project.root().to_string_lossy().into_owned(),
        ),
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
        volumes.push(VolumeMount {
            volume: names.home_volume(&agent.id, definition.agent.home),
            target: format!("{home}/{dir}"),
        });
    }
    for cache in &definition.caches {
        volumes.push(VolumeMount {
            volume: names.cache_volume(&cache.name),
            target: cache.path.trim_end_matches('/').to_owned(),
        });
    }

    let command = match &definition.image.containerfile {
        // A hand-written Containerfile's CMD is not the agent's.
        Some(_) if !agent.command.is_empty() => Some(agent.command.clone()),
        _ => None,
    };

    Ok(SandboxPlan {
        build: BuildPlan {
            image: image.clone(),
            context,
            containerfile,
            build_args,
            labels: labels.clone(),
        },
        container: ContainerPlan {
            name: names.container(),
            image,
            command,
            workdir: mount.clone(),
            env,
            annotations,
            labels,
            binds: vec![
                Bind {
                    source: project.root().to_owned(),
                    target: mount.clone(),
                    read_only: false,
                },
                Bind {
                    source: project.sandbox_dir(),
                    target: format!("{mount}/{SANDBOX_DIR}"),
                    read_only: true,
                },
            ],
            volumes,
            offline: definition.sandbox.network == Network::Offline,
            isolation,
            secrets: SecretVars::of(agent, definition),
        },
    })
}
