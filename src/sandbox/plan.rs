//! What a project's sandbox asks of podman, as plain data. This is the seam
//! between the definition (this layer) and the engine: the engine builds and
//! runs exactly what a plan says and knows nothing of `paddock.toml`.

use std::collections::BTreeMap;
use std::path::PathBuf;

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
    /// [`crate::names::LABEL_PROJECT`] and [`crate::names::LABEL_SPEC`].
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
