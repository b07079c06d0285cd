//! Sandboxes' ways out opened while others close theirs. Each close
//! removes the shared outer network once no gateway is on it, so a gateway
//! being created at that moment finds it gone (or, a moment later, made
//! again by a third): every open must still start its gateway.

use sandbox::net::Policy;

#[test]
fn gateways_start_while_other_sandboxes_take_the_outer_network_away() {
    support::sites::build_gateway();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let engine = runtime.block_on(engine::Engine::connect()).unwrap();
    let policies = tempfile::tempdir().unwrap();
    let setup = engine::GatewaySetup {
        binary: support::paddock::binary().with_file_name("paddock-gateway"),
        policies: policies.path().to_owned(),
    };
    let policy = Policy::default();
    let churn = |side: &'static str| {
        let (engine, setup, policy) = (&engine, &setup, &policy);
        async move {
            let mut failures = Vec::new();
            for round in 0..5 {
                let name = support::unique(&format!("churn-{side}-{round}"));
                if let Err(err) = engine.open_egress(&name, policy, setup, &[]).await {
                    failures.push(format!("{name}: {err}"));
                }
                engine.close_egress(&name, &setup.policies).await.unwrap();
            }
            failures
        }
    };
    let (a, b, c) = runtime.block_on(async { tokio::join!(churn("a"), churn("b"), churn("c")) });
    let failures: Vec<String> = a.into_iter().chain(b).chain(c).collect();
    assert!(failures.is_empty(), "{failures:#?}");
}
