//! Carrying an agent's login over from the shared home of earlier versions,
//! where every project's agent had one settings folder (hooks and MCP
//! servers included): the first time an agent's login volume is made, its
//! login files are copied there from that volume, so that nobody logs in
//! again. Those files were written by sandboxes, so they are opened without
//! following links (a link to `~/.ssh/id_ed25519` is not a login) and
//! copied only when they are regular files of a login's size.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::Path;

use engine::Engine;
use rustix::fs::{Mode, OFlags};
use sandbox::plan::LoginShare;

/// Larger than any agent's token file; anything bigger is not a login.
const MAX_LOGIN_FILE: u64 = 1024 * 1024;

/// Makes the login volume unless it exists, with the login files of the
/// shared home when there is one. A file that cannot be copied is not
/// carried over: the agent asks for a login again.
pub async fn ensure_login(engine: &Engine, login: &LoginShare) -> Result<(), engine::Error> {
    if engine.volume_folder(&login.volume).await?.is_some() {
        return Ok(());
    }
    let shared = engine.volume_folder(&login.shared_home).await?;
    let target = engine.create_volume(&login.volume).await?;
    if let (Some(shared), Some(target)) = (shared, target) {
        for file in &login.files {
            let _ = copy_login_file(&shared, &target, file);
        }
    }
    Ok(())
}

/// Copies `from/name` to a new `to/name`, refusing links, anything but a
/// regular file and anything too large to be a login.
fn copy_login_file(from: &Path, to: &Path, name: &str) -> std::io::Result<()> {
    let source: OwnedFd = rustix::fs::open(
        from.join(name),
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
    )?;
    let stat = rustix::fs::fstat(&source)?;
    let is_file = rustix::fs::FileType::from_raw_mode(stat.st_mode).is_file();
    if !is_file || stat.st_size < 0 || stat.st_size as u64 > MAX_LOGIN_FILE {
        return Err(std::io::ErrorKind::InvalidData.into());
    }
    let mut bytes = Vec::new();
    std::fs::File::from(source)
        .take(MAX_LOGIN_FILE)
        .read_to_end(&mut bytes)?;
    let target: OwnedFd = rustix::fs::open(
        to.join(name),
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )?;
    std::fs::File::from(target).write_all(&bytes)
}
