//! API keys in the user's keyring: the Secret Service on the desktop (GNOME
//! Keyring, KWallet), or oo7's encrypted file inside Flatpak. Each key is one
//! item found by its attributes: `application=paddock`, `variable=NAME` and,
//! for a key meant for one project only, `project=<its folder>`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use sandbox::messages::tr;
use sandbox::secret::{self, SecretValue, SecretVars};

const APPLICATION: &str = "paddock";
/// Lets keyring browsers (Seahorse) group Paddock's items.
const SCHEMA: &str = "io.github.paddockapp.Paddock.ApiKey";

/// Which projects a stored key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Every project (the default).
    Everywhere,
    /// Only this project folder (absolute, symbolic links resolved); it wins
    /// over a key of the same name stored for every project.
    Project(&'a Path),
}

/// A stored key, by name: its value is never listed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StoredKey {
    pub name: String,
    pub project: Option<PathBuf>,
}

#[derive(Debug)]
pub enum SecretsError {
    Unavailable { detail: String },
    Locked,
    Keyring { detail: String },
    BadName(String),
    Empty { name: String },
}

impl std::error::Error for SecretsError {}

// Written out rather than in `#[error]` attributes: xgettext reads the
// source as C, where a line starting with `#` is a preprocessor line and its
// strings would never reach the translators.
impl std::fmt::Display for SecretsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            SecretsError::Unavailable { detail } => tr(
                "Your keyring cannot be reached ({detail}). Paddock keeps API keys in the Secret Service: start GNOME Keyring (or another Secret Service provider) in your session and try again.",
                &[("detail", detail)],
            ),
            SecretsError::Locked => tr(
                "Your keyring stayed locked, so no key was read or stored. Unlock it when asked and try again.",
                &[],
            ),
            SecretsError::Keyring { detail } => {
                tr("The keyring refused: {detail}", &[("detail", detail)])
            }
            SecretsError::BadName(message) => message.clone(),
            SecretsError::Empty { name } => tr(
                "An empty value is not stored; to remove the key, run: paddock secret rm {name}",
                &[("name", name)],
            ),
        };
        f.write_str(&text)
    }
}

/// The user's keyring, unlocked.
pub struct Keyring {
    keyring: oo7::Keyring,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring")
    }
}

impl Keyring {
    /// Connects to the keyring and unlocks it if it is locked (the desktop
    /// asks the user for the password).
    pub async fn open() -> Result<Keyring, SecretsError> {
        let keyring = oo7::Keyring::new()
            .await
            .map_err(|err| SecretsError::Unavailable {
                detail: err.to_string(),
            })?;
        if keyring.is_locked().await.map_err(keyring_error)? {
            keyring.unlock().await.map_err(keyring_error)?;
        }
        Ok(Keyring { keyring })
    }

    /// Stores `value` for the variable `name`, replacing what was stored for
    /// the same scope.
    pub async fn store(
        &self,
        name: &str,
        scope: Scope<'_>,
        value: &SecretValue,
    ) -> Result<(), SecretsError> {
        secret::check_name(name).map_err(SecretsError::BadName)?;
        if value.as_bytes().is_empty() {
            return Err(SecretsError::Empty {
                name: name.to_owned(),
            });
        }
        let label = match scope {
            Scope::Everywhere => tr("Paddock API key {name}", &[("name", &name)]),
            Scope::Project(folder) => tr(
                "Paddock API key {name} for {project}",
                &[("name", &name), ("project", &folder.display())],
            ),
        };
        let secret = match std::str::from_utf8(value.as_bytes()) {
            Ok(text) => oo7::Secret::text(text),
            Err(_) => oo7::Secret::blob(value.as_bytes()),
        };
        self.keyring
            .create_item(&label, &attributes(name, scope), secret, true)
            .await
            .map_err(keyring_error)
    }

    /// The stored values of `names` for a sandbox of `project`: a key stored
    /// for that project wins over one stored for every project. Names with
    /// nothing stored are left out.
    pub async fn lookup(
        &self,
        names: &[&str],
        project: &Path,
    ) -> Result<BTreeMap<String, SecretValue>, SecretsError> {
        let mut values = BTreeMap::new();
        for name in names {
            for scope in [Scope::Project(project), Scope::Everywhere] {
                if let Some(value) = self.get(name, scope).await? {
                    values.insert((*name).to_owned(), value);
                    break;
                }
            }
        }
        Ok(values)
    }

    /// Which of `names` have a value stored for a sandbox of `project`,
    /// without reading any value.
    pub async fn stored(
        &self,
        names: &[&str],
        project: &Path,
    ) -> Result<BTreeSet<String>, SecretsError> {
        let mut stored = BTreeSet::new();
        for name in names {
            for scope in [Scope::Project(project), Scope::Everywhere] {
                if !self.items(name, scope).await?.is_empty() {
                    stored.insert((*name).to_owned());
                    break;
                }
            }
        }
        Ok(stored)
    }

    async fn get(&self, name: &str, scope: Scope<'_>) -> Result<Option<SecretValue>, SecretsError> {
        match self.items(name, scope).await?.first() {
            Some(item) => {
                let secret = item.secret().await.map_err(keyring_error)?;
                Ok(Some(SecretValue::new(secret.as_bytes())))
            }
            None => Ok(None),
        }
    }

    /// Paddock's items for `name` in exactly `scope` (a search by attributes
    /// also finds items with more of them, so project items are filtered out
    /// of the search for keys stored for every project).
    async fn items(&self, name: &str, scope: Scope<'_>) -> Result<Vec<oo7::Item>, SecretsError> {
        let found = self
            .keyring
            .search_items(&attributes(name, scope))
            .await
            .map_err(keyring_error)?;
        let mut items = Vec::new();
        for item in found {
            let attributes = item.attributes().await.map_err(keyring_error)?;
            if scope == Scope::Everywhere && attributes.contains_key("project") {
                continue;
            }
            items.push(item);
        }
        Ok(items)
    }

    /// Every key Paddock stored, sorted by name; values are not read.
    pub async fn list(&self) -> Result<Vec<StoredKey>, SecretsError> {
        let found = self
            .keyring
            .search_items(&HashMap::from([("application", APPLICATION)]))
            .await
            .map_err(keyring_error)?;
        let mut keys = Vec::new();
        for item in found {
            let attributes = item.attributes().await.map_err(keyring_error)?;
            if let Some(name) = attributes.get("variable") {
                keys.push(StoredKey {
                    name: name.clone(),
                    project: attributes.get("project").map(PathBuf::from),
                });
            }
        }
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    /// Removes the key for `name` in `scope`; false when none was stored.
    pub async fn remove(&self, name: &str, scope: Scope<'_>) -> Result<bool, SecretsError> {
        let items = self.items(name, scope).await?;
        let removed = !items.is_empty();
        for item in items {
            item.delete().await.map_err(keyring_error)?;
        }
        Ok(removed)
    }
}

/// The stored values of a sandbox's secret variables, for starting it;
/// without any variable the keyring is not even opened.
pub async fn values_for(
    vars: &SecretVars,
    project: &Path,
) -> Result<BTreeMap<String, SecretValue>, SecretsError> {
    let names = vars.names();
    if names.is_empty() {
        return Ok(BTreeMap::new());
    }
    Keyring::open().await?.lookup(&names, project).await
}

fn attributes<'a>(name: &'a str, scope: Scope<'a>) -> HashMap<&'a str, String> {
    let mut attributes = HashMap::from([
        ("xdg:schema", SCHEMA.to_owned()),
        ("application", APPLICATION.to_owned()),
        ("variable", name.to_owned()),
    ]);
    if let Scope::Project(folder) = scope {
        attributes.insert("project", folder.to_string_lossy().into_owned());
    }
    attributes
}

fn keyring_error(err: oo7::Error) -> SecretsError {
    match err {
        oo7::Error::DBus(oo7::dbus::Error::Dismissed) => SecretsError::Locked,
        oo7::Error::File(oo7::file::Error::Locked) => SecretsError::Locked,
        oo7::Error::DBus(oo7::dbus::Error::ZBus(err)) => SecretsError::Unavailable {
            detail: err.to_string(),
        },
        other => SecretsError::Keyring {
            detail: other.to_string(),
        },
    }
}
