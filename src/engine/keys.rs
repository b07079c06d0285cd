//! API keys that stay outside the sandbox ([`sandbox::secret::placement`]):
//! the gateway gets each as a podman mount secret of its own container, with
//! a routes file that says which listener adds it for which API host; the
//! sandbox gets a placeholder in the key's variable and, in the base URL
//! variable, that listener's address on its internal network.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use sandbox::secret::{KEYS_IN_SANDBOX, KeyRoute, SecretValue, SecretVars};

/// The gateway's listener for the first key route; the next ones follow.
pub const KEY_PORT_FIRST: u16 = 8401;
/// Where the CA bundle appears inside the gateway.
pub(crate) const CA_IN_GATEWAY: &str = "/etc/paddock-ca.pem";
pub(crate) const KEYS_FILE: &str = "keys.json";

/// The system's CA bundles, Fedora's first, then Debian's and others'.
const CA_BUNDLES: [&str; 4] = [
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// A key the gateway adds, on its listener `port`.
#[derive(Debug)]
pub struct OutsideKey<'a> {
    pub port: u16,
    pub route: &'a KeyRoute,
    pub value: &'a SecretValue,
}

/// The keys of `vars` that stay outside and have a stored value in
/// `values`, each with its listener: the same list for the gateway and for
/// the sandbox's variables.
pub fn outside_keys<'a>(
    vars: &'a SecretVars,
    values: &'a BTreeMap<String, SecretValue>,
) -> Vec<OutsideKey<'a>> {
    vars.routes()
        .into_iter()
        .filter_map(|route| Some((route, values.get(&route.variable)?)))
        .zip(KEY_PORT_FIRST..)
        .map(|((route, value), port)| OutsideKey { port, route, value })
        .collect()
}

/// What the sandbox gets for the outside keys, the gateway at `address`.
pub(crate) fn sandbox_env(keys: &[OutsideKey<'_>], address: Ipv4Addr) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for key in keys {
        env.insert(key.route.variable.clone(), key.route.placeholder());
        env.insert(
            key.route.base_url.clone(),
            format!("http://{address}:{}{}", key.port, key.route.path),
        );
    }
    env
}

/// The gateway's routes file (`paddock_gateway::KeysFile`): no key in it,
/// only where the gateway finds each.
pub(crate) fn routes_json(keys: &[OutsideKey<'_>]) -> String {
    let routes: Vec<serde_json::Value> = keys
        .iter()
        .map(|key| {
            serde_json::json!({
                "port": key.port,
                "host": key.route.host,
                "header": key.route.header,
                "bearer": key.route.bearer,
                "placeholder": key.route.placeholder(),
                "key_file": format!("{KEYS_IN_SANDBOX}/{}", key.route.variable),
            })
        })
        .collect();
    serde_json::json!({ "ca_bundle": CA_IN_GATEWAY, "routes": routes }).to_string()
}

/// The CA bundle the gateway verifies API hosts with: the system's. A test
/// build (the `test-hooks` feature, never a release) takes
/// `$PADDOCK_TEST_CA_BUNDLE` instead, so that a stand-in API with a test
/// CA can be trusted in tests only.
pub(crate) fn ca_bundle() -> Option<PathBuf> {
    #[cfg(feature = "test-hooks")]
    if let Some(path) = std::env::var_os("PADDOCK_TEST_CA_BUNDLE").filter(|path| !path.is_empty()) {
        return Some(PathBuf::from(path));
    }
    CA_BUNDLES
        .iter()
        .map(Path::new)
        .find(|path| path.is_file())
        .map(Path::to_path_buf)
}
