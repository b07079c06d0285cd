//! The one bridge between tokio (where the engine runs) and the GLib main
//! loop (where the widgets live). Engine work is started with a component's
//! `sender.command` / `oneshot_command`, which run on relm4's tokio runtime
//! and come back as that component's command messages; the main loop never
//! waits on podman. The engine connection itself is made once and shared.

use std::path::PathBuf;
use std::time::Duration;

use gettextrs::gettext;
use tokio::sync::OnceCell;

use engine::{Engine, SandboxEvent};

static ENGINE: OnceCell<Engine> = OnceCell::const_new();

/// How soon a lost podman service is looked for again, doubling up to
/// [`LAST_RETRY`] while it stays away.
const FIRST_RETRY: Duration = Duration::from_millis(250);
const LAST_RETRY: Duration = Duration::from_secs(4);

/// The shared podman connection. A failure is not cached: the next call
/// tries again (the user may have just started the socket). The engine holds
/// only the socket's path, so it serves a restarted service as well.
pub async fn engine() -> Result<Engine, engine::Error> {
    ENGINE.get_or_try_init(Engine::connect).await.cloned()
}

/// What the window hears from podman while it runs.
#[derive(Debug)]
pub enum Link {
    /// Subscribed to podman's events: at start, or after the service came
    /// back. `running` are the projects whose sandbox runs now.
    Up {
        running: Vec<PathBuf>,
    },
    /// The service went away, and why. Sandboxes run on without it, each
    /// under its own conmon.
    Down(engine::Error),
    Sandbox(SandboxEvent),
}

/// Follows podman for as long as the window lives: subscribes to its
/// events, and when the service goes away (the stream ends and podman does
/// not answer) reports it and looks for it again with backoff,
/// resubscribing once it answers. Failing to connect at start is no news:
/// the system check reports that.
pub async fn follow_podman(emit: impl Fn(Link)) {
    let mut retry = FIRST_RETRY;
    loop {
        if let Ok(engine) = engine().await
            && let Ok(mut events) = engine.events().await
            && let Ok(sandboxes) = engine.list().await
        {
            retry = FIRST_RETRY;
            emit(Link::Up {
                running: sandboxes
                    .into_iter()
                    .filter(|s| s.state.is_running())
                    .map(|s| s.project)
                    .collect(),
            });
            let reason = loop {
                match events.next().await {
                    Some(Ok(event)) => emit(Link::Sandbox(event)),
                    Some(Err(error)) => break error,
                    None => {
                        break engine::Error::Connection(gettext("podman closed its event stream"));
                    }
                }
            };
            // The stream can end with podman still there (its event log
            // rotated, say): then resubscribe without alarming anyone.
            if engine.ping().await.is_ok() {
                tracing::info!("podman's events ended ({reason}); resubscribing");
            } else {
                tracing::warn!("lost podman: {reason}");
                emit(Link::Down(reason));
            }
        }
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(LAST_RETRY);
    }
}

/// Collects what a stream has ready right now into one message, so that a
/// flood of small chunks (an agent echoing a byte at a time) costs the main
/// loop one wake-up per batch rather than one per byte.
pub fn batch<T>(
    first: T,
    receiver: &mut tokio::sync::mpsc::UnboundedReceiver<T>,
    limit: usize,
) -> Vec<T> {
    let mut items = vec![first];
    while items.len() < limit {
        match receiver.try_recv() {
            Ok(item) => items.push(item),
            Err(_) => break,
        }
    }
    items
}
