//! Who and where the tests run: the user and the host's kernel, which the
//! sandboxes are compared with.

pub fn uid() -> u32 {
    rustix::process::getuid().as_raw()
}

pub fn gid() -> u32 {
    rustix::process::getgid().as_raw()
}

/// The host's kernel release, as `uname -r` prints it.
pub fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .expect("/proc is mounted")
        .trim()
        .to_owned()
}
