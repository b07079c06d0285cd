//! Folders that arrive through the file chooser portal or a drop can be
//! document-portal paths (`/run/user/UID/doc/<id>/<name>`, always so inside a
//! Flatpak). podman runs outside Paddock and must get the real host path, so
//! every incoming folder goes through [`resolve_folder`] first.

use std::ffi::OsString;
use std::fmt;
use std::os::unix::ffi::OsStringExt;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use gettextrs::gettext;

/// The extended attribute the document portal puts on its files: the host path.
pub const HOST_PATH_XATTR: &str = "user.document-portal.host-path";

/// How long the Documents portal gets to answer.
const PORTAL_TIMEOUT: Duration = Duration::from_secs(5);

/// An incoming folder that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderError {
    /// Not an existing folder (a file, or gone).
    NotAFolder { path: PathBuf, detail: String },
    /// A document-portal path whose host path neither the portal nor the
    /// file's attribute gives.
    Unresolved { path: PathBuf, detail: String },
}

impl fmt::Display for FolderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            FolderError::NotAFolder { path, detail } => {
                gettext("{path} is not a folder Paddock can use ({detail}). Choose the project's folder.")
                    .replace("{path}", &path.display().to_string())
                    .replace("{detail}", detail)
            }
            FolderError::Unresolved { path, detail } => gettext(
                "{path} is a copy shared by the document portal, and its real location could not be found out ({detail}). Paddock needs the real folder to give it to podman: add the folder again through the folder chooser, or type its path.",
            )
            .replace("{path}", &path.display().to_string())
            .replace("{detail}", detail),
        };
        f.write_str(&text)
    }
}

impl std::error::Error for FolderError {}

/// Resolves folders against the document portal.
#[derive(Debug, Clone)]
pub struct DocumentPortal {
    mounts: Vec<PathBuf>,
    bus: Option<zbus::Connection>,
}

impl DocumentPortal {
    /// The portal's mounts on this system (`$XDG_RUNTIME_DIR/doc`, and
    /// `/run/flatpak/doc` as seen inside a Flatpak), on the session bus.
    pub fn from_env() -> DocumentPortal {
        let runtime_dir = std::env::var_os("XDG_RUNTIME_DIR")
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(format!("/run/user/{}", rustix::process::getuid().as_raw()))
            });
        DocumentPortal {
            mounts: vec![runtime_dir.join("doc"), PathBuf::from("/run/flatpak/doc")],
            bus: None,
        }
    }

    /// A portal mounted at `mount` (tests use a plain folder).
    pub fn at(mount: impl Into<PathBuf>) -> DocumentPortal {
        DocumentPortal {
            mounts: vec![mount.into()],
            bus: None,
        }
    }

    /// Asks the Documents portal on `bus` instead of the session bus.
    pub fn with_bus(mut self, bus: zbus::Connection) -> DocumentPortal {
        self.bus = Some(bus);
        self
    }

    /// The host path of the folder at `path`: `path` itself unless it is inside
    /// the document portal, else the real folder behind it.
    pub async fn resolve_folder(&self, path: &Path) -> Result<PathBuf, FolderError> {
        let not_a_folder = |detail: String| FolderError::NotAFolder {
            path: path.to_owned(),
            detail,
        };
        if !path.is_absolute() {
            return Err(not_a_folder(gettext("not an absolute path")));
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(not_a_folder(gettext("it is a file"))),
            Err(err) => return Err(not_a_folder(err.to_string())),
        }
        let Some(inside) = self
            .mounts
            .iter()
            .find_map(|mount| path.strip_prefix(mount).ok())
        else {
            return Ok(path.to_owned());
        };
        let unresolved = |detail: String| FolderError::Unresolved {
            path: path.to_owned(),
            detail,
        };
        // <id>/<name>/<rest…>: the portal exports <name> under a document id.
        let parts: Vec<&std::ffi::OsStr> = inside
            .components()
            .map(|part| match part {
                Component::Normal(part) => Ok(part),
                _ => Err(()),
            })
            .collect::<Result<_, _>>()
            .map_err(|()| unresolved(gettext("the path is not in normal form")))?;
        let [id, _name, rest @ ..] = parts.as_slice() else {
            return Err(unresolved(gettext(
                "it is the document portal's own folder, not a shared one",
            )));
        };
        let from_attribute = match host_path_attribute(path) {
            Ok(host) => return Ok(host),
            Err(detail) => detail,
        };
        let id = id.to_string_lossy();
        let from_portal = match self.host_path_from_portal(&id).await {
            Ok(host) => return Ok(rest.iter().fold(host, |host, part| host.join(part))),
            Err(detail) => detail,
        };
        Err(unresolved(format!("{from_attribute}; {from_portal}")))
    }

    /// GetHostPaths of org.freedesktop.portal.Documents (version 5 and later).
    async fn host_path_from_portal(&self, id: &str) -> Result<PathBuf, String> {
        let ask = async {
            let bus = match &self.bus {
                Some(bus) => bus.clone(),
                None => zbus::Connection::session()
                    .await
                    .map_err(|err| err.to_string())?,
            };
            let portal = ashpd::documents::Documents::with_connection(bus)
                .await
                .map_err(|err| err.to_string())?;
            let id = ashpd::documents::DocumentID::from(id);
            let paths = portal
                .host_paths(std::slice::from_ref(&id))
                .await
                .map_err(|err| err.to_string())?;
            paths
                .get(&id)
                .map(|path| path.as_ref().to_owned())
                .filter(|path: &PathBuf| path.is_absolute())
                .ok_or_else(|| gettext("the portal knows no document {id}").replace("{id}", &id))
        };
        let answer = tokio::time::timeout(PORTAL_TIMEOUT, ask)
            .await
            .unwrap_or_else(|_| Err(gettext("no answer on the session bus")));
        answer.map_err(|detail| {
            gettext("the Documents portal: {detail}").replace("{detail}", &detail)
        })
    }
}

/// The portal's host-path attribute on `path`.
fn host_path_attribute(path: &Path) -> Result<PathBuf, String> {
    let mut buffer = vec![0u8; 4096];
    let read = rustix::fs::getxattr(path, HOST_PATH_XATTR, &mut buffer[..]).map_err(|err| {
        gettext("no {attribute} attribute ({error})")
            .replace("{attribute}", HOST_PATH_XATTR)
            .replace(
                "{error}",
                &sandbox::messages::os_error(&std::io::Error::from(err)),
            )
    })?;
    buffer.truncate(read);
    // The portal writes a C string; the trailing NUL is not part of the path.
    while buffer.last() == Some(&0) {
        buffer.pop();
    }
    let host = PathBuf::from(OsString::from_vec(buffer));
    if host.is_absolute() {
        Ok(host)
    } else {
        Err(gettext("the {attribute} attribute holds no absolute path")
            .replace("{attribute}", HOST_PATH_XATTR))
    }
}

/// Resolves `path` against the document portal of this session; the GUI calls
/// this for every folder that is dropped or picked.
pub async fn resolve_folder(path: &Path) -> Result<PathBuf, FolderError> {
    DocumentPortal::from_env().resolve_folder(path).await
}
