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
/// the sandbox's variables. A route's port follows from its place among
/// all the routes, stored or not, so a key stored or removed while the
/// sandbox runs moves no other key's port when the gateway is restarted.
pub fn outside_keys<'a>(
    vars: &'a SecretVars,
    values: &'a BTreeMap<String, SecretValue>,
) -> Vec<OutsideKey<'a>> {
    vars.routes()
        .into_iter()
        .zip(KEY_PORT_FIRST..)
        .filter_map(|(route, port)| {
            let value = values.get(&route.variable)?;
            Some(OutsideKey { port, route, value })
        })
        .collect()
}

/// What the sandbox gets for the outside keys, the gateway at `address`:
/// each key's placeholder, and its listener's URL in the base URL variable
/// or, for a variable of JSON settings, at its pointer in one object that
/// holds them all.
pub(crate) fn sandbox_env(keys: &[OutsideKey<'_>], address: Ipv4Addr) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    let mut settings: BTreeMap<&str, serde_json::Value> = BTreeMap::new();
    for key in keys {
        env.insert(key.route.variable.clone(), key.route.placeholder());
        let url = format!("http://{address}:{}{}", key.port, key.route.path);
        match &key.route.json {
            None => {
                env.insert(key.route.base_url.clone(), url);
            }
            Some(pointer) => {
                let names: Vec<&str> = pointer.split('/').skip(1).collect();
                let settings = settings
                    .entry(key.route.base_url.as_str())
                    .or_insert_with(|| serde_json::json!({}));
                set_at(settings, &names, url);
            }
        }
    }
    for (variable, value) in settings {
        env.insert(variable.to_owned(), value.to_string());
    }
    env
}

/// Puts `url` at the path `names` in `value`, making objects on the way
/// (each route has a pointer of its own, so none takes another's place).
fn set_at(value: &mut serde_json::Value, names: &[&str], url: String) {
    match names.split_first() {
        None => *value = serde_json::Value::String(url),
        Some((name, rest)) => {
            if !value.is_object() {
                *value = serde_json::json!({});
            }
            if let serde_json::Value::Object(map) = value {
                set_at(
                    map.entry(*name).or_insert(serde_json::Value::Null),
                    rest,
                    url,
                );
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn route(variable: &str, base_url: &str, json: Option<&str>, path: &str) -> KeyRoute {
        KeyRoute {
            variable: variable.into(),
            base_url: base_url.into(),
            json: json.map(str::to_owned),
            path: path.into(),
            host: "api.example.org".into(),
            header: "x-api-key".into(),
            bearer: false,
        }
    }

    #[test]
    fn a_routes_port_does_not_depend_on_the_other_keys_stored() {
        let places = ["A_KEY", "B_KEY", "C_KEY"]
            .into_iter()
            .map(|name| sandbox::secret::KeyPlace {
                name: name.into(),
                place: sandbox::secret::Place::Outside(route(
                    name,
                    &format!("{name}_URL"),
                    None,
                    "",
                )),
            })
            .collect();
        let vars = SecretVars {
            places,
            ..SecretVars::default()
        };
        let ports = |stored: &[&str]| -> Vec<(String, u16)> {
            let values: BTreeMap<String, SecretValue> = stored
                .iter()
                .map(|name| (name.to_string(), SecretValue::new("sk")))
                .collect();
            outside_keys(&vars, &values)
                .iter()
                .map(|key| (key.route.variable.clone(), key.port))
                .collect()
        };
        let all = ports(&["A_KEY", "B_KEY", "C_KEY"]);
        assert_eq!(
            all,
            [
                ("A_KEY".into(), 8401),
                ("B_KEY".into(), 8402),
                ("C_KEY".into(), 8403)
            ]
        );
        assert_eq!(ports(&["B_KEY", "C_KEY"]), all[1..]);
        assert_eq!(ports(&["A_KEY", "C_KEY"]), [all[0].clone(), all[2].clone()]);
    }

    #[test]
    fn settings_routes_are_merged_into_one_json_value() {
        let routes = [
            route(
                "A_KEY",
                "SETTINGS",
                Some("/provider/a/options/baseURL"),
                "/v1",
            ),
            route("B_KEY", "SETTINGS", Some("/provider/b/options/baseURL"), ""),
            route("C_KEY", "C_BASE_URL", None, "/v1"),
        ];
        let value = SecretValue::new("sk-real");
        let keys: Vec<OutsideKey<'_>> = routes
            .iter()
            .zip(KEY_PORT_FIRST..)
            .map(|(route, port)| OutsideKey {
                port,
                route,
                value: &value,
            })
            .collect();
        let env = sandbox_env(&keys, Ipv4Addr::new(10, 89, 0, 2));
        let settings: serde_json::Value = serde_json::from_str(&env["SETTINGS"]).unwrap();
        assert_eq!(
            settings,
            serde_json::json!({"provider": {
                "a": {"options": {"baseURL": "http://10.89.0.2:8401/v1"}},
                "b": {"options": {"baseURL": "http://10.89.0.2:8402"}},
            }})
        );
        assert_eq!(env["C_BASE_URL"], "http://10.89.0.2:8403/v1");
        assert_eq!(env["A_KEY"], "paddock-placeholder-A_KEY");
        assert!(
            !env.values().any(|value| value.contains("sk-real")),
            "{env:?}"
        );
        assert_eq!(env.len(), 5, "{env:?}");
    }
}
