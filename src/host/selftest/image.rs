//! The self-test's base image, made here without a registry: the host's own
//! statically linked busybox with its applet links, a minimal `/etc`, packed
//! as a tar and imported. Tagged with a digest of the binary, so it is made
//! once per busybox.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::SelfTestError;
use engine::Engine;

/// Where distributions put a static busybox (Fedora's `busybox` package,
/// Debian's `busybox-static`), seen from inside a Flatpak too.
const CANDIDATES: &[&str] = &[
    "/usr/sbin/busybox",
    "/usr/bin/busybox",
    "/bin/busybox",
    "/sbin/busybox",
    "/run/host/usr/sbin/busybox",
    "/run/host/usr/bin/busybox",
];

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n";
const GROUP: &str = "root:x:0:\nnogroup:x:65534:\n";

/// Makes (once) and names the base image.
pub async fn ensure(engine: &Engine) -> Result<String, SelfTestError> {
    let (path, binary) = find().ok_or(SelfTestError::NoBusybox)?;
    let digest = Sha256::digest(&binary);
    let tag: String = digest[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let reference = format!("localhost/paddock/selftest-base:{tag}");
    let applets = applets(&path)?;
    let archive = pack(&binary, &applets).map_err(SelfTestError::Image)?;
    engine.import_image(&reference, archive).await?;
    Ok(reference)
}

/// The first candidate that is a statically linked executable: a dynamic
/// one would need the host's libraries in the image.
fn find() -> Option<(PathBuf, Vec<u8>)> {
    CANDIDATES.iter().find_map(|candidate| {
        let bytes = std::fs::read(candidate).ok()?;
        is_static_elf(&bytes).then(|| (PathBuf::from(candidate), bytes))
    })
}

/// A 64-bit little-endian ELF file without a program interpreter.
fn is_static_elf(bytes: &[u8]) -> bool {
    let u16_at = |at: usize| Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
    let u64_at = |at: usize| Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?));
    if !bytes.starts_with(b"\x7fELF\x02\x01") {
        return false;
    }
    let (Some(offset), Some(size), Some(count)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38)) else {
        return false;
    };
    const PT_INTERP: u32 = 3;
    (0..usize::from(count)).all(|index| {
        let at = usize::try_from(offset).unwrap_or(usize::MAX) + index * usize::from(size);
        bytes.get(at..at + 4).is_some_and(|kind| {
            u32::from_le_bytes([kind[0], kind[1], kind[2], kind[3]]) != PT_INTERP
        })
    })
}

/// The applets the binary provides (`busybox --list`), names only.
fn applets(busybox: &Path) -> Result<Vec<String>, SelfTestError> {
    let output = Command::new(busybox)
        .arg("--list")
        .output()
        .map_err(SelfTestError::Image)?;
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|name| {
            !name.is_empty()
                && name != &"busybox"
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.[".contains(&b))
        })
        .map(str::to_owned)
        .collect())
}

fn pack(binary: &[u8], applets: &[String]) -> std::io::Result<Vec<u8>> {
    let mut archive = tar::Builder::new(Vec::new());
    for (dir, mode) in [
        ("bin", 0o755),
        ("etc", 0o755),
        ("root", 0o700),
        ("home", 0o755),
        ("tmp", 0o1777),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mode(mode);
        header.set_size(0);
        archive.append_data(&mut header, dir, std::io::empty())?;
    }
    let mut file = |path: &str, mode: u32, bytes: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_mode(mode);
        header.set_size(bytes.len() as u64);
        archive.append_data(&mut header, path, bytes)
    };
    file("bin/busybox", 0o755, binary)?;
    file("etc/passwd", 0o644, PASSWD.as_bytes())?;
    file("etc/group", 0o644, GROUP.as_bytes())?;
    file("etc/os-release", 0o644, b"ID=busybox\nNAME=BusyBox\n")?;
    for applet in applets {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_mode(0o777);
        header.set_size(0);
        archive.append_link(&mut header, format!("bin/{applet}"), "busybox")?;
    }
    archive.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_static_elf_counts() {
        // The running test binary is dynamically linked (it has an interpreter).
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert!(!is_static_elf(&me));
        assert!(!is_static_elf(b"#!/bin/sh\n"));
        assert!(!is_static_elf(b"\x7fELF\x02\x01"));
    }
}
