//! Starting podman's socket through systemd's user manager, against a test
//! double of the manager (python-dbusmock) on a private session bus: there is
//! no systemd in the dev environment. `paddock doctor --fix` doing it:
//! tests/cli/doctor.rs.

use host::systemd::{PODMAN_SOCKET_UNIT, UnitState, UserManager};
use support::bus::PrivateBus;
use support::doubles::Double;

use crate::connect;

#[tokio::test]
async fn user_manager_reads_enables_and_starts_units_on_the_systemd_double() {
    let bus = PrivateBus::start();
    let double = Double::systemd_user(
        &bus,
        serde_json::json!({"units": {"podman.socket": "inactive"}}),
    );
    let manager = UserManager::new(connect(&bus).await);

    assert_eq!(
        manager.unit_state(PODMAN_SOCKET_UNIT).await.unwrap(),
        UnitState::Inactive("inactive".into())
    );
    assert_eq!(
        manager.unit_state("no-such.socket").await.unwrap(),
        UnitState::NotFound
    );
    manager.enable_and_start(PODMAN_SOCKET_UNIT).await.unwrap();
    assert_eq!(
        manager.unit_state(PODMAN_SOCKET_UNIT).await.unwrap(),
        UnitState::Active
    );
    let calls = double.listed_calls();
    let made: Vec<&str> = calls
        .iter()
        .map(String::as_str)
        .filter(|call| !call.starts_with("LoadUnit"))
        .collect();
    assert_eq!(
        made,
        [
            "EnableUnitFiles podman.socket",
            "Reload",
            "StartUnit podman.socket"
        ]
    );

    let err = manager
        .enable_and_start("no-such.socket")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no-such.socket"), "{err}");
}
