//! Running the self-test: throw-away projects with a definition of
//! Paddock's own, approved in a private approvals store, through the same
//! launcher as a real project (gate, plan, build, create, start).

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::probe::{self, Measured};
use super::{CheckId, Outcome, SelfCheck, SelfTestError, SelfTestReport, Versions, image};
use crate::launch::{self, Launcher};
use crate::preflight::Probe;
use engine::{Engine, Output};
use sandbox::approval::{Approvals, Gate};
use sandbox::guest::{NotAReport, Verdict};
use sandbox::messages::tr;
use sandbox::net::Policy;
use sandbox::project::Project;
use sandbox::shown::escape as shown_escape;

/// A sandbox that has not ended by then is stopped and counts as failed.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub cpus: u32,
    pub memory_mib: u32,
}

/// What the self-test asks for. The default is the self-test; tests change
/// a field to prove that the check it feeds can fail.
#[derive(Debug, Clone)]
pub struct SelfTest {
    /// The two sizes, small then large.
    pub sizes: [Size; 2],
    /// The sandboxes are offline.
    pub offline: bool,
    /// The extra mount is read-only.
    pub read_only_mount: bool,
}

impl Default for SelfTest {
    fn default() -> SelfTest {
        SelfTest {
            sizes: [
                Size {
                    cpus: 1,
                    memory_mib: 512,
                },
                Size {
                    cpus: 2,
                    memory_mib: 1024,
                },
            ],
            offline: true,
            read_only_mount: true,
        }
    }
}

/// One throw-away sandbox, as the host and the guest saw it.
struct Run {
    verdict: Option<Result<Verdict, NotAReport>>,
    to_first_line: Option<Duration>,
    to_exit: Duration,
    exit_code: Option<i64>,
    measured: Measured,
    /// The uid owning what the guest wrote into the project, on the host.
    owner: Option<u32>,
    /// Something the guest wrote into a read-only place is on the host.
    leaked: bool,
}

impl SelfTest {
    /// Runs every check on this computer's podman.
    pub async fn run(&self) -> Result<SelfTestReport, SelfTestError> {
        let engine = Engine::connect().await?;
        let info = engine.info().await?;
        let base = image::ensure(&engine).await?;
        let work = tempfile::Builder::new()
            .prefix("paddock-selftest-")
            .tempdir()
            .map_err(SelfTestError::Project)?;
        let launcher = Launcher::with_approvals(Approvals::at(work.path().join("approvals")))?;
        let context = Context {
            engine: &engine,
            launcher: &launcher,
            work: work.path(),
            base: &base,
        };

        // Like a real project on this computer: a microVM when crun says it
        // can make one. When the host sees none, the rest is measured in
        // containers, so that every other check still says something.
        let vm_run = if info.krun_available {
            Some(context.run(self, 0, true).await?)
        } else {
            None
        };
        let isolation = isolation_check(vm_run.as_ref(), &info.kernel);
        let vm = isolation.outcome == Outcome::Passed;
        let (small, large) = match vm_run {
            Some(run) if vm => (run, context.run(self, 1, true).await?),
            _ => (
                context.run(self, 0, false).await?,
                context.run(self, 1, false).await?,
            ),
        };

        let uid = rustix::process::getuid().as_raw();
        let mut checks = vec![isolation];
        let [small_size, large_size] = self.sizes;
        checks.push(check(
            CheckId::SizeSmall,
            tr(
                "Size at {cpus} CPU / {memory} MiB",
                &[
                    ("cpus", &small_size.cpus),
                    ("memory", &small_size.memory_mib),
                ],
            ),
            probe::size(small_size.cpus, small_size.memory_mib, &small.measured, vm),
            &size_fix(),
        ));
        checks.push(check(
            CheckId::SizeLarge,
            tr(
                "Size at {cpus} CPUs / {memory} MiB",
                &[
                    ("cpus", &large_size.cpus),
                    ("memory", &large_size.memory_mib),
                ],
            ),
            probe::size(large_size.cpus, large_size.memory_mib, &large.measured, vm),
            &size_fix(),
        ));
        checks.push(check(
            CheckId::ProjectMount,
            gettextrs::gettext("Project folder"),
            probe::project_mount(&small.measured, small.owner, uid),
            &gettextrs::gettext(
                "Rootless podman must map your user into the sandbox (keep-id); check `podman info` for rootless and your subuid/subgid ranges",
            ),
        ));
        checks.push(check(
            CheckId::ReadOnlyMounts,
            gettextrs::gettext("Read-only mounts"),
            probe::read_only(&small.measured, small.leaked),
            &gettextrs::gettext(
                "The sandbox could change its own definition: update podman and crun, and report this",
            ),
        ));
        checks.push(check(
            CheckId::Offline,
            gettextrs::gettext("Offline network"),
            probe::offline(&small.measured, vm),
            &gettextrs::gettext(
                "An offline sandbox reached a network: update podman and crun, and report this",
            ),
        ));
        checks.push(egress_check(&engine).await);
        checks.extend(timing_checks(&small));

        let _ = work.close();
        Ok(SelfTestReport {
            when: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_secs()),
            machine: std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|name| shown_escape(name.trim()))
                .unwrap_or_default(),
            versions: Versions {
                crun: info
                    .crun_version
                    .clone()
                    .unwrap_or_else(|| info.runtime_name.clone()),
                libkrun: Probe::from_env()
                    .libkrun_version()
                    .unwrap_or_else(|| gettextrs::gettext("not found")),
                kernel: info.kernel.clone(),
                podman: info.podman_version.clone(),
            },
            checks,
        })
    }
}

/// The way out of an `allowlist` sandbox, as `paddock run` opens it: the
/// gateway image built from Paddock's gateway binary, the networks made,
/// a gateway started for a throw-away sandbox name (with a policy that
/// allows nothing) and answering its ready line; all removed again.
async fn egress_check(engine: &Engine) -> SelfCheck {
    let name = format!("paddock-selftest-gateway-{}", std::process::id());
    let started = Instant::now();
    let result = async {
        let setup = crate::egress::setup()?;
        let opened = engine
            .open_egress(&name, &Policy::default(), &setup, &[])
            .await;
        let ready = started.elapsed();
        let closed = engine.close_egress(&name, &setup.policies).await;
        opened?;
        closed?;
        Ok::<_, launch::LaunchError>(ready)
    }
    .await;
    let judged = match result {
        Ok(ready) => (
            Outcome::Passed,
            tr(
                "the gateway image is built, and a gateway for a throw-away sandbox network answered ready in {ms} ms",
                &[("ms", &ready.as_millis())],
            ),
        ),
        Err(error) => (
            Outcome::Failed,
            tr(
                "no gateway started: {error}",
                &[("error", &shown_escape(&error.to_string()))],
            ),
        ),
    };
    check(
        CheckId::EgressGateway,
        gettextrs::gettext("Network gateway"),
        judged,
        &gettextrs::gettext(
            "Allowlist sandboxes cannot start: podman needs netavark with nftables for its networks, and Paddock its paddock-gateway binary (reinstall Paddock); look at podman's service log",
        ),
    )
}

/// What every throw-away sandbox shares.
struct Context<'a> {
    engine: &'a Engine,
    launcher: &'a Launcher,
    work: &'a Path,
    base: &'a str,
}

impl Context<'_> {
    /// One sandbox at `self_test.sizes[size]`, a microVM or a container,
    /// from definition to removal.
    async fn run(&self, self_test: &SelfTest, size: usize, vm: bool) -> Result<Run, SelfTestError> {
        let dir = self.work.join(format!(
            "{}-{}",
            if vm { "microvm" } else { "container" },
            size
        ));
        write_project(&dir, self.base, self_test, self_test.sizes[size], vm)
            .map_err(SelfTestError::Project)?;
        let project = self.launcher.open(&dir)?;
        let approved = match self.launcher.gate(&project)? {
            Gate::Approved(approved) => *approved,
            Gate::NeedsApproval(review) => self.launcher.approve(&project, &review)?,
        };
        let mut plan = self.launcher.plan(self.engine, &project, &approved).await?;
        plan.container =
            plan.container
                .with_command(vec!["sh".into(), "-c".into(), probe::script()]);
        let (events, _log) = mpsc::unbounded_channel();
        self.engine
            .build(&plan.build, &events, &CancellationToken::new())
            .await?;
        let name = plan.container.name.clone();
        let result = self.observe(&project, &plan).await;
        let _ = self.engine.remove(&name, true).await;
        let _ = self.engine.remove_image(&plan.build.image).await;
        let mut run = result?;
        let written = |path: &Path| std::fs::symlink_metadata(path).ok();
        run.owner = written(&dir.join(probe::WRITTEN)).map(|meta| meta.uid());
        run.leaked = written(&project.sandbox_dir().join(probe::PROBE)).is_some()
            || written(&dir.join(READ_ONLY_SOURCE).join(probe::PROBE)).is_some();
        Ok(run)
    }

    /// Starts the sandbox, tells it to go on once the verdict is in (so the
    /// host looked while it ran), and collects what it printed.
    async fn observe(
        &self,
        project: &Project,
        plan: &sandbox::plan::SandboxPlan,
    ) -> Result<Run, SelfTestError> {
        let name = &plan.container.name;
        let started = Instant::now();
        let (session, _keys) = launch::start_attached(self.engine, project, plan, false).await?;
        let engine::Session {
            mut output,
            mut input,
        } = session;
        let mut run = Run {
            verdict: None,
            to_first_line: None,
            to_exit: Duration::ZERO,
            exit_code: None,
            measured: Measured::default(),
            owner: None,
            leaked: false,
        };
        let mut stdout = Vec::new();
        let collect = async {
            while let Some(chunk) = output.next().await {
                match chunk? {
                    Output::Stdout(bytes) => stdout.extend_from_slice(&bytes),
                    Output::Stderr(_) => {}
                    Output::Verdict(verdict) => {
                        run.to_first_line = Some(started.elapsed());
                        run.verdict = Some(verdict);
                        // A sandbox that already ended cannot read it.
                        let _ = input.write(b"go\n").await;
                        let _ = input.close().await;
                    }
                }
            }
            Ok::<_, engine::Error>(())
        };
        match tokio::time::timeout(RUN_TIMEOUT, collect).await {
            Ok(result) => result?,
            Err(_) => {
                let _ = self.engine.stop(name).await;
            }
        }
        run.exit_code = Some(self.engine.wait(name).await?);
        run.to_exit = started.elapsed();
        run.measured = Measured::parse(&String::from_utf8_lossy(&stdout));
        Ok(run)
    }
}

/// The extra mount's folder, inside the throw-away project.
const READ_ONLY_SOURCE: &str = "read-only-probe";

fn write_project(
    dir: &Path,
    base: &str,
    self_test: &SelfTest,
    size: Size,
    vm: bool,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join(".agent-sandbox"))?;
    std::fs::create_dir_all(dir.join(READ_ONLY_SOURCE))?;
    let definition = format!(
        "# The self-test's throw-away sandbox.\nversion = 1\n\n[agent]\npreset = \"shell\"\nhome = \"project\"\n\n[image]\nbase = \"{base}\"\npackage_manager = \"none\"\n\n[resources]\ncpus = {cpus}\nmemory_mib = {memory}\n\n[sandbox]\nruntime = \"{runtime}\"\nnetwork = \"{network}\"\n\n[[mounts]]\nsource = \"{READ_ONLY_SOURCE}\"\ntarget = \"{target}\"\nread_only = {read_only}\n",
        cpus = size.cpus,
        memory = size.memory_mib,
        runtime = if vm { "krun" } else { "container" },
        network = if self_test.offline { "offline" } else { "full" },
        target = probe::READ_ONLY_TARGET,
        read_only = self_test.read_only_mount,
    );
    std::fs::write(dir.join(".agent-sandbox").join("paddock.toml"), definition)
}

fn check(id: CheckId, title: String, (outcome, measured): probe::Judged, fix: &str) -> SelfCheck {
    SelfCheck {
        id,
        title,
        fix: (outcome == Outcome::Failed).then(|| fix.to_owned()),
        outcome,
        measured,
    }
}

fn size_fix() -> String {
    gettextrs::gettext(
        "crun did not give the sandbox the size it was asked for: update crun (1.27 or newer reads the size annotations) and libkrun",
    )
}

/// The verdict of the microVM run, as the host saw it, with both kernels.
fn isolation_check(vm_run: Option<&Run>, host_kernel: &str) -> SelfCheck {
    let title = gettextrs::gettext("Isolation");
    let fix = gettextrs::gettext(
        "Install crun with libkrun and make sure you can use KVM (sudo dnf install crun-krun; sudo usermod -aG kvm $USER), then run the self-test again",
    );
    let failed = |measured: String| SelfCheck {
        id: CheckId::Isolation,
        title: title.clone(),
        outcome: Outcome::Failed,
        measured,
        fix: Some(fix.clone()),
    };
    let Some(run) = vm_run else {
        return failed(tr(
            "not a microVM: podman's crun does not report +LIBKRUN, so sandboxes can only be containers (host kernel {host})",
            &[("host", &host_kernel)],
        ));
    };
    let guest = run
        .measured
        .kernel
        .clone()
        .or_else(|| match &run.verdict {
            Some(Ok(Verdict::NotIsolated { kernel } | Verdict::Unconfirmed { kernel, .. })) => {
                Some(kernel.clone())
            }
            _ => None,
        })
        .map_or_else(
            || gettextrs::gettext("unknown"),
            |kernel| shown_escape(&kernel),
        );
    let kernels = tr(
        "guest kernel {guest}, host kernel {host}",
        &[("guest", &guest), ("host", &host_kernel)],
    );
    match &run.verdict {
        Some(Ok(Verdict::MicroVm)) => SelfCheck {
            id: CheckId::Isolation,
            title,
            outcome: Outcome::Passed,
            measured: tr("microVM; {kernels}", &[("kernels", &kernels)]),
            fix: None,
        },
        Some(Ok(verdict)) => failed(tr(
            "not a microVM: {verdict}; {kernels}",
            &[("verdict", verdict), ("kernels", &kernels)],
        )),
        Some(Err(not_a_report)) => failed(tr("not a microVM: {error}", &[("error", not_a_report)])),
        None => failed(tr(
            "not a microVM: the sandbox ended without reporting itself (exit code {code})",
            &[("code", &run.exit_code.unwrap_or(-1))],
        )),
    }
}

fn timing_checks(run: &Run) -> [SelfCheck; 2] {
    let first_line = match run.to_first_line {
        Some(time) => (
            Outcome::Passed,
            tr(
                "{ms} ms from creating the sandbox to its report line",
                &[("ms", &time.as_millis())],
            ),
        ),
        None => (
            Outcome::Failed,
            gettextrs::gettext("the sandbox never printed its report line"),
        ),
    };
    let code = run.exit_code.unwrap_or(-1);
    let exit = (
        if code == 0 {
            Outcome::Passed
        } else {
            Outcome::Failed
        },
        tr(
            "{ms} ms from creating the sandbox to its exit (code {code})",
            &[("ms", &run.to_exit.as_millis()), ("code", &code)],
        ),
    );
    let fix = gettextrs::gettext("Look at `podman logs` of a sandbox and at podman's service log");
    [
        check(
            CheckId::FirstLine,
            gettextrs::gettext("Start to first line"),
            first_line,
            &fix,
        ),
        check(
            CheckId::Exit,
            gettextrs::gettext("Start to exit"),
            exit,
            &fix,
        ),
    ]
}
