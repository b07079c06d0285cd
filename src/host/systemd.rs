//! systemd's user manager over D-Bus: is a user unit active, and enabling and
//! starting one (what `systemctl --user enable --now UNIT` does).

use std::fmt;

use gettextrs::gettext;
use zbus::proxy::CacheProperties;
use zbus::zvariant::OwnedObjectPath;

/// The user unit that makes podman's API socket listen.
pub const PODMAN_SOCKET_UNIT: &str = "podman.socket";

#[zbus::proxy(
    interface = "org.freedesktop.systemd1.Manager",
    default_service = "org.freedesktop.systemd1",
    default_path = "/org/freedesktop/systemd1",
    gen_blocking = false
)]
trait Manager {
    fn load_unit(&self, name: &str) -> zbus::Result<OwnedObjectPath>;
    #[allow(clippy::type_complexity)]
    fn enable_unit_files(
        &self,
        files: &[&str],
        runtime: bool,
        force: bool,
    ) -> zbus::Result<(bool, Vec<(String, String, String)>)>;
    fn reload(&self) -> zbus::Result<()>;
    fn start_unit(&self, name: &str, mode: &str) -> zbus::Result<OwnedObjectPath>;
}

#[zbus::proxy(
    interface = "org.freedesktop.systemd1.Unit",
    default_service = "org.freedesktop.systemd1",
    gen_blocking = false
)]
trait Unit {
    #[zbus(property)]
    fn active_state(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn load_state(&self) -> zbus::Result<String>;
}

/// What systemd says about a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitState {
    Active,
    /// Installed but not running; systemd's word for it ("inactive", "failed", …).
    Inactive(String),
    /// systemd knows no such unit.
    NotFound,
}

/// systemd's user manager did not answer, or refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    doing: String,
    detail: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}",
            gettext("systemd's user manager could not {doing}: {detail}")
                .replace("{doing}", &self.doing)
                .replace("{detail}", &self.detail)
        )
    }
}

impl std::error::Error for Error {}

/// systemd's user manager, reached on the user's session bus.
#[derive(Debug, Clone)]
pub struct UserManager {
    bus: zbus::Connection,
}

impl UserManager {
    pub fn new(bus: zbus::Connection) -> UserManager {
        UserManager { bus }
    }

    pub async fn unit_state(&self, unit: &str) -> Result<UnitState, Error> {
        let failed = |err: zbus::Error| Error {
            doing: gettext("look up {unit}").replace("{unit}", unit),
            detail: err.to_string(),
        };
        let manager = ManagerProxy::new(&self.bus).await.map_err(failed)?;
        let path = manager.load_unit(unit).await.map_err(failed)?;
        let unit = UnitProxy::builder(&self.bus)
            .path(path)
            .map_err(failed)?
            .cache_properties(CacheProperties::No)
            .build()
            .await
            .map_err(failed)?;
        if unit.load_state().await.map_err(failed)? == "not-found" {
            return Ok(UnitState::NotFound);
        }
        let active = unit.active_state().await.map_err(failed)?;
        Ok(if active == "active" {
            UnitState::Active
        } else {
            UnitState::Inactive(active)
        })
    }

    /// Enables `unit` (so that it starts with the next login too), reloads the
    /// manager so that it sees the change, and starts it now.
    pub async fn enable_and_start(&self, unit: &str) -> Result<(), Error> {
        let failed = |doing: String| {
            move |err: zbus::Error| Error {
                doing,
                detail: err.to_string(),
            }
        };
        let enable = gettext("enable {unit}").replace("{unit}", unit);
        let manager = ManagerProxy::new(&self.bus)
            .await
            .map_err(failed(enable.clone()))?;
        manager
            .enable_unit_files(&[unit], false, false)
            .await
            .map_err(failed(enable.clone()))?;
        manager.reload().await.map_err(failed(enable))?;
        manager
            .start_unit(unit, "replace")
            .await
            .map_err(failed(gettext("start {unit}").replace("{unit}", unit)))?;
        Ok(())
    }
}
