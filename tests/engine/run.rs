//! Running sandboxes through the engine against the real podman service,
//! with plans made by hand (the engine knows nothing of paddock.toml).

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use engine::{Change, Engine, Error, INSTALL_KRUN, Output};
use sandbox::names::LABEL_SANDBOX;
use sandbox::plan::{Isolation, VolumeMount};
use sandbox::secret::{KEYS_IN_SANDBOX, SecretValue};
use support::podman::{ContainerGuard, podman};
use support::{machine, unique};

use crate::plans::{Fixture, container_plan, read_all, run_to_end, test_image};

#[tokio::test(flavor = "multi_thread")]
async fn files_written_inside_are_the_users_and_agent_sandbox_is_read_only() {
    let fixture = Fixture::new("owner").await;
    let engine = &fixture.engine;
    let plan = fixture.plan(&[
        "sh",
        "-c",
        "echo from-the-sandbox > /work/written.txt; \
             echo evil > /work/.agent-sandbox/paddock.toml; echo agent-sandbox-rc=$?",
    ]);
    let (code, out, err) = run_to_end(engine, &plan).await;
    assert_eq!(code, 0, "{out}{err}");
    let written = fixture.project.path().join("written.txt");
    assert_eq!(
        std::fs::read_to_string(&written).unwrap(),
        "from-the-sandbox\n"
    );
    let meta = std::fs::metadata(&written).unwrap();
    assert_eq!(meta.uid(), machine::uid());
    assert_eq!(meta.gid(), machine::gid());
    assert!(
        out.contains("agent-sandbox-rc=1") || out.contains("agent-sandbox-rc=2"),
        "{out}"
    );
    assert!(err.contains("Read-only file system"), "{err}");
    assert!(
        !fixture
            .project
            .path()
            .join(".agent-sandbox/paddock.toml")
            .exists()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_session_gets_resize_stdin_and_ctrl_p_and_the_exit_code() {
    let fixture = Fixture::new("tty").await;
    let (engine, name) = (&fixture.engine, &fixture.name);
    // ^Q is flow control for a terminal: turned off so the sandbox sees it.
    let plan = fixture.plan(&[
        "sh",
        "-c",
        "stty -ixon -echo; echo ready; IFS= read -r line; \
             printf '%s' \"$line\" | od -An -tx1; echo size=$(stty size); exit 3",
    ]);
    engine.create(&plan, true, &BTreeMap::new()).await.unwrap();
    let session = engine.attach(name, false).await.unwrap();
    let (mut output, mut input) = (session.output, session.input);
    engine.start(&plan).await.unwrap();
    engine.resize(name, 123, 45).await.unwrap();
    let mut screen = String::new();
    while !screen.contains("ready") {
        match tokio::time::timeout(Duration::from_secs(30), output.next()).await {
            Ok(Some(Ok(Output::Stdout(bytes)))) => {
                screen.push_str(&String::from_utf8_lossy(&bytes))
            }
            other => panic!("no prompt from the sandbox: {other:?} after {screen:?}"),
        }
    }
    // Ctrl-P Ctrl-Q is podman's default detach sequence: it must reach the sandbox.
    input.write(b"\x10\x11hi\r").await.unwrap();
    let mut session = engine::Session { output, input };
    let (rest, _) = read_all(&mut session).await;
    screen.push_str(&rest);
    assert!(screen.contains("10 11 68 69"), "{screen:?}");
    assert!(screen.contains("size=45 123"), "{screen:?}");
    assert_eq!(engine.wait(name).await.unwrap(), 3);
}

/// podman secrets made for the sandbox `name` (named after it and labelled
/// with it), by their names.
fn secrets_of(name: &str) -> Vec<String> {
    let (ok, out) = podman(&["secret", "ls", "--format", "{{.Name}}"]);
    assert!(ok, "{out}");
    out.lines()
        .filter(|secret| secret.starts_with(&format!("{name}.")))
        .map(|secret| {
            let (ok, owner) = podman(&[
                "secret",
                "inspect",
                secret,
                "--format",
                &format!("{{{{index .Spec.Labels \"{LABEL_SANDBOX}\"}}}}"),
            ]);
            assert!(ok && owner.trim() == name, "{secret}: {owner}");
            secret.to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_reach_the_sandbox_as_files_and_leave_podman_once_read() {
    let fixture = Fixture::new("secret").await;
    let (engine, name) = (&fixture.engine, &fixture.name);
    let value = format!("sk-engine-{}-\"quoted\" $dollar", std::process::id());
    // The test image has no Paddock entrypoint: the command reads the file.
    let plan = fixture.plan(&[
        "sh",
        "-c",
        &format!("cat {KEYS_IN_SANDBOX}/TEST_API_KEY; echo; sleep 1; ls {KEYS_IN_SANDBOX}"),
    ]);
    let secrets = BTreeMap::from([("TEST_API_KEY".to_owned(), SecretValue::new(value.clone()))]);
    // A stale secret of an earlier sandbox of the same name is replaced.
    engine.create(&plan, false, &secrets).await.unwrap();
    engine.remove(name, false).await.unwrap();
    assert!(secrets_of(name).is_empty(), "{:?}", secrets_of(name));
    engine.create(&plan, false, &secrets).await.unwrap();
    assert_eq!(secrets_of(name), [format!("{name}.TEST_API_KEY")]);
    let (ok, inspect) = podman(&["inspect", name]);
    assert!(ok, "{inspect}");
    assert!(
        !inspect.contains(&value),
        "the value shows in podman inspect"
    );

    let mut session = engine.attach(name, false).await.unwrap();
    engine.start(&plan).await.unwrap();
    // Started and its first line out: the secret left podman's store, and
    // podman's copy in the container's folder is gone.
    assert!(secrets_of(name).is_empty(), "{:?}", secrets_of(name));
    let (_, static_dir) = podman(&["inspect", "--format", "{{.StaticDir}}", name]);
    let copies = std::path::Path::new(static_dir.trim()).join("secrets");
    let left: Vec<_> = std::fs::read_dir(&copies)
        .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    session.input.close().await.unwrap();
    let (out, _) = read_all(&mut session).await;
    assert_eq!(
        out,
        format!("{value}\nTEST_API_KEY\n"),
        "the value arrives byte for byte, and the file stays readable inside"
    );
    assert_eq!(engine.wait(name).await.unwrap(), 0);
    let config =
        std::fs::read_to_string(std::path::Path::new(static_dir.trim()).join("config.json"))
            .unwrap();
    assert!(config.contains(KEYS_IN_SANDBOX), "{config}");
    assert!(!config.contains(&value), "{config}");

    engine.remove(name, false).await.unwrap();
    assert!(secrets_of(name).is_empty(), "{:?}", secrets_of(name));
}

#[tokio::test(flavor = "multi_thread")]
async fn stdin_round_trips_without_a_terminal() {
    let fixture = Fixture::new("stdin").await;
    let (engine, name) = (&fixture.engine, &fixture.name);
    let plan = fixture.plan(&["sh", "-c", "tr a-z A-Z"]);
    engine.create(&plan, false, &BTreeMap::new()).await.unwrap();
    let mut session = engine.attach(name, false).await.unwrap();
    engine.start(&plan).await.unwrap();
    session.input.write(b"round trip\n").await.unwrap();
    session.input.close().await.unwrap();
    let (out, _) = read_all(&mut session).await;
    assert_eq!(out, "ROUND TRIP\n");
    assert_eq!(engine.wait(name).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn offline_sandboxes_have_only_loopback() {
    let fixture = Fixture::new("offline").await;
    let engine = &fixture.engine;
    let mut plan = fixture.plan(&["ip", "-o", "link"]);
    plan.unchecked_mut().network = sandbox::plan::SandboxNetwork::None;
    let (code, out, err) = run_to_end(engine, &plan).await;
    assert_eq!(code, 0, "{err}");
    let links: Vec<&str> = out
        .lines()
        .filter_map(|line| line.split(':').nth(1))
        .map(str::trim)
        .collect();
    assert_eq!(links, vec!["lo"], "{out}");

    // The same sandbox with the network on sees more than loopback, so the
    // check above can fail.
    let online = unique("online");
    let _online_guard = ContainerGuard::new(&online);
    let plan = container_plan(
        &online,
        &fixture.image.0,
        fixture.project.path(),
        &["ip", "-o", "link"],
    );
    let (_, out, _) = run_to_end(engine, &plan).await;
    assert!(out.lines().count() > 1, "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn named_volumes_survive_removal_and_reach_the_next_sandbox() {
    let engine = Engine::connect().await.unwrap();
    let image = test_image(&engine, "volume").await;
    let project = tempfile::tempdir().unwrap();
    let volume = unique("volume");
    let (first, second) = (unique("volume-a"), unique("volume-b"));
    let _guards = [
        ContainerGuard::new(&first),
        ContainerGuard {
            name: second.clone(),
            volumes: vec![volume.clone()],
        },
    ];
    let mount = VolumeMount {
        volume: volume.clone(),
        target: "/cache".into(),
        earlier: None,
    };

    let mut plan = container_plan(
        &first,
        &image.0,
        project.path(),
        &["sh", "-c", "echo kept > /cache/note"],
    );
    plan.unchecked_mut().volumes.push(mount.clone());
    let (code, _, err) = run_to_end(&engine, &plan).await;
    assert_eq!(code, 0, "{err}");
    assert!(engine.remove(&first, false).await.unwrap().is_empty());
    assert!(!podman(&["container", "exists", &first]).0);
    assert!(podman(&["volume", "exists", &volume]).0);

    let mut plan = container_plan(&second, &image.0, project.path(), &["cat", "/cache/note"]);
    plan.unchecked_mut().volumes.push(mount);
    let (code, out, err) = run_to_end(&engine, &plan).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "kept\n");

    assert!(engine.remove(&second, true).await.unwrap().is_empty());
    assert!(!podman(&["volume", "exists", &volume]).0);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_libkrun_a_microvm_plan_is_refused_with_the_install_hint() {
    let engine = Engine::connect().await.unwrap();
    let info = engine.info().await.unwrap();
    assert!(
        !info.krun_available,
        "this test describes the dev environment, whose crun has no libkrun"
    );
    let project = tempfile::tempdir().unwrap();
    let name = unique("microvm");
    let _guard = ContainerGuard::new(&name);
    let mut plan = container_plan(&name, "localhost/never-built:x", project.path(), &["true"]);
    plan.unchecked_mut().isolation = Isolation::MicroVm;
    plan.unchecked_mut()
        .annotations
        .insert("run.oci.handler".into(), "krun".into());
    let err = engine
        .create(&plan, true, &BTreeMap::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::KrunUnavailable { .. }), "{err}");
    assert!(err.to_string().contains(INSTALL_KRUN), "{err}");
    assert!(!podman(&["container", "exists", &name]).0);
}

#[tokio::test(flavor = "multi_thread")]
async fn events_report_a_sandboxs_life() {
    let fixture = Fixture::new("events").await;
    let (engine, name) = (&fixture.engine, &fixture.name);
    let mut events = engine.events().await.unwrap();
    let plan = fixture.plan(&["sh", "-c", "exit 5"]);
    let (code, _, _) = run_to_end(engine, &plan).await;
    assert_eq!(code, 5);
    engine.remove(name, false).await.unwrap();

    let mut seen = Vec::new();
    while !seen.contains(&Change::Removed) {
        let event = tokio::time::timeout(Duration::from_secs(30), events.next())
            .await
            .unwrap_or_else(|_| panic!("no remove event; saw {seen:?}"))
            .expect("the event stream stays open")
            .unwrap();
        if event.name == *name {
            assert_eq!(event.project, fixture.project.path());
            seen.push(event.change);
        }
    }
    assert_eq!(seen.first(), Some(&Change::Created), "{seen:?}");
    assert!(seen.contains(&Change::Started), "{seen:?}");
    assert!(
        seen.contains(&Change::Died { exit_code: Some(5) }),
        "{seen:?}"
    );
}

/// `podman inspect` of `name` with a Go template.
fn inspect(name: &str, format: &str) -> String {
    let (ok, out) = podman(&["inspect", "--format", format, name]);
    assert!(ok, "{out}");
    out.trim().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_container_mode_fork_bomb_is_stopped_by_the_process_limit() {
    let fixture = Fixture::new("forkbomb").await;
    let (engine, name) = (&fixture.engine, &fixture.name);
    let mut plan = fixture.plan(&[
        "sh",
        "-c",
        "bomb() { bomb | bomb & }; bomb; sleep 3; echo bomb-contained; kill -9 -1",
    ]);
    plan.unchecked_mut().limits = Some(sandbox::definition::Resources {
        cpus: 1,
        memory_mib: 512,
        pids: 128,
    });
    engine.create(&plan, false, &BTreeMap::new()).await.unwrap();

    // Where rootless podman may use cgroups (v2, delegated) they are set;
    // under cgroups v1, as on the development machines, podman drops them
    // ("Resource limits are not supported and ignored on cgroups V1
    // rootless systems") and the rlimit is what holds.
    let (_, cgroups) = podman(&["info", "--format", "{{.Host.CgroupsVersion}}"]);
    if cgroups.trim() == "v2" {
        assert_eq!(inspect(name, "{{.HostConfig.PidsLimit}}"), "128");
        assert_eq!(
            inspect(name, "{{.HostConfig.Memory}}"),
            (512u64 << 20).to_string()
        );
        assert_eq!(inspect(name, "{{.HostConfig.NanoCpus}}"), "1000000000");
    }
    let ulimits = inspect(
        name,
        "{{range .HostConfig.Ulimits}}{{.Name}}={{.Soft}}:{{.Hard}} {{end}}",
    );
    assert!(ulimits.contains("RLIMIT_NPROC=128:128"), "{ulimits}");

    let mut session = engine.attach(name, false).await.unwrap();
    engine.start(&plan).await.unwrap();
    session.input.close().await.unwrap();
    // While the bomb goes off, the host user can still start processes.
    let host_answers = tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        tokio::process::Command::new("true")
            .status()
            .await
            .is_ok_and(|status| status.success())
    });
    let (out, err) = tokio::time::timeout(Duration::from_secs(60), read_all(&mut session))
        .await
        .expect("the bomb ended with its sandbox");
    assert!(
        host_answers.await.unwrap(),
        "the host could still start a process"
    );
    assert!(out.contains("bomb-contained"), "{out}{err}");
    assert!(
        err.contains("can't fork") || err.contains("Resource temporarily unavailable"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sandbox_whose_first_line_is_not_the_report_is_stopped() {
    let fixture = Fixture::new("noreport").await;
    let (engine, name) = (&fixture.engine, &fixture.name);
    let plan = fixture.plan(&[
        "sh",
        "-c",
        "echo 'paddock-sandbox guest-kernel=fake uid=0 isolation=microvm extra=lie'; \
         echo still-running; sleep 600",
    ]);
    engine.create(&plan, false, &BTreeMap::new()).await.unwrap();
    let mut session = engine.attach(name, true).await.unwrap();
    engine.start(&plan).await.unwrap();
    let mut seen = Vec::new();
    while let Some(item) = tokio::time::timeout(Duration::from_secs(60), session.output.next())
        .await
        .expect("the output ends: the sandbox was stopped")
    {
        seen.push(item.unwrap());
    }
    assert!(
        matches!(
            seen.as_slice(),
            [Output::Verdict(Err(
                sandbox::guest::NotAReport::Other { .. }
            ))]
        ),
        "only the refusal, none of its output: {seen:?}"
    );
    let code = tokio::time::timeout(Duration::from_secs(60), engine.wait(name))
        .await
        .expect("stopped, not left sleeping")
        .unwrap();
    assert_eq!(code, 137, "killed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_volume_of_an_earlier_version_is_mounted_while_only_it_exists() {
    let fixture = Fixture::new("earlier-volume").await;
    let (engine, name) = (&fixture.engine, &fixture.name);
    let (earlier, volume) = (unique("earlier"), unique("now"));
    let _volumes = ContainerGuard {
        name: unique("earlier-volume-none"),
        volumes: vec![earlier.clone(), volume.clone()],
    };
    assert!(podman(&["volume", "create", &earlier]).0);
    let mut plan = fixture.plan(&["sh", "-c", "cat /cache/note; echo again > /cache/again"]);
    plan.unchecked_mut().volumes.push(VolumeMount {
        volume: volume.clone(),
        target: "/cache".into(),
        earlier: Some(earlier.clone()),
    });
    let (ok, out) = podman(&[
        "run",
        "--rm",
        "-v",
        &format!("{earlier}:/cache"),
        &fixture.image.0,
        "sh",
        "-c",
        "echo from-before > /cache/note",
    ]);
    assert!(ok, "{out}");
    let (code, out, err) = run_to_end(engine, &plan).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "from-before\n", "the earlier volume was mounted");
    assert!(
        !podman(&["volume", "exists", &volume]).0,
        "no new one beside it"
    );
    engine.remove(name, false).await.unwrap();
}
