//! [`Definition::validate`]: every problem with a definition, one function
//! per table, each worded so that the user knows what to change.

use std::collections::BTreeSet;

use super::{
    CPUS, Definition, DefinitionErrors, FieldError, MEMORY_MIB, NetworkMode, PIDS, PackageManager,
    VERSION, unknown_preset,
};
use crate::messages::tr;
use crate::presets::{Preset, Presets};
use crate::values;

impl Definition {
    /// Every problem with this definition, or nothing.
    pub fn validate(&self, presets: &Presets) -> Result<(), DefinitionErrors> {
        let mut errors = Vec::new();
        self.check_version(&mut errors);
        let preset = self.check_agent(presets, &mut errors);
        match &self.image.containerfile {
            None => self.check_generated_image(preset, &mut errors),
            Some(file) => self.check_own_containerfile(file, preset, &mut errors),
        }
        self.check_resources(&mut errors);
        self.check_sandbox(&mut errors);
        self.check_network(&mut errors);
        self.check_caches(&mut errors);
        self.check_mounts(&mut errors);
        self.check_env(&mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DefinitionErrors(errors))
        }
    }

    /// `sandbox.mount` as given, without a trailing `/`.
    fn chosen_mount(&self) -> Option<String> {
        self.sandbox
            .mount
            .as_deref()
            .map(|m| m.trim_end_matches('/').to_owned())
    }

    /// The agent's home, which the project, mounts and caches must not
    /// hide: `image.user_home`, else the generated images' one.
    fn checked_home(&self) -> &str {
        self.image
            .user_home
            .as_deref()
            .unwrap_or(crate::render::USER_HOME)
            .trim_end_matches('/')
    }

    /// `version`
    fn check_version(&self, errors: &mut Vec<FieldError>) {
        match self.version {
            Some(VERSION) => {}
            Some(other) => errors.push(FieldError::new(
                "version",
                tr(
                    "{value} is not supported; this Paddock reads version = {supported}",
                    &[("value", &other), ("supported", &VERSION)],
                ),
            )),
            None => errors.push(FieldError::new(
                "version",
                tr(
                    "is missing; add version = {supported} at the top",
                    &[("supported", &VERSION)],
                ),
            )),
        }
    }

    /// `[agent]`; returns the preset it names, when that is known.
    fn check_agent<'a>(
        &self,
        presets: &'a Presets,
        errors: &mut Vec<FieldError>,
    ) -> Option<&'a Preset> {
        let preset = match &self.agent.preset {
            Some(id) => match presets.get(id) {
                Some(preset) => Some(preset),
                None => {
                    errors.push(unknown_preset(id, presets));
                    None
                }
            },
            None => {
                if self.agent.command.is_none() {
                    errors.push(FieldError::new(
                        "agent",
                        tr(
                            "set agent.preset (one of {ids}) or agent.command",
                            &[("ids", &presets.ids().join(", "))],
                        ),
                    ));
                }
                None
            }
        };
        if let Some(command) = &self.agent.command {
            if command.first().is_some_and(|first| first.trim().is_empty()) {
                errors.push(FieldError::new(
                    "agent.command",
                    tr("the program name (first item) must not be empty", &[]),
                ));
            }
            for (i, arg) in command.iter().enumerate() {
                check(
                    errors,
                    format!("agent.command[{i}]"),
                    values::one_line(arg),
                    arg,
                );
            }
        }
        preset
    }

    /// `[image]` for a generated Containerfile.
    fn check_generated_image(&self, preset: Option<&Preset>, errors: &mut Vec<FieldError>) {
        match &self.image.base {
            Some(base) => check(errors, "image.base".into(), values::image_ref(base), base),
            None => errors.push(FieldError::new("image.base", tr("is missing; name the image to build from, e.g. registry.fedoraproject.org/fedora:44", &[]))),
        }
        for (i, package) in self.image.packages.iter().enumerate() {
            check(
                errors,
                format!("image.packages[{i}]"),
                values::package(package),
                package,
            );
        }
        if self.package_manager() == PackageManager::None {
            if !self.image.packages.is_empty() {
                errors.push(FieldError::new(
                    "image.packages",
                    tr("the base image has no known package manager; set image.package_manager to dnf, apt or apk", &[]),
                ));
            }
            if preset.is_some_and(|p| !p.install.packages.is_empty()) {
                errors.push(FieldError::new(
                    "image.package_manager",
                    tr("the agent needs OS packages but the base image has no known package manager; set image.package_manager to dnf, apt or apk, or choose a Fedora, Debian, Ubuntu or Alpine base", &[]),
                ));
            }
        }
        if self.image.user_home.is_some() {
            errors.push(FieldError::new(
                "image.user_home",
                tr(
                    "only applies with image.containerfile; generated images use {home}",
                    &[("home", &crate::render::USER_HOME)],
                ),
            ));
        }
    }

    /// `[image]` with the project's own Containerfile `file`.
    fn check_own_containerfile(
        &self,
        file: &str,
        preset: Option<&Preset>,
        errors: &mut Vec<FieldError>,
    ) {
        check(
            errors,
            "image.containerfile".into(),
            values::file_name(file),
            file,
        );
        if crate::project::GENERATED_FILES.contains(&file)
            || file == crate::project::DEFINITION_FILE
        {
            errors.push(FieldError::new(
                "image.containerfile",
                tr(
                    "\"{value}\" is a file Paddock writes; name your own Containerfile differently",
                    &[("value", &file)],
                ),
            ));
        }
        for key in [
            ("image.base", self.image.base.is_some()),
            ("image.packages", !self.image.packages.is_empty()),
            (
                "image.package_manager",
                self.image.package_manager.is_some(),
            ),
        ]
        .iter()
        .filter(|(_, set)| *set)
        .map(|(key, _)| key)
        {
            errors.push(FieldError::new(*key, tr("has no effect with image.containerfile; put it in {file} instead, or remove it", &[("file", &file)])));
        }
        match &self.image.user_home {
            Some(home) => check(errors, "image.user_home".into(), values::sandbox_path(home), home),
            None if preset.is_some_and(|p| p.config_dir.is_some()) => errors.push(FieldError::new(
                "image.user_home",
                tr("is missing; with image.containerfile, name the agent user's home folder (e.g. /home/appuser) so that the agent's login can be kept", &[]),
            )),
            None => {}
        }
    }

    /// `[resources]`
    fn check_resources(&self, errors: &mut Vec<FieldError>) {
        for (key, value, range, unit) in [
            ("resources.cpus", self.resources.cpus, CPUS, ""),
            (
                "resources.memory_mib",
                self.resources.memory_mib,
                MEMORY_MIB,
                " MiB",
            ),
            ("resources.pids", self.resources.pids, PIDS, ""),
        ] {
            if !range.contains(&value) {
                errors.push(FieldError::new(
                    key,
                    tr(
                        "{value} is out of range; allowed: {min} to {max}{unit}",
                        &[
                            ("value", &value),
                            ("min", range.start()),
                            ("max", range.end()),
                            ("unit", &unit),
                        ],
                    ),
                ));
            }
        }
    }

    /// `[sandbox]`
    fn check_sandbox(&self, errors: &mut Vec<FieldError>) {
        let (mount, home) = (self.chosen_mount(), self.checked_home());
        if let Some(m) = &self.sandbox.mount {
            check(errors, "sandbox.mount".into(), values::sandbox_path(m), m);
        }
        if mount.as_deref() == Some(home) {
            errors.push(FieldError::new(
                "sandbox.mount",
                tr(
                    "must not be the agent's home folder {home}",
                    &[("home", &home)],
                ),
            ));
        }
        for (i, path) in self.sandbox.writable.iter().enumerate() {
            check(
                errors,
                format!("sandbox.writable[{i}]"),
                crate::host_run::check_writable(path),
                path,
            );
        }
    }

    /// `[network]` (and the older `sandbox.network`).
    fn check_network(&self, errors: &mut Vec<FieldError>) {
        if self.network.mode.is_some() && self.sandbox.network.is_some() {
            errors.push(FieldError::new(
                "sandbox.network",
                tr(
                    "is the older place of network.mode; remove sandbox.network and keep network.mode",
                    &[],
                ),
            ));
        }
        let network = &self.network;
        let lists =
            !network.allow.is_empty() || !network.deny.is_empty() || !network.groups.is_empty();
        if lists && self.network_mode() != NetworkMode::Allowlist {
            errors.push(FieldError::new(
                "network.mode",
                tr(
                    "is \"{mode}\", but allow, deny and groups apply only to mode = \"allowlist\"; set that mode or remove the lists",
                    &[("mode", &self.network_mode().as_str())],
                ),
            ));
        }
        for (key, list) in [
            ("network.allow", &network.allow),
            ("network.deny", &network.deny),
        ] {
            for (i, entry) in list.iter().enumerate() {
                if let Err(message) = crate::net::check_entry(entry) {
                    errors.push(FieldError::new(format!("{key}[{i}]"), message));
                }
            }
        }
        for (i, name) in network.groups.iter().enumerate() {
            if let Err(message) = crate::net::check_group(name) {
                errors.push(FieldError::new(format!("network.groups[{i}]"), message));
            }
        }
    }

    /// `[[cache]]`
    fn check_caches(&self, errors: &mut Vec<FieldError>) {
        let (mount, home) = (self.chosen_mount(), self.checked_home());
        let mut names = BTreeSet::new();
        let mut paths = BTreeSet::new();
        for (i, cache) in self.caches.iter().enumerate() {
            check(
                errors,
                format!("cache[{i}].name"),
                values::identifier(&cache.name),
                &cache.name,
            );
            check(
                errors,
                format!("cache[{i}].path"),
                values::sandbox_path(&cache.path),
                &cache.path,
            );
            if !names.insert(cache.name.as_str()) {
                errors.push(FieldError::new(
                    format!("cache[{i}].name"),
                    tr(
                        "\"{value}\" is used twice; give each cache its own name",
                        &[("value", &cache.name)],
                    ),
                ));
            }
            let path = cache.path.trim_end_matches('/');
            if !paths.insert(path) {
                errors.push(FieldError::new(
                    format!("cache[{i}].path"),
                    tr(
                        "\"{value}\" is used twice; give each cache its own folder",
                        &[("value", &cache.path)],
                    ),
                ));
            }
            if let Some(mount) = &mount {
                let protected = format!("{mount}/{}", crate::project::SANDBOX_DIR);
                if path == mount || path == protected || path.starts_with(&format!("{protected}/"))
                {
                    errors.push(FieldError::new(
                        format!("cache[{i}].path"),
                        tr("\"{value}\" would hide the project or its .agent-sandbox folder; choose another folder", &[("value", &cache.path)]),
                    ));
                }
            }
            if path == home {
                errors.push(FieldError::new(
                    format!("cache[{i}].path"),
                    tr(
                        "\"{value}\" would hide the agent's home folder; choose another folder",
                        &[("value", &cache.path)],
                    ),
                ));
            }
        }
    }

    /// `[[mounts]]`
    fn check_mounts(&self, errors: &mut Vec<FieldError>) {
        let (mount, home) = (self.chosen_mount(), self.checked_home());
        let paths: BTreeSet<&str> = self
            .caches
            .iter()
            .map(|cache| cache.path.trim_end_matches('/'))
            .collect();
        let mut targets = BTreeSet::new();
        for (i, extra) in self.mounts.iter().enumerate() {
            check(
                errors,
                format!("mounts[{i}].source"),
                mount_source(&extra.source),
                &extra.source,
            );
            let key = format!("mounts[{i}].target");
            check(
                errors,
                key.clone(),
                values::sandbox_path(&extra.target),
                &extra.target,
            );
            let target = extra.target.trim_end_matches('/');
            let covers =
                |folder: &str| target == folder || folder.starts_with(&format!("{target}/"));
            let hides_project = match &mount {
                Some(mount) => {
                    let protected = format!("{mount}/{}", crate::project::SANDBOX_DIR);
                    covers(mount) || target.starts_with(&format!("{protected}/"))
                }
                // The default mount point is a folder of /src.
                None => target == "/src" || target.starts_with("/src/"),
            };
            if hides_project
                || target.ends_with(&format!("/{}", crate::project::SANDBOX_DIR))
                || covers(home)
            {
                errors.push(FieldError::new(
                    key.clone(),
                    tr("\"{value}\" would hide the project, its .agent-sandbox folder or the agent's home folder; choose another folder", &[("value", &extra.target)]),
                ));
            }
            if paths.contains(target) || !targets.insert(target) {
                errors.push(FieldError::new(
                    key,
                    tr(
                        "\"{value}\" is already used by another mount or cache; give each its own folder",
                        &[("value", &extra.target)],
                    ),
                ));
            }
        }
    }

    /// `agent.secrets` and `[env]`
    fn check_env(&self, errors: &mut Vec<FieldError>) {
        for (i, name) in self.agent.secrets.iter().enumerate() {
            let key = format!("agent.secrets[{i}]");
            check(errors, key.clone(), values::env_name(name), name);
            if self.env.contains_key(name) {
                errors.push(FieldError::new(
                    key,
                    tr(
                        "{name} is also set in [env], where its value would be visible; remove it from [env] and store it with: paddock secret set {name}",
                        &[("name", name)],
                    ),
                ));
            }
        }
        for (name, value) in &self.env {
            check(errors, format!("env.{name}"), values::env_name(name), name);
            check(
                errors,
                format!("env.{name}"),
                values::one_line(value),
                value,
            );
        }
    }
}

/// Records `result` for `key`, quoting the bad value.
fn check(errors: &mut Vec<FieldError>, key: String, result: values::Check, value: &str) {
    if let Err(message) = result {
        errors.push(FieldError::new(
            key,
            tr(
                "\"{value}\" {problem}",
                &[("value", &value.escape_debug()), ("problem", &message)],
            ),
        ));
    }
}

/// A host path for a mount. It ends up in `compose.yaml` as
/// `source:target:options` and in podman's mount list, so it holds no `:`,
/// `,` or `$`, no control character and no `.`/`..` part.
fn mount_source(value: &str) -> values::Check {
    values::one_line(value)?;
    if value.trim().is_empty() {
        return Err(tr("must not be empty", &[]));
    }
    if let Some(c) = value.chars().find(|c| ":,$".contains(*c)) {
        return Err(tr("must not contain {char}", &[("char", &c)]));
    }
    let relative = value.strip_prefix("~/").unwrap_or(value);
    if relative.split('/').any(|part| part == "." || part == "..") {
        return Err(tr("must not contain . or .. parts", &[]));
    }
    if value.starts_with('~') && !value.starts_with("~/") {
        return Err(tr(
            "may start with ~/ (your home folder) but not with another ~",
            &[],
        ));
    }
    Ok(())
}
