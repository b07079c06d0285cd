//! Connecting to the dev environment's rootless podman service and reading
//! what it says about the host.

use engine::Engine;
use support::podman::podman;

#[tokio::test]
async fn connect_ping_version_and_info_match_the_podman_cli() {
    let engine = Engine::connect()
        .await
        .expect("the dev environment's podman answers");
    engine.ping().await.unwrap();

    let (_, server_version) = podman(&["version", "--format", "{{.Server.Version}}"]);

    let info = engine.info().await.unwrap();
    let (_, runtime) = podman(&["info", "--format", "{{.Host.OCIRuntime.Name}}"]);
    let (_, runtime_version) = podman(&["info", "--format", "{{.Host.OCIRuntime.Version}}"]);
    let (_, cgroups) = podman(&["info", "--format", "{{.Host.CgroupsVersion}}"]);
    let (_, kernel) = podman(&["info", "--format", "{{.Host.Kernel}}"]);
    assert_eq!(info.podman_version, server_version.trim());
    assert!(info.rootless, "the dev environment's podman is rootless");
    assert_eq!(info.runtime_name, runtime.trim());
    assert!(!info.runtime_path.is_empty());
    assert_eq!(info.runtime_version.trim(), runtime_version.trim());
    assert_eq!(info.krun_available, runtime_version.contains("+LIBKRUN"));
    assert_eq!(info.cgroups_version, cgroups.trim());
    assert_eq!(info.kernel, kernel.trim());
    if info.runtime_name == "crun" {
        let crun = info.crun_version.expect("crun's version is parsed");
        assert!(runtime_version.contains(&format!("crun version {crun}")));
    }
}
