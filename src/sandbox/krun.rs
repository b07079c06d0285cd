//! The annotations that make podman's crun start a container as a krun
//! microVM of a given size (crun's krun.1 man page). A crun built without
//! libkrun ignores them, which is why the isolation is checked at run time.

use crate::definition::Resources;

/// Selects crun's krun handler; its value is [`HANDLER_KRUN`].
pub const HANDLER: &str = "run.oci.handler";
pub const HANDLER_KRUN: &str = "krun";
/// The microVM's vCPUs (read by crun 1.27 and newer).
pub const CPUS: &str = "krun.cpus";
/// The microVM's memory in MiB (read by crun 1.27 and newer).
pub const RAM_MIB: &str = "krun.ram_mib";

/// The annotations for a microVM with `resources`, handler first.
pub fn annotations(resources: &Resources) -> [(&'static str, String); 3] {
    [
        (HANDLER, HANDLER_KRUN.to_owned()),
        (CPUS, resources.cpus.to_string()),
        (RAM_MIB, resources.memory_mib.to_string()),
    ]
}
