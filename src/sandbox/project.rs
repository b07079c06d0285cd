//! A project folder: where it may be and its `.agent-sandbox/` files. What
//! the engine runs for it is [`crate::plan::plan`]'s.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use crate::definition::{Definition, DefinitionErrors};
use crate::host_facts::VmSizing;
use crate::messages::tr;
use crate::names::Names;
use crate::presets::{Preset, Presets};
use crate::render;

/// The per-project folder (the seed article's name).
pub const SANDBOX_DIR: &str = ".agent-sandbox";
/// The definition inside [`SANDBOX_DIR`].
pub const DEFINITION_FILE: &str = "paddock.toml";
/// The files Paddock writes into [`SANDBOX_DIR`] (and overwrites).
pub const GENERATED_FILES: [&str; 3] = [CONTAINERFILE, ENTRYPOINT, COMPOSE];
pub const CONTAINERFILE: &str = "Containerfile";
pub const ENTRYPOINT: &str = "entrypoint.sh";
pub const COMPOSE: &str = "compose.yaml";

/// Folders that are never a project, nor is anything inside them (unless it
/// is inside the home folder, as `/var/home/<user>` on Fedora Atomic).
const SYSTEM_TREES: &[&str] = &[
    "/etc", "/usr", "/var", "/boot", "/proc", "/sys", "/dev", "/run", "/bin", "/sbin", "/root",
];
/// Folders that are never a project themselves; their subfolders may be.
const SYSTEM_FOLDERS: &[&str] = &[
    "/opt",
    "/srv",
    "/tmp",
    "/var/tmp",
    "/home",
    "/var/home",
    "/mnt",
    "/media",
];
/// Inside `/var`, these may hold projects.
const VAR_ALLOWED: &[&str] = &["/var/tmp"];

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("{}", tr("{path} does not exist", &[("path", &path.display())]))]
    NotFound { path: PathBuf },
    #[error("{}", tr("{path} is not a folder; choose the project's folder", &[("path", &path.display())]))]
    NotAFolder { path: PathBuf },
    #[error(
        "{}",
        gettextrs::gettext(
            "the root folder / cannot be a project: the agent could reach every file on the computer; choose the project's own folder"
        )
    )]
    Root,
    #[error("{}", tr("{path} is your home folder, which cannot be a project: the agent could reach all your files and credentials; choose the project's own folder", &[("path", &path.display())]))]
    Home { path: PathBuf },
    #[error("{}", tr("{path} contains your home folder, which cannot be part of a project; choose the project's own folder", &[("path", &path.display())]))]
    ContainsHome { path: PathBuf },
    #[error("{}", tr("{path} is or contains your SSH keys ({secret}); a project must not give the agent your SSH keys: choose a folder without them", &[("path", &path.display()), ("secret", &secret.display())]))]
    SshKeys { path: PathBuf, secret: PathBuf },
    #[error("{}", tr("{path} is or contains your GnuPG keys ({secret}); a project must not give the agent your signing and encryption keys: choose a folder without them", &[("path", &path.display()), ("secret", &secret.display())]))]
    GnupgKeys { path: PathBuf, secret: PathBuf },
    #[error("{}", tr("{path} is or contains your keyrings ({secret}), where your saved passwords live; choose a folder without them", &[("path", &path.display()), ("secret", &secret.display())]))]
    Keyrings { path: PathBuf, secret: PathBuf },
    #[error("{}", tr("{path} is or contains {place}, which holds {what}; a project or a mount must never give the agent that: choose a folder without it", &[("path", &path.display()), ("place", &place.display()), ("what", what)]))]
    PrivatePlace {
        path: PathBuf,
        place: PathBuf,
        what: String,
    },
    #[error("{}", tr("{path} is a system folder ({folder}), which cannot be a project; choose a folder of your own, e.g. in your home folder", &[("path", &path.display()), ("folder", folder)]))]
    SystemFolder { path: PathBuf, folder: String },
    #[error("{}", tr("{path} is a symbolic link; Paddock uses only a real .agent-sandbox folder with real files inside the project, so that a link cannot bring files from outside into the sandbox. Replace the link with the folder or file itself", &[("path", &path.display())]))]
    Symlink { path: PathBuf },
    #[error("{}", tr("{path} is a symbolic link. Your own git runs what it names, so Paddock mounts it read-only inside the sandbox, and it does not follow links into the sandbox: replace the link with the file or folder itself, or list it under writable in [sandbox] (to be approved)", &[("path", &path.display())]))]
    HostRunLink { path: PathBuf },
    #[error("{}", tr("{path} has no sandbox definition yet; run `paddock init` there first", &[("path", &path.display())]))]
    NoDefinition { path: PathBuf },
    #[error("{}", tr("{path} is not UTF-8 text; Paddock builds only from a Containerfile it can show you in full", &[("path", &path.display())]))]
    NotText { path: PathBuf },
    #[error("{}", tr("{path}, line {line}, holds the character {character}, which a terminal or a viewer would not show as it is (it can hide or rewrite what you review); Paddock does not build from it: remove the character", &[("path", &path.display()), ("line", line), ("character", character)]))]
    HiddenCharacter {
        path: PathBuf,
        line: usize,
        character: String,
    },
    #[error(transparent)]
    Pin(Box<crate::plan::PinError>),
    #[error("{}", tr("{file} is not valid:\n{errors}", &[("file", &file.display()), ("errors", errors)]))]
    Definition {
        file: PathBuf,
        errors: DefinitionErrors,
    },
    #[error("{}", tr("cannot write {path}: {error}. The disk (or your quota) is full: free some space and try again; {path} was left as it was", &[("path", &path.display()), ("error", &crate::messages::os_error(source))]))]
    NoSpace {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", tr("cannot {action} {path}: {error}", &[("action", action), ("path", &path.display()), ("error", &crate::messages::os_error(source))]))]
    Io {
        action: String,
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(action: &str, path: &Path) -> impl FnOnce(std::io::Error) -> ProjectError {
    let (action, path) = (gettextrs::gettext(action), path.to_owned());
    move |source| match source.kind() {
        std::io::ErrorKind::StorageFull
        | std::io::ErrorKind::QuotaExceeded
        | std::io::ErrorKind::FileTooLarge => ProjectError::NoSpace { path, source },
        _ => ProjectError::Io {
            action,
            path,
            source,
        },
    }
}

/// A folder that may be a project: absolute, symlinks resolved, and none of
/// the places an agent must never be given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    root: PathBuf,
}

impl Project {
    /// Opens `path` as a project of the user whose home is `home`.
    pub fn open(path: &Path, home: &Path) -> Result<Project, ProjectError> {
        let root = std::fs::canonicalize(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => ProjectError::NotFound {
                path: path.to_owned(),
            },
            _ => ProjectError::Io {
                action: gettextrs::gettext("open"),
                path: path.to_owned(),
                source,
            },
        })?;
        if !root.is_dir() {
            return Err(ProjectError::NotAFolder { path: root });
        }
        check_location(&root, home)?;
        Ok(Project { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder's own name (for the mount point and the window).
    pub fn folder_name(&self) -> String {
        self.root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    pub fn names(&self) -> Names {
        Names::for_project(&self.root)
    }

    pub fn sandbox_dir(&self) -> PathBuf {
        self.root.join(SANDBOX_DIR)
    }

    pub fn definition_path(&self) -> PathBuf {
        self.sandbox_dir().join(DEFINITION_FILE)
    }

    pub fn has_definition(&self) -> bool {
        self.definition_path().is_file()
    }

    /// Refuses `.agent-sandbox` (and `file` in it) when it is a symbolic
    /// link: the folder is bind-mounted into the sandbox and its files go
    /// into the image, so a link planted in a project must not point them
    /// elsewhere (at `~/.ssh`, say).
    pub(crate) fn refuse_links(&self, file: Option<&str>) -> Result<(), ProjectError> {
        let dir = self.sandbox_dir();
        let paths = std::iter::once(dir.clone()).chain(file.map(|name| dir.join(name)));
        for path in paths {
            if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(ProjectError::Symlink { path });
            }
        }
        Ok(())
    }

    /// Reads and validates `.agent-sandbox/paddock.toml`.
    pub fn load_definition(&self, presets: &Presets) -> Result<Definition, ProjectError> {
        self.refuse_links(Some(DEFINITION_FILE))?;
        let file = self.definition_path();
        let text = std::fs::read_to_string(&file).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => ProjectError::NoDefinition {
                path: self.root.clone(),
            },
            _ => ProjectError::Io {
                action: gettextrs::gettext("read"),
                path: file.clone(),
                source,
            },
        })?;
        Definition::parse(&text, presets)
            .map_err(|errors| ProjectError::Definition { file, errors })
    }

    /// Writes `.agent-sandbox/paddock.toml` (whole or not at all), over
    /// what it holds: the user's comments and layout stay, only the
    /// changed keys are rewritten ([`Definition::to_toml_over`]). Every
    /// writer of the file goes through here.
    pub fn save_definition(&self, definition: &Definition) -> Result<(), ProjectError> {
        self.refuse_links(Some(DEFINITION_FILE))?;
        let path = self.definition_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(previous) => definition.to_toml_over(&previous),
            // None yet, or not text: written afresh, as the reset does.
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::InvalidData
                ) =>
            {
                definition.to_toml()
            }
            Err(error) => return Err(io("read", &path)(error)),
        };
        self.write_sandbox_file(DEFINITION_FILE, text.as_bytes(), 0o644)
    }

    /// Copies `paddock.toml` to the first free `paddock.toml.invalid`,
    /// `paddock.toml.invalid-2`, ... before it is replaced, so that resetting
    /// an invalid definition loses nothing. Returns the copy's path.
    pub fn set_aside_definition(&self) -> Result<PathBuf, ProjectError> {
        let text = self.read_sandbox_file(DEFINITION_FILE)?;
        let dir = self.sandbox_dir();
        let name = (1..)
            .map(|n| match n {
                1 => format!("{DEFINITION_FILE}.invalid"),
                n => format!("{DEFINITION_FILE}.invalid-{n}"),
            })
            .find(|name| std::fs::symlink_metadata(dir.join(name)).is_err())
            .unwrap_or_else(|| format!("{DEFINITION_FILE}.invalid"));
        self.write_sandbox_file(&name, text.as_bytes(), 0o644)?;
        Ok(dir.join(name))
    }

    /// A file of `.agent-sandbox/` as text.
    pub fn read_sandbox_file(&self, name: &str) -> Result<String, ProjectError> {
        self.refuse_links(Some(name))?;
        let path = self.sandbox_dir().join(name);
        std::fs::read_to_string(&path).map_err(io("read", &path))
    }

    /// Writes the generated files for `definition` into `.agent-sandbox/`
    /// and returns their names. A hand-written Containerfile is left alone.
    pub fn write_generated(
        &self,
        definition: &Definition,
        agent: &Preset,
    ) -> Result<Vec<&'static str>, ProjectError> {
        let mut written = Vec::new();
        for (name, contents) in generated_files(self, definition, agent) {
            let mode = if name == ENTRYPOINT { 0o755 } else { 0o644 };
            self.write_sandbox_file(name, contents.as_bytes(), mode)?;
            written.push(name);
        }
        Ok(written)
    }

    /// Writes to a temporary file next to the target and renames it over, so
    /// a crash or a full disk never leaves a half-written file.
    fn write_sandbox_file(
        &self,
        name: &str,
        contents: &[u8],
        mode: u32,
    ) -> Result<(), ProjectError> {
        use std::os::unix::fs::PermissionsExt;
        self.refuse_links(None)?;
        let dir = self.sandbox_dir();
        std::fs::create_dir_all(&dir).map_err(io("create", &dir))?;
        let target = dir.join(name);
        let temp = dir.join(format!(".{name}.paddock-{}.tmp", std::process::id()));
        let result = (|| {
            // A file planted under the temporary name is replaced, never
            // written through (create_new does not follow links).
            let _ = std::fs::remove_file(&temp);
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp)?;
            file.write_all(contents)?;
            file.set_permissions(std::fs::Permissions::from_mode(mode))?;
            file.sync_all()?;
            std::fs::rename(&temp, &target)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result.map_err(io("write", &target))
    }
}

/// The agent user's home inside the image.
pub fn user_home(definition: &Definition) -> String {
    match (&definition.image.containerfile, &definition.image.user_home) {
        (Some(_), Some(home)) => home.trim_end_matches('/').to_owned(),
        _ => render::USER_HOME.to_owned(),
    }
}

/// The generated files for a definition, by name: the Containerfile (unless
/// the definition has its own), the entrypoint and the compose file. They
/// are for podman-compose on whatever host the project goes to, so the
/// Containerfile sizes a microVM in the image too ([`VmSizing::ImageFile`]),
/// which every crun with krun reads; Paddock's own builds render it for this
/// host ([`crate::plan::plan`]).
pub fn generated_files(
    project: &Project,
    definition: &Definition,
    agent: &Preset,
) -> Vec<(&'static str, String)> {
    let mount = definition.mount_point(&project.folder_name());
    let mut files = Vec::new();
    if definition.image.containerfile.is_none() {
        files.push((
            CONTAINERFILE,
            render::containerfile(definition, agent, &mount, VmSizing::ImageFile),
        ));
    }
    files.push((ENTRYPOINT, render::entrypoint(agent)));
    let containerfile = definition
        .image
        .containerfile
        .as_deref()
        .unwrap_or(CONTAINERFILE);
    files.push((
        COMPOSE,
        render::compose(
            definition,
            agent,
            &mount,
            &user_home(definition),
            containerfile,
            &project.names(),
        ),
    ));
    files
}

/// The places in the home folder that hold what other programs run or
/// trust, or credentials: never a project, never a mount, nor anything in
/// or around them. With what each holds, for the refusal.
/// `$XDG_CONFIG_HOME`, `$XDG_DATA_HOME` and `$XDG_CACHE_HOME` count as
/// well, where they are set elsewhere.
fn private_places(home: &Path) -> Vec<(PathBuf, String)> {
    use gettextrs::gettext;
    let in_home = [
        (
            ".config",
            gettext(
                "the settings of the programs you run, podman's containers.conf and your browsers' profiles among them",
            ),
        ),
        (
            ".local/share",
            gettext("podman's storage and secrets, Paddock's own approvals and your keyrings"),
        ),
        (".local/bin", gettext("programs you run")),
        (
            ".cache",
            gettext("the caches of the programs you run, which they trust"),
        ),
        (".aws", gettext("your AWS credentials")),
        (".kube", gettext("your Kubernetes credentials")),
        (".docker", gettext("your container registry credentials")),
        (".netrc", gettext("passwords for servers you log in to")),
        (".git-credentials", gettext("your git passwords and tokens")),
        (".password-store", gettext("your password store")),
        (
            ".mozilla",
            gettext("your Firefox profiles: passwords, cookies, history"),
        ),
        (
            ".var/app",
            gettext("the data of your Flatpak apps, browser profiles among them"),
        ),
    ];
    let mut places: Vec<(PathBuf, String)> = in_home
        .iter()
        .map(|(relative, what)| (home.join(relative), what.clone()))
        .collect();
    for (variable, like) in [
        ("XDG_CONFIG_HOME", 0),
        ("XDG_DATA_HOME", 1),
        ("XDG_CACHE_HOME", 3),
    ] {
        if let Some(dir) = std::env::var_os(variable).map(PathBuf::from)
            && dir.is_absolute()
        {
            places.push((dir, in_home[like].1.clone()));
        }
    }
    places
}

/// Refuses the places that must never be a project (nor be mounted into
/// a sandbox). `root` is absolute with symlinks resolved; so is `home` as
/// far as it exists.
pub fn check_location(root: &Path, home: &Path) -> Result<(), ProjectError> {
    let home_resolved = std::fs::canonicalize(home).unwrap_or_else(|_| home.to_owned());
    let path = || root.to_owned();
    if root.parent().is_none() {
        return Err(ProjectError::Root);
    }
    for h in [home, home_resolved.as_path()] {
        if root == h {
            return Err(ProjectError::Home { path: path() });
        }
    }
    for h in [home, home_resolved.as_path()] {
        if h.starts_with(root) {
            return Err(ProjectError::ContainsHome { path: path() });
        }
    }
    type Refusal = fn(PathBuf, PathBuf) -> ProjectError;
    let secrets: [(&str, Refusal); 3] = [
        (".ssh", |path, secret| ProjectError::SshKeys {
            path,
            secret,
        }),
        (".gnupg", |path, secret| ProjectError::GnupgKeys {
            path,
            secret,
        }),
        (".local/share/keyrings", |path, secret| {
            ProjectError::Keyrings { path, secret }
        }),
    ];
    for (relative, refusal) in secrets {
        let secret = home.join(relative);
        let mut candidates = vec![secret.clone(), home_resolved.join(relative)];
        if let Ok(resolved) = std::fs::canonicalize(&secret) {
            candidates.push(resolved);
        }
        if candidates
            .iter()
            .any(|s| s.starts_with(root) || root.starts_with(s))
        {
            return Err(refusal(path(), secret));
        }
    }
    for (place, what) in private_places(home) {
        let mut candidates = vec![place.clone()];
        if let Ok(relative) = place.strip_prefix(home) {
            candidates.push(home_resolved.join(relative));
        }
        if let Ok(resolved) = std::fs::canonicalize(&place) {
            candidates.push(resolved);
        }
        if candidates
            .iter()
            .any(|p| p.starts_with(root) || root.starts_with(p))
        {
            return Err(ProjectError::PrivatePlace {
                path: path(),
                place,
                what,
            });
        }
    }
    let inside_home = root.starts_with(home) || root.starts_with(&home_resolved);
    if inside_home {
        return Ok(());
    }
    let system = |folder: &str| ProjectError::SystemFolder {
        path: path(),
        folder: folder.to_owned(),
    };
    if let Some(folder) = SYSTEM_FOLDERS.iter().find(|f| root == Path::new(f)) {
        return Err(system(folder));
    }
    if let Some(Component::Normal(top)) = root.components().nth(1) {
        let top = format!("/{}", top.to_string_lossy());
        if top.starts_with("/lib") {
            return Err(system(&top));
        }
        if let Some(tree) = SYSTEM_TREES.iter().find(|t| **t == top) {
            let allowed = *tree == "/var"
                && VAR_ALLOWED
                    .iter()
                    .any(|a| root.starts_with(a) && root != Path::new(a));
            if !allowed {
                return Err(system(tree));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(root: &str, home: &str) -> Option<ProjectError> {
        check_location(Path::new(root), Path::new(home)).err()
    }

    #[test]
    fn each_refused_place_has_its_own_reason() {
        let home = "/nonexistent-home/alice";
        assert!(matches!(refused("/", home), Some(ProjectError::Root)));
        assert!(matches!(
            refused(home, home),
            Some(ProjectError::Home { .. })
        ));
        assert!(matches!(
            refused("/nonexistent-home", home),
            Some(ProjectError::ContainsHome { .. })
        ));
        assert!(matches!(
            refused("/nonexistent-home/alice/.ssh", home),
            Some(ProjectError::SshKeys { .. })
        ));
        assert!(matches!(
            refused("/nonexistent-home/alice/.gnupg/private", home),
            Some(ProjectError::GnupgKeys { .. })
        ));
        assert!(matches!(
            refused("/nonexistent-home/alice/.local", home),
            Some(ProjectError::Keyrings { .. })
        ));
        for private in [
            ".config",
            ".config/containers",
            ".config/google-chrome/Default",
            ".local/share/paddock/approvals",
            ".local/share/containers/storage",
            ".local/bin",
            ".cache",
            ".aws",
            ".kube",
            ".docker",
            ".netrc",
            ".git-credentials",
            ".password-store",
            ".mozilla",
            ".var/app/org.chromium.Chromium",
        ] {
            let place = format!("{home}/{private}");
            let refusal = refused(&place, home);
            assert!(
                matches!(refusal, Some(ProjectError::PrivatePlace { .. })),
                "{private}: {refusal:?}"
            );
            let message = refusal.map(|e| e.to_string()).unwrap_or_default();
            assert!(message.contains("which holds"), "{message}");
        }
        // The folder holding the keyrings is refused for them first.
        assert!(refused("/nonexistent-home/alice/.local/share", home).is_some());
        assert!(refused("/nonexistent-home/alice/src/app", home).is_none());
        for system in [
            "/etc",
            "/usr/src/linux",
            "/var/lib/x",
            "/boot",
            "/proc/1",
            "/sys",
            "/dev",
            "/run/user/1000",
            "/bin",
            "/sbin",
            "/lib64",
            "/opt",
            "/root/x",
            "/srv",
            "/tmp",
        ] {
            assert!(
                matches!(
                    refused(system, home),
                    Some(ProjectError::SystemFolder { .. })
                ),
                "{system}"
            );
        }
    }

    #[test]
    fn ordinary_places_are_fine() {
        let home = "/var/home/alice";
        for ok in [
            "/var/home/alice/src/app",
            "/tmp/scratch",
            "/var/tmp/x",
            "/opt/work/app",
            "/mnt/data/app",
            "/srv/git/app",
        ] {
            assert!(refused(ok, home).is_none(), "{ok}");
        }
    }

    #[test]
    fn each_message_is_distinct() {
        let home = "/nonexistent-home/alice";
        let messages: Vec<String> = [
            "/",
            home,
            "/nonexistent-home",
            "/nonexistent-home/alice/.ssh",
            "/nonexistent-home/alice/.gnupg",
            "/nonexistent-home/alice/.local/share",
            "/etc",
        ]
        .iter()
        .map(|p| {
            refused(p, home)
                .map(|e| e.to_string().replace(p, "PATH"))
                .unwrap_or_default()
        })
        .collect();
        let unique: std::collections::BTreeSet<&String> = messages.iter().collect();
        assert_eq!(unique.len(), messages.len(), "{messages:#?}");
    }
}
