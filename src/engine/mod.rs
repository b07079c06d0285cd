//! Podman over the libpod API: build, run, attach, wait, list, events. Async, no GTK.
