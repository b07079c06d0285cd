//! The window's actions that other programs activate by name on the session
//! bus (`org.gtk.Actions.Activate` at the application's object path):
//! `paddock open`, notifications, GNOME Shell and the GUI tests. Each takes a
//! project folder's path, the network ones also a host (`(ss)`);
//! `ui::actions` installs them.

/// Adds the folder as a project, or brings it up when it is one already.
pub const OPEN_PROJECT: &str = "open-project";
/// Builds the project's sandbox image.
pub const BUILD_PROJECT: &str = "build-project";
/// Runs the project's sandbox (building it first when needed).
pub const RUN_PROJECT: &str = "run-project";
/// Shows what the project's last run changed (its Changes view).
pub const SHOW_CHANGES: &str = "show-changes";
/// Brings up the window on the project (a notification's default action).
pub const SHOW_PROJECT: &str = "show-project";
/// Takes the project off the window's list (asking first while its sandbox
/// runs; the toast offers Undo); the folder is never touched.
pub const REMOVE_PROJECT: &str = "remove-project";
/// Puts a host the sandbox was refused on the project's allowlist, as the
/// Network view's Allow does (a blocked-host notification's button). Takes
/// `(project, entry)`.
pub const ALLOW_HOST: &str = "allow-host";
/// Dismisses a blocked-host notification (its other button); a host is
/// told once per run, so nothing more comes about it. Takes
/// `(project, entry)`.
pub const IGNORE_HOST: &str = "ignore-host";
