//! Copying both ways between the sandbox and the host it may reach, until
//! both sides are done or neither has sent anything for the idle timeout.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rustix::pipe::{self as kernel, PipeFlags, SpliceFlags};
use tokio::io::{AsyncWriteExt, Interest};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// The pipe's size per direction.
const PIPE: usize = 1024 * 1024;
const FLAGS: SpliceFlags = SpliceFlags::MOVE.union(SpliceFlags::NONBLOCK);

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
            direction(client_read, upstream_write, upload_limit, &activity),
            direction(upstream_read, client_write, None, &activity),
        )
    };
    tokio::select! {
        _ = both => {}
        () = activity.idle_for(idle) => {}
    }
}

/// One direction, through a pipe with splice(2): the kernel moves the bytes
/// from socket to socket and the gateway never copies them, which keeps a
/// large download close to the speed of a direct one.
async fn direction(
    from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    limit: Option<u64>,
    activity: &Activity,
) -> io::Result<()> {
    let (pipe_read, pipe_write) = kernel::pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK)?;
    // A larger pipe moves more per call; the default (64 KiB) still works.
    let capacity = kernel::fcntl_setpipe_size(&pipe_write, PIPE).unwrap_or(64 * 1024);
    let (from, sink) = (from.as_ref(), to.as_ref());
    let mut left = limit.unwrap_or(u64::MAX);
    while left > 0 {
        let want = capacity.min(usize::try_from(left).unwrap_or(usize::MAX));
        let count = moved(from, Interest::READABLE, || {
            kernel::splice(from, None, &pipe_write, None, want, FLAGS)
        })
        .await?;
        if count == 0 {
            return to.shutdown().await;
        }
        activity.touch();
        let mut pending = count;
        while pending > 0 {
            pending -= moved(sink, Interest::WRITABLE, || {
                kernel::splice(&pipe_read, None, sink, None, pending, FLAGS)
            })
            .await?;
            activity.touch();
        }
        left -= count as u64;
    }
    // A limited upload is complete: this half stays open until the whole
    // connection ends (dropping it would shut it down), as some servers
    // read a half-close as an abort.
    to.forget();
    Ok(())
}

/// Runs a non-blocking `splice` on `socket` once it is ready for `interest`.
async fn moved(
    socket: &TcpStream,
    interest: Interest,
    mut call: impl FnMut() -> rustix::io::Result<usize>,
) -> io::Result<usize> {
    loop {
        socket.ready(interest).await?;
        match socket.try_io(interest, || call().map_err(io::Error::from)) {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
            result => return result,
        }
    }
}
