//! The isolation verdict, decided from what the host sees. The sandbox's own
//! report line is a claim: anything inside can print it. The verdict is
//! never better than the host's view:
//!
//! - "container" when podman was not asked for krun (the annotation on the
//!   container, not the guest's word) or the guest says so itself;
//! - "not isolated" when the guest runs the host's kernel;
//! - "microVM" only when crun reports `+LIBKRUN` and the sandbox's main
//!   process, which rootless podman runs as the user (so its
//!   `/proc/<pid>/fd` is readable to us), is a KVM virtual machine monitor:
//!   it holds a KVM VM (`anon_inode:kvm-vm`) and at least one vCPU
//!   (`anon_inode:kvm-vcpu:N`). A container cannot hold those: Paddock
//!   passes it no `/dev/kvm`. The PID is podman's; it is taken as the
//!   sandbox's only when that process's parent is the container's conmon,
//!   so a PID from another namespace (Flatpak's) is never misread.
//!
//! Anything else is "container" too ([`Verdict::Unconfirmed`]).

use std::path::Path;

use crate::{Engine, Error, Result};
use sandbox::guest::{GuestReport, NoVmSeen, Verdict};
use sandbox::plan::Isolation;

/// The annotation that asks crun for a krun microVM.
const KRUN_HANDLER: (&str, &str) = ("run.oci.handler", "krun");

/// What the host sees of a sandbox's main process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostView {
    /// A KVM virtual machine monitor with this many vCPUs.
    Vmm { vcpus: usize },
    /// A process holding no KVM virtual machine.
    NoVm,
    /// Not visible: not running, or not in Paddock's PID namespace.
    NotVisible,
}

/// The decision itself, from the host's facts and the guest's claim.
pub fn decide(
    requested: Isolation,
    krun_available: bool,
    host_kernel: &str,
    report: &GuestReport,
    view: HostView,
) -> Verdict {
    if requested == Isolation::Container || report.isolation == Isolation::Container {
        return Verdict::Container;
    }
    if report.guest_kernel == host_kernel.trim() {
        return Verdict::NotIsolated {
            kernel: report.guest_kernel.clone(),
        };
    }
    let why = match (krun_available, view) {
        (true, HostView::Vmm { vcpus }) if vcpus > 0 => return Verdict::MicroVm,
        (false, _) => NoVmSeen::RuntimeWithoutLibkrun,
        (true, HostView::NotVisible) => NoVmSeen::ProcessNotVisible,
        (true, _) => NoVmSeen::NoKvmVm,
    };
    Verdict::Unconfirmed {
        kernel: report.guest_kernel.clone(),
        why,
    }
}

/// Reads `proc`/`pid` (the process podman names as the sandbox's), taking it
/// for the sandbox's only when its parent is `conmon`.
pub fn look(proc: &Path, pid: i64, conmon: i64) -> HostView {
    if pid <= 0 || parent(proc, pid) != Some(conmon) {
        return HostView::NotVisible;
    }
    let Ok(fds) = std::fs::read_dir(proc.join(pid.to_string()).join("fd")) else {
        return HostView::NotVisible;
    };
    let (mut vm, mut vcpus) = (false, 0);
    for fd in fds.flatten() {
        let Ok(target) = std::fs::read_link(fd.path()) else {
            continue;
        };
        let target = target.to_string_lossy();
        if target == "anon_inode:kvm-vm" {
            vm = true;
        } else if target.starts_with("anon_inode:kvm-vcpu:") {
            vcpus += 1;
        }
    }
    if vm && vcpus > 0 {
        HostView::Vmm { vcpus }
    } else {
        HostView::NoVm
    }
}

/// The parent PID in `proc/pid/stat` (the field after the command name,
/// which may itself hold spaces and parentheses, and the state).
fn parent(proc: &Path, pid: i64) -> Option<i64> {
    let stat = std::fs::read_to_string(proc.join(pid.to_string()).join("stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

impl Engine {
    /// What the host sees of the sandbox `name` now, and whether podman was
    /// asked for a microVM for it.
    pub async fn host_view(&self, name: &str) -> Result<(Isolation, HostView)> {
        let inspect = self
            .podman
            .containers()
            .get(name)
            .inspect()
            .await
            .map_err(|err| Error::podman(name, err))?;
        let krun = inspect
            .config
            .as_ref()
            .and_then(|config| config.annotations.as_ref())
            .and_then(|annotations| annotations.get(KRUN_HANDLER.0))
            .is_some_and(|handler| handler == KRUN_HANDLER.1);
        let requested = if krun {
            Isolation::MicroVm
        } else {
            Isolation::Container
        };
        let state = inspect.state.as_ref();
        let running = state.and_then(|state| state.running).unwrap_or(false);
        let pid = state.and_then(|state| state.pid).unwrap_or_default();
        let conmon = state.and_then(|state| state.conmon_pid).unwrap_or_default();
        let view = if running {
            look(Path::new("/proc"), pid, conmon)
        } else {
            HostView::NotVisible
        };
        Ok((requested, view))
    }

    /// How isolated the sandbox `name`, which sent `report`, is: see the
    /// module's rules. The one verdict the CLI, the window and the self-test
    /// show.
    pub async fn verdict(&self, name: &str, report: &GuestReport) -> Result<Verdict> {
        let (requested, view) = self.host_view(name).await?;
        if requested == Isolation::Container {
            return Ok(Verdict::Container);
        }
        let info = self.info().await?;
        Ok(decide(
            requested,
            info.krun_available,
            &info.kernel,
            report,
            view,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn report(kernel: &str, isolation: Isolation) -> GuestReport {
        GuestReport {
            guest_kernel: kernel.into(),
            uid: 1000,
            isolation,
        }
    }

    const HOST: &str = "6.1.0-40-amd64";
    const VMM: HostView = HostView::Vmm { vcpus: 2 };

    #[test]
    fn microvm_only_with_libkrun_a_vmm_and_another_kernel() {
        let guest = report("6.12-krun", Isolation::MicroVm);
        assert_eq!(
            decide(Isolation::MicroVm, true, HOST, &guest, VMM),
            Verdict::MicroVm
        );
        for (krun, view, why) in [
            (false, VMM, NoVmSeen::RuntimeWithoutLibkrun),
            (true, HostView::NoVm, NoVmSeen::NoKvmVm),
            (true, HostView::Vmm { vcpus: 0 }, NoVmSeen::NoKvmVm),
            (true, HostView::NotVisible, NoVmSeen::ProcessNotVisible),
        ] {
            assert_eq!(
                decide(Isolation::MicroVm, krun, HOST, &guest, view),
                Verdict::Unconfirmed {
                    kernel: "6.12-krun".into(),
                    why
                }
            );
        }
    }

    #[test]
    fn a_container_stays_a_container_whatever_it_claims() {
        let claims_vm = report("6.12-krun", Isolation::MicroVm);
        assert_eq!(
            decide(Isolation::Container, true, HOST, &claims_vm, VMM),
            Verdict::Container
        );
        let says_container = report("6.12-krun", Isolation::Container);
        assert_eq!(
            decide(Isolation::MicroVm, true, HOST, &says_container, VMM),
            Verdict::Container
        );
    }

    #[test]
    fn the_host_kernel_is_not_isolated() {
        assert_eq!(
            decide(
                Isolation::MicroVm,
                true,
                "6.1.0-40-amd64\n",
                &report(HOST, Isolation::MicroVm),
                VMM
            ),
            Verdict::NotIsolated {
                kernel: HOST.into()
            }
        );
    }

    /// A stand-in for `/proc` (a real VMM cannot run here): `stat` and
    /// `fd/` links as the kernel shows them.
    fn fake_proc(ppid: i64, links: &[&str]) -> tempfile::TempDir {
        let proc = tempfile::tempdir().unwrap();
        let dir = proc.path().join("42");
        std::fs::create_dir_all(dir.join("fd")).unwrap();
        std::fs::write(
            dir.join("stat"),
            format!("42 (cr un) (x) S {ppid} 42 42 0 -1 4194560"),
        )
        .unwrap();
        for (fd, link) in links.iter().enumerate() {
            symlink(link, dir.join("fd").join(fd.to_string())).unwrap();
        }
        proc
    }

    #[test]
    fn a_vmm_is_told_by_its_kvm_descriptors() {
        let vmm = fake_proc(
            7,
            &[
                "/dev/null",
                "/dev/kvm",
                "anon_inode:kvm-vm",
                "anon_inode:kvm-vcpu:0",
                "anon_inode:kvm-vcpu:1",
            ],
        );
        assert_eq!(look(vmm.path(), 42, 7), HostView::Vmm { vcpus: 2 });
        // Another process's child (a PID from another namespace) is not it.
        assert_eq!(look(vmm.path(), 42, 8), HostView::NotVisible);
        assert_eq!(look(vmm.path(), 43, 7), HostView::NotVisible);
        // /dev/kvm alone, or a VM without vCPUs, is no running guest.
        let opened = fake_proc(7, &["/dev/kvm", "anon_inode:kvm-vm"]);
        assert_eq!(look(opened.path(), 42, 7), HostView::NoVm);
        let shell = fake_proc(7, &["/dev/null", "pipe:[1]", "/dev/pts/0"]);
        assert_eq!(look(shell.path(), 42, 7), HostView::NoVm);
    }
}
