//! The one way from a project folder to a running sandbox, for the window
//! and the CLI alike: open the project, load and validate its definition
//! (errors first: an invalid file is never offered for review), pass the
//! approval gate, plan with the approved mounts, build, create, start.
//! The front ends only present the questions (the review) and the results.
//!
//! The engine builds and creates only [`sandbox::plan::Gated`] plans, and
//! those come only from [`Launcher::plan`] with an
//! [`sandbox::approval::Approved`] definition that only the gate makes, so
//! skipping a step here does not compile.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use engine::{Engine, Session};
use sandbox::approval::{ApprovalError, Approvals, Approved, Gate, HostSockets, Review};
use sandbox::changes::record::{RecordError, Records};
use sandbox::definition::{Definition, DefinitionErrors};
use sandbox::messages::tr;
use sandbox::plan::{self, SandboxNetwork, SandboxPlan};
use sandbox::presets::{Preset, PresetError, Presets};
use sandbox::project::{Project, ProjectError};
use sandbox::secret::SecretValue;

use crate::inbox::{self, InboxError};
use crate::secrets;

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error(
        "{}",
        gettextrs::gettext(
            "HOME is not set, so Paddock cannot tell which folders hold your keys; set HOME and try again"
        )
    )]
    NoHome,
    #[error(transparent)]
    Presets(#[from] PresetError),
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error("{}", tr("{file}: {errors}", &[("file", &file.display()), ("errors", errors)]))]
    Agent {
        file: PathBuf,
        errors: DefinitionErrors,
    },
    #[error(transparent)]
    Approval(#[from] ApprovalError),
    #[error(
        "{}",
        gettextrs::gettext(
            "The sandbox definition changed while you reviewed it; nothing was approved. Review the new one."
        )
    )]
    ChangedDuringReview,
    #[error(transparent)]
    Engine(#[from] engine::Error),
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Inbox(#[from] InboxError),
    #[error("{}", tr("{name} is already running: `paddock attach {name}` joins it, `paddock stop {name}` ends it.", &[("name", name)]))]
    AlreadyRunning { name: String },
}

/// What the gate and the plan need of this user's session, gathered once.
#[derive(Debug, Clone)]
pub struct Launcher {
    approvals: Approvals,
    presets: Presets,
    home: PathBuf,
    sockets: HostSockets,
}

/// Which API keys a created sandbox got, for the front end to say.
#[derive(Debug, Default)]
pub struct KeyReport {
    /// Variables whose values came from the keyring.
    pub passed: Vec<String>,
    /// A line for each agent key or requested variable not stored.
    pub missing: Vec<String>,
    /// Why the keyring could not be asked, when it could not.
    pub problem: Option<String>,
}

impl Launcher {
    /// The user's approvals, the presets (built in and the user's own) and
    /// the host sockets that are never mounted.
    pub fn for_user() -> Result<Launcher, LaunchError> {
        Launcher::with_approvals(Approvals::for_user()?)
    }

    /// [`Launcher::for_user`] with approvals kept in `approvals` (the
    /// self-test's private store, so its throw-away definitions never
    /// appear among the user's).
    pub fn with_approvals(approvals: Approvals) -> Result<Launcher, LaunchError> {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .ok_or(LaunchError::NoHome)?;
        Ok(Launcher {
            approvals,
            presets: Presets::load(Presets::user_dir().as_deref())?,
            home,
            sockets: HostSockets::from_env(),
        })
    }

    pub fn open(&self, dir: &Path) -> Result<Project, LaunchError> {
        Ok(Project::open(dir, &self.home)?)
    }

    /// Validates the definition, then passes it through the approval gate:
    /// approved and unchanged (with its mounts still the approved ones), or
    /// a review to show.
    pub fn gate(&self, project: &Project) -> Result<Gate, LaunchError> {
        project.load_definition(&self.presets)?;
        Ok(self
            .approvals
            .gate(project, &self.presets, &self.home, &self.sockets)?)
    }

    /// Records what `review` showed as approved and passes the gate again;
    /// a definition changed on disk meanwhile is not approved.
    pub fn approve(&self, project: &Project, review: &Review) -> Result<Approved, LaunchError> {
        match self.gate(project)? {
            Gate::Approved(approved) => return Ok(*approved),
            Gate::NeedsApproval(now)
                if now.snapshot == review.snapshot && now.mounts == review.mounts => {}
            Gate::NeedsApproval(_) => return Err(LaunchError::ChangedDuringReview),
        }
        self.approvals.approve(project, review)?;
        match self.gate(project)? {
            Gate::Approved(approved) => Ok(*approved),
            Gate::NeedsApproval(_) => Err(LaunchError::ChangedDuringReview),
        }
    }

    /// Approves the definition on disk as Paddock just wrote it for the user
    /// (`paddock init`, the window's form).
    pub fn approve_written(&self, project: &Project) -> Result<(), LaunchError> {
        Ok(self
            .approvals
            .approve_written(project, &self.presets, &self.home, &self.sockets)?)
    }

    /// What the engine builds and runs for the approved definition.
    pub async fn plan(
        &self,
        engine: &Engine,
        project: &Project,
        approved: &Approved,
    ) -> Result<SandboxPlan, LaunchError> {
        let definition = approved.definition();
        let agent = self.agent(project, approved.definition())?;
        let host = engine
            .host_facts(
                definition.isolation(),
                rustix::process::getuid().as_raw(),
                rustix::process::getgid().as_raw(),
                self.home.clone(),
            )
            .await?;
        let mut plan = plan::plan(project, approved, &agent, &host)?;
        let inbox = inbox::prepare(&inbox::for_project(project.root())?)?;
        plan.container = plan
            .container
            .with_inbox(inbox)
            .map_err(|error| ProjectError::Pin(Box::new(error)))?;
        Ok(plan)
    }

    /// Writes the generated files of the approved definition into
    /// `.agent-sandbox/`, for podman-compose users (Paddock itself never
    /// builds from them): before a build or a run, not when only looking.
    pub fn write_generated(
        &self,
        project: &Project,
        approved: &Approved,
    ) -> Result<(), LaunchError> {
        let agent = self.agent(project, approved.definition())?;
        project.write_generated(approved.definition(), &agent)?;
        Ok(())
    }

    /// The presets (built in and the user's own).
    pub fn presets(&self) -> &Presets {
        &self.presets
    }

    /// The agent preset `definition` (the project's approved one) names.
    pub(crate) fn agent(
        &self,
        project: &Project,
        definition: &Definition,
    ) -> Result<Preset, LaunchError> {
        definition
            .resolve_agent(&self.presets)
            .map_err(|errors| LaunchError::Agent {
                file: project.definition_path(),
                errors,
            })
    }
}

/// Creates the sandbox of `plan` afresh (a stopped one of the same name or
/// project is removed first; its named volumes stay) with the API keys stored for it,
/// attaches to it before it starts (so that its first line, the isolation
/// report, is not missed) and starts it. `terminal`: it gets a terminal.
pub async fn start_attached(
    engine: &Engine,
    project: &Project,
    plan: &SandboxPlan,
    terminal: bool,
) -> Result<(Session, KeyReport), LaunchError> {
    let keys = create(engine, project, plan, terminal).await?;
    let session = engine.attach(&plan.container.name, true).await?;
    note_changes(project).await?;
    engine.start(&plan.container).await?;
    Ok((session, keys))
}

/// [`start_attached`] without attaching: it runs in the background.
pub async fn start_detached(
    engine: &Engine,
    project: &Project,
    plan: &SandboxPlan,
) -> Result<KeyReport, LaunchError> {
    let keys = create(engine, project, plan, true).await?;
    note_changes(project).await?;
    engine.start(&plan.container).await?;
    Ok(keys)
}

/// Notes the project as it is before the agent starts, so that what the
/// run changed can be listed ([`sandbox::changes`]).
async fn note_changes(project: &Project) -> Result<(), LaunchError> {
    let root = project.root().to_owned();
    tokio::task::spawn_blocking(move || Records::for_user()?.note(&root).map(drop))
        .await
        .map_err(|error| RecordError::Io {
            action: gettextrs::gettext("read"),
            path: project.root().to_owned(),
            source: std::io::Error::other(error),
        })??;
    Ok(())
}

async fn create(
    engine: &Engine,
    project: &Project,
    plan: &SandboxPlan,
    terminal: bool,
) -> Result<KeyReport, LaunchError> {
    let name = &plan.container.name;
    engine.refuse_unisolated(&plan.container).await?;
    // By the project's label too: a sandbox named by an earlier version's
    // shorter slug is this project's as well.
    let earlier = engine
        .list()
        .await?
        .into_iter()
        .filter(|s| &s.name == name || s.project == project.root());
    for existing in earlier {
        if existing.state.is_running() {
            return Err(LaunchError::AlreadyRunning {
                name: existing.name,
            });
        }
        engine.remove(&existing.name, false).await?;
    }
    // The inbox's files were for the run that ended.
    inbox::empty(&inbox::for_project(project.root())?)?;
    let setup = crate::egress::setup()?;
    let (values, report) = stored_keys(plan, project.root()).await;
    match &plan.container.network {
        SandboxNetwork::Gated(policy) => {
            let outside = engine::outside_keys(&plan.container.secrets, &values);
            engine.open_egress(name, policy, &setup, &outside).await?;
        }
        // A gateway left from an earlier allowlist run goes.
        SandboxNetwork::None | SandboxNetwork::Full => {
            engine.close_egress(name, &setup.policies).await?;
        }
    }
    if let Some(login) = &plan.login {
        crate::login::ensure_login(engine, login).await?;
    }
    engine.create(&plan.container, terminal, &values).await?;
    Ok(report)
}

async fn stored_keys(
    plan: &SandboxPlan,
    project: &Path,
) -> (BTreeMap<String, SecretValue>, KeyReport) {
    let vars = &plan.container.secrets;
    let (values, problem) = match secrets::values_for(vars, project).await {
        Ok(values) => (values, None),
        Err(error) => (BTreeMap::new(), Some(error.to_string())),
    };
    let stored = values.keys().cloned().collect();
    let report = KeyReport {
        passed: values.keys().cloned().collect(),
        missing: vars.missing(&stored),
        problem,
    };
    (values, report)
}
