//! Where a project's sandbox is, as far as the window knows: one value that
//! the header, the banner and the page's reactions all read, instead of
//! flags that could disagree. A build can go on while the sandbox runs (the
//! image of its next run), so the phases that run carry it along. What the
//! window says about it is derived in [`super::look`].

use tokio_util::sync::CancellationToken;

#[derive(Debug)]
pub enum Phase {
    /// Neither building nor running.
    Idle,
    /// Building the image, with no sandbox running.
    Building(Build),
    /// A run was asked for and podman has not answered yet; `running`: the
    /// sandbox was already running (a reattach).
    Starting { running: bool },
    /// The sandbox runs, attached here or not.
    Running { build: Option<Build> },
    /// Stop was asked for, and the sandbox's end not reported yet.
    Stopping { build: Option<Build> },
}

/// How the last build or run ended, for when neither goes on; a good build
/// (or a cancelled one) leaves nothing to tell beyond whether the image
/// exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    BuildFailed,
    /// The sandbox ended by itself, with this code.
    Exited(i64),
    /// The user stopped it: whatever code podman's stop left is no news.
    Stopped,
}

/// A build in progress.
#[derive(Debug)]
pub struct Build {
    pub cancel: CancellationToken,
    /// Run was pressed meanwhile: the sandbox runs once the image is built.
    pub then_run: bool,
}

impl Phase {
    /// The sandbox runs: the header offers Stop.
    pub fn is_running(&self) -> bool {
        matches!(
            self,
            Phase::Running { .. } | Phase::Stopping { .. } | Phase::Starting { running: true }
        )
    }

    pub fn build(&self) -> Option<&Build> {
        match self {
            Phase::Building(build)
            | Phase::Running { build: Some(build) }
            | Phase::Stopping { build: Some(build) } => Some(build),
            _ => None,
        }
    }

    fn build_mut(&mut self) -> Option<&mut Build> {
        match self {
            Phase::Building(build)
            | Phase::Running { build: Some(build) }
            | Phase::Stopping { build: Some(build) } => Some(build),
            _ => None,
        }
    }

    pub fn is_building(&self) -> bool {
        self.build().is_some()
    }

    /// Cancel was pressed and the build has not ended yet.
    pub fn is_cancelling(&self) -> bool {
        self.build()
            .is_some_and(|build| build.cancel.is_cancelled())
    }

    /// Whether a build can begin: none is going on, and podman is not in
    /// the middle of starting the sandbox.
    pub fn can_build(&self) -> bool {
        !self.is_building() && !matches!(self, Phase::Starting { .. })
    }

    /// Whether Run (or Stop) can be asked for: podman is not answering one
    /// already.
    pub fn can_run_or_stop(&self) -> bool {
        !matches!(self, Phase::Starting { .. } | Phase::Stopping { .. })
    }

    /// A build began (only when [`Phase::can_build`]).
    pub fn build_began(&mut self, cancel: CancellationToken, then_run: bool) {
        let build = Build { cancel, then_run };
        *self = match std::mem::replace(self, Phase::Idle) {
            Phase::Running { .. } => Phase::Running { build: Some(build) },
            Phase::Stopping { .. } => Phase::Stopping { build: Some(build) },
            _ => Phase::Building(build),
        };
    }

    /// The build ended, however it went; whether the sandbox should run now.
    pub fn build_ended(&mut self) -> bool {
        let (phase, then_run) = match std::mem::replace(self, Phase::Idle) {
            Phase::Building(build) => (Phase::Idle, build.then_run),
            Phase::Running { build } => (Phase::Running { build: None }, has_run(build)),
            Phase::Stopping { build } => (Phase::Stopping { build: None }, has_run(build)),
            other => (other, false),
        };
        *self = phase;
        then_run
    }

    /// Run was pressed while a build is going on: run once it is built.
    /// False when no build is going on.
    pub fn run_after_build(&mut self) -> bool {
        match self.build_mut() {
            Some(build) => {
                build.then_run = true;
                true
            }
            None => false,
        }
    }

    /// A run or a reattach was asked of podman.
    pub fn starting(&mut self) {
        let running = self.is_running();
        *self = Phase::Starting { running };
    }

    /// The run podman was asked for did not happen.
    pub fn start_failed(&mut self) {
        if let Phase::Starting { running } = *self {
            *self = match running {
                true => Phase::Running { build: None },
                false => Phase::Idle,
            };
        }
    }

    /// A terminal is attached to the running sandbox.
    pub fn attached(&mut self) {
        *self = match std::mem::replace(self, Phase::Idle) {
            Phase::Running { build } | Phase::Stopping { build } => Phase::Running { build },
            Phase::Building(build) => Phase::Running { build: Some(build) },
            Phase::Idle | Phase::Starting { .. } => Phase::Running { build: None },
        };
    }

    /// podman says the sandbox runs. A run being started or stopped waits
    /// for podman's answer to that.
    pub fn seen_running(&mut self) {
        *self = match std::mem::replace(self, Phase::Idle) {
            Phase::Idle => Phase::Running { build: None },
            Phase::Building(build) => Phase::Running { build: Some(build) },
            Phase::Starting { .. } => Phase::Starting { running: true },
            other => other,
        };
    }

    /// The sandbox does not run (any more); a build going on goes on.
    /// Whether it ended because the user stopped it.
    pub fn ended(&mut self) -> bool {
        let stopped = matches!(self, Phase::Stopping { .. });
        *self = match std::mem::replace(self, Phase::Idle) {
            Phase::Running { build } | Phase::Stopping { build } => match build {
                Some(build) => Phase::Building(build),
                None => Phase::Idle,
            },
            Phase::Starting { .. } => Phase::Starting { running: false },
            other => other,
        };
        stopped
    }

    /// Stop was asked of podman (only while the sandbox runs).
    pub fn stopping(&mut self) {
        if let Phase::Running { build } = std::mem::replace(self, Phase::Idle) {
            *self = Phase::Stopping { build };
        }
    }

    /// podman could not stop the sandbox: it runs on.
    pub fn stop_failed(&mut self) {
        if let Phase::Stopping { build } = self {
            *self = Phase::Running {
                build: build.take(),
            };
        }
    }
}

fn has_run(build: Option<Build>) -> bool {
    build.is_some_and(|build| build.then_run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_pressed_during_a_build_runs_after_it() {
        let mut phase = Phase::Idle;
        phase.build_began(CancellationToken::new(), false);
        assert!(!phase.can_build() && phase.can_run_or_stop());
        assert!(phase.run_after_build());
        assert!(phase.build_ended());
        assert!(matches!(phase, Phase::Idle));
        assert!(!phase.build_ended(), "nothing left to run after");
    }

    #[test]
    fn a_missing_image_is_built_then_run() {
        let mut phase = Phase::Idle;
        phase.starting();
        assert!(!phase.can_build() && !phase.can_run_or_stop() && !phase.is_running());
        phase.build_began(CancellationToken::new(), true);
        assert!(matches!(phase, Phase::Building(_)));
        assert!(phase.build_ended());
    }

    #[test]
    fn a_build_while_running_outlives_the_run() {
        let mut phase = Phase::Running { build: None };
        assert!(phase.can_build());
        phase.build_began(CancellationToken::new(), false);
        assert!(phase.is_running() && phase.is_building());
        phase.stopping();
        assert!(!phase.can_run_or_stop() && phase.is_running());
        assert!(phase.ended(), "it ended because it was stopped");
        assert!(matches!(phase, Phase::Building(_)));
        assert!(!phase.build_ended());
        assert!(matches!(phase, Phase::Idle));
    }

    #[test]
    fn a_reattach_that_fails_leaves_the_sandbox_running() {
        let mut phase = Phase::Running { build: None };
        phase.starting();
        assert!(phase.is_running() && !phase.can_run_or_stop());
        phase.start_failed();
        assert!(matches!(phase, Phase::Running { build: None }));

        let mut phase = Phase::Idle;
        phase.starting();
        phase.seen_running();
        assert!(phase.is_running(), "podman saw it start before it answered");
        phase.attached();
        assert!(matches!(phase, Phase::Running { build: None }));
    }

    #[test]
    fn stopping_needs_a_running_sandbox() {
        let mut phase = Phase::Idle;
        phase.stopping();
        assert!(matches!(phase, Phase::Idle));
        phase.stop_failed();
        assert!(matches!(phase, Phase::Idle));
        assert!(!phase.ended());
        assert!(matches!(phase, Phase::Idle));
    }

    #[test]
    fn a_stop_that_fails_leaves_it_running_and_an_end_then_is_its_own() {
        let mut phase = Phase::Running { build: None };
        phase.stopping();
        phase.stop_failed();
        assert!(matches!(phase, Phase::Running { build: None }));
        assert!(!phase.ended(), "not stopped by the user");
    }

    #[test]
    fn cancel_shows_at_once() {
        let mut phase = Phase::Idle;
        let cancel = CancellationToken::new();
        phase.build_began(cancel.clone(), false);
        assert!(!phase.is_cancelling());
        cancel.cancel();
        assert!(phase.is_cancelling() && phase.is_building());
    }
}
