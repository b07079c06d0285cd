//! Copying both ways between the sandbox and the host it may reach, until
//! both sides are done or neither has sent anything for the idle timeout.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

const BUFFER: usize = 64 * 1024;

/// The last time either direction moved a byte, shared by both.
struct Activity {
    start: Instant,
    last_millis: AtomicU64,
}

impl Activity {
    fn touch(&self) {
        self.last_millis
            .store(self.start.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    async fn idle_for(&self, idle: Duration) {
        loop {
            let last = Duration::from_millis(self.last_millis.load(Ordering::Relaxed));
            let quiet = self.start.elapsed().saturating_sub(last);
            if quiet >= idle {
                return;
            }
            tokio::time::sleep(idle - quiet).await;
        }
    }
}

/// Copies `client` to `upstream` (at most `upload_limit` bytes, when given:
/// the rest of the client's bytes are never read) and `upstream` to
/// `client`, both at once. Ends when both directions are done, either fails,
/// or the idle timeout passes.
pub async fn splice(
    client: TcpStream,
    upstream: TcpStream,
    upload_limit: Option<u64>,
    idle: Duration,
) {
    let activity = Activity {
        start: Instant::now(),
        last_millis: AtomicU64::new(0),
    };
    let (client_read, client_write) = client.into_split();
    let (upstream_read, upstream_write) = upstream.into_split();
    let both = async {
        tokio::try_join!(
            pipe(client_read, upstream_write, upload_limit, &activity),
            pipe(upstream_read, client_write, None, &activity),
        )
    };
    tokio::select! {
        _ = both => {}
        () = activity.idle_for(idle) => {}
    }
}

async fn pipe(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    limit: Option<u64>,
    activity: &Activity,
) -> std::io::Result<()> {
    let mut buffer = vec![0; BUFFER];
    let mut left = limit.unwrap_or(u64::MAX);
    while left > 0 {
        let want = buffer
            .len()
            .min(usize::try_from(left).unwrap_or(usize::MAX));
        let count = from.read(&mut buffer[..want]).await?;
        if count == 0 {
            return to.shutdown().await;
        }
        activity.touch();
        to.write_all(&buffer[..count]).await?;
        activity.touch();
        left -= count as u64;
    }
    // A limited upload is complete: this half stays open (no shutdown), as
    // some servers read a half-close as an abort.
    Ok(())
}
