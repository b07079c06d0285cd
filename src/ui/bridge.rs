//! The one bridge between tokio (where the engine runs) and the GLib main
//! loop (where the widgets live). Engine work is started with a component's
//! `sender.command` / `oneshot_command`, which run on relm4's tokio runtime
//! and come back as that component's command messages; the main loop never
//! waits on podman. The engine connection itself is made once and shared.

use tokio::sync::OnceCell;

use crate::engine::Engine;

static ENGINE: OnceCell<Engine> = OnceCell::const_new();

/// The shared podman connection. A failure is not cached: the next call
/// tries again (the user may have just started the socket).
pub async fn engine() -> Result<Engine, crate::engine::Error> {
    ENGINE.get_or_try_init(Engine::connect).await.cloned()
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
