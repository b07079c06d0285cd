//! Resolving document-portal paths to host paths.
//!
//! The real xdg-document-portal cannot run here: it needs FUSE, and /dev/fuse
//! is root's on these machines ("fuse: failed to open /dev/fuse: Permission
//! denied"). So the portal's mount is a FUSE-free test folder laid out the
//! same way (`<mount>/<doc id>/<name>`), carrying the same
//! `user.document-portal.host-path` attribute the portal sets, and the D-Bus
//! lookup (GetHostPaths) is answered by a Documents portal double on a private
//! session bus.

use std::path::Path;

use host::document_portal::{DocumentPortal, FolderError, HOST_PATH_XATTR};
use support::bus::PrivateBus;
use support::doubles::Double;

use crate::connect;

fn set_host_path(path: &Path, host: &Path) {
    rustix::fs::setxattr(
        path,
        HOST_PATH_XATTR,
        host.as_os_str().as_encoded_bytes(),
        rustix::fs::XattrFlags::empty(),
    )
    .expect("the test folder's file system takes user.* attributes");
}

#[tokio::test]
async fn fuse_free_folder_with_the_portal_attribute_resolves_to_the_host_path() {
    let bus = PrivateBus::start();
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("doc");
    let exported = mount.join("a1b2c3d4").join("project");
    std::fs::create_dir_all(exported.join("src")).unwrap();
    let host = dir.path().join("home/user/project");
    set_host_path(&exported, &host);
    set_host_path(&exported.join("src"), &host.join("src"));

    let portal = DocumentPortal::at(&mount).with_bus(connect(&bus).await);
    assert_eq!(portal.resolve_folder(&exported).await.unwrap(), host);
    assert_eq!(
        portal.resolve_folder(&exported.join("src")).await.unwrap(),
        host.join("src")
    );
}

#[tokio::test]
async fn without_attribute_the_documents_portal_double_gives_the_host_path() {
    let bus = PrivateBus::start();
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("doc");
    let exported = mount.join("Xy9").join("project");
    std::fs::create_dir_all(exported.join("sub")).unwrap();
    let _double = Double::documents_portal(
        &bus,
        serde_json::json!({"documents": {"Xy9": "/home/user/code/project"}}),
    );

    let portal = DocumentPortal::at(&mount).with_bus(connect(&bus).await);
    assert_eq!(
        portal.resolve_folder(&exported).await.unwrap(),
        Path::new("/home/user/code/project")
    );
    assert_eq!(
        portal.resolve_folder(&exported.join("sub")).await.unwrap(),
        Path::new("/home/user/code/project/sub")
    );
    // A document the portal does not know is refused, not guessed.
    let unknown = mount.join("Zz0").join("other");
    std::fs::create_dir_all(&unknown).unwrap();
    let err = portal.resolve_folder(&unknown).await.unwrap_err();
    assert!(matches!(err, FolderError::Unresolved { .. }), "{err:?}");
}

#[tokio::test]
async fn a_portal_path_nobody_can_resolve_is_refused_with_what_to_do() {
    let bus = PrivateBus::start();
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("doc");
    let exported = mount.join("q7").join("project");
    std::fs::create_dir_all(&exported).unwrap();

    let portal = DocumentPortal::at(&mount).with_bus(connect(&bus).await);
    let err = portal.resolve_folder(&exported).await.unwrap_err();
    assert!(matches!(err, FolderError::Unresolved { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&exported.display().to_string()),
        "{message}"
    );
    assert!(message.contains(HOST_PATH_XATTR), "{message}");
    assert!(message.contains("folder chooser"), "{message}");

    let err = portal.resolve_folder(&mount).await.unwrap_err();
    assert!(matches!(err, FolderError::Unresolved { .. }), "{err:?}");
}

#[tokio::test]
async fn ordinary_folders_pass_unchanged_and_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("doc");
    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let file = project.join("README");
    std::fs::write(&file, b"hello").unwrap();

    let portal = DocumentPortal::at(&mount);
    assert_eq!(portal.resolve_folder(&project).await.unwrap(), project);
    for bad in [file, dir.path().join("gone"), "relative".into()] {
        let err = portal.resolve_folder(&bad).await.unwrap_err();
        assert!(matches!(err, FolderError::NotAFolder { .. }), "{err:?}");
    }
}
