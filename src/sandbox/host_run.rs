//! Files of the project that the user's own tools run later, outside any
//! sandbox: git's hooks and configuration, direnv's `.envrc`, editor tasks,
//! build scripts, CI workflows and the agents' own hook settings. An agent
//! that writes one of them runs code on the host the next time the user
//! runs `git status`, `make` or opens the editor.
//!
//! [`kind`] says whether a path is one of them (the Changes view and
//! `paddock changes` pin and flag those); [`protected`] lists the ones the
//! sandbox gets read-only, on top of the read-write project.

use std::path::{Path, PathBuf};

use crate::messages::tr;

/// Why a file is run by the host's tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HostRun {
    /// `.git/hooks/*`: run by `git commit`, `git push`, ...
    GitHook,
    /// `.git/config`: `core.fsmonitor`, `core.hooksPath`, filters, aliases.
    GitConfig,
    /// A `.git` file: which folder git takes as the repository.
    GitPointer,
    /// `.envrc`: run by direnv when the shell enters the folder.
    Direnv,
    /// `.vscode/`, `.idea/`: tasks and settings the editor runs.
    Editor,
    /// `Makefile`, `package.json`: scripts the user runs by name.
    Build,
    /// `.husky/`, `.pre-commit-config.yaml`: git hooks by another name.
    HookManager,
    /// `.github/workflows/`: run by CI with the repository's secrets.
    Ci,
    /// `.claude/settings*.json`, `.gemini/settings.json`, `.mcp.json`,
    /// `.codex/`: the agents' own hooks and servers, run by an agent the user
    /// starts on the host.
    AgentConfig,
}

impl HostRun {
    /// What runs it, for the mark next to the file.
    pub fn label(self) -> String {
        match self {
            HostRun::GitHook => gettextrs::gettext("git hook"),
            HostRun::GitConfig => gettextrs::gettext("git configuration"),
            HostRun::GitPointer => gettextrs::gettext("git repository pointer"),
            HostRun::Direnv => gettextrs::gettext("run by direnv"),
            HostRun::Editor => gettextrs::gettext("run by your editor"),
            HostRun::Build => gettextrs::gettext("build script"),
            HostRun::HookManager => gettextrs::gettext("git hook manager"),
            HostRun::Ci => gettextrs::gettext("CI workflow"),
            HostRun::AgentConfig => gettextrs::gettext("agent hooks and servers"),
        }
    }
}

/// Whether the file at `path` (relative to the project, `/`-separated) is
/// run by the host's tools, and by which.
pub fn kind(path: &str) -> Option<HostRun> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let (&name, dirs) = parts.split_last()?;
    if let Some(git) = parts.iter().position(|&p| p == ".git") {
        return git_kind(&parts[git + 1..]);
    }
    if dirs.contains(&"node_modules") {
        return None;
    }
    let parent = dirs.last().copied();
    match (parent, name) {
        (_, ".envrc") => Some(HostRun::Direnv),
        (_, "Makefile" | "makefile" | "GNUmakefile" | "package.json") => Some(HostRun::Build),
        (_, ".pre-commit-config.yaml" | ".mcp.json") if dirs.is_empty() => match name {
            ".mcp.json" => Some(HostRun::AgentConfig),
            _ => Some(HostRun::HookManager),
        },
        (Some(".vscode"), "tasks.json" | "settings.json" | "launch.json") => Some(HostRun::Editor),
        (Some(".claude"), name) if name.starts_with("settings") && name.ends_with(".json") => {
            Some(HostRun::AgentConfig)
        }
        (Some(".gemini"), "settings.json") => Some(HostRun::AgentConfig),
        _ if dirs.first() == Some(&".idea") => Some(HostRun::Editor),
        _ if dirs.first() == Some(&".husky") => Some(HostRun::HookManager),
        _ if dirs.first() == Some(&".codex") => Some(HostRun::AgentConfig),
        _ if dirs.starts_with(&[".github", "workflows"]) => Some(HostRun::Ci),
        _ => None,
    }
}

/// `rest`: the parts of a path after its `.git` part. A `.git` file, the
/// configuration and hooks of a repository, of its submodules
/// (`modules/NAME/`) and its worktrees (`worktrees/NAME/config.worktree`).
fn git_kind(rest: &[&str]) -> Option<HostRun> {
    match rest {
        [] => Some(HostRun::GitPointer),
        ["config" | "config.worktree"] => Some(HostRun::GitConfig),
        ["hooks", _, ..] => Some(HostRun::GitHook),
        ["worktrees", _, "config.worktree"] => Some(HostRun::GitConfig),
        ["modules", inner @ ..] => {
            // A submodule's name may hold slashes, and it nests.
            (0..inner.len()).find_map(|start| match &inner[start..] {
                ["config" | "config.worktree"] => Some(HostRun::GitConfig),
                ["hooks", _, ..] => Some(HostRun::GitHook),
                _ => None,
            })
        }
        _ => None,
    }
}

/// A path of the project that the sandbox gets mounted on its own,
/// relative to the project.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Protected {
    pub path: String,
    /// False for a git folder bound onto itself, read-write: a mount point
    /// cannot be renamed or removed, so the agent cannot move the folder
    /// that holds the read-only files aside and make a new one.
    pub read_only: bool,
}

impl Protected {
    fn read_only(path: String) -> Protected {
        Protected {
            path,
            read_only: true,
        }
    }

    fn in_place(path: String) -> Protected {
        Protected {
            path,
            read_only: false,
        }
    }
}

/// What in the project at `root` is mounted read-only inside its sandbox:
/// the hooks folder and configuration of its git repository, of the
/// submodules and worktrees whose git folders live in it, and every `.git`
/// file (a pointer to the repository) of those; and, read-write, the git
/// folders that hold them, each onto itself, so that they stay where they
/// are. A hooks folder that is
/// missing is made (empty), so that the agent cannot make one. A `.git`
/// pointer's target is never followed: a repository outside the project
/// is not the sandbox's to reach, and the pointer itself is read-only.
pub fn protected(root: &Path) -> std::io::Result<Vec<Protected>> {
    let mut found = Vec::new();
    let git = root.join(".git");
    let Ok(meta) = std::fs::symlink_metadata(&git) else {
        return Ok(found);
    };
    if !meta.is_dir() {
        found.push(Protected::read_only(".git".into()));
        return Ok(found);
    }
    found.push(Protected::in_place(".git".into()));
    git_dir(root, ".git", &mut found)?;
    let modules = git.join("modules");
    if is_dir(&modules) {
        module_dirs(root, ".git/modules", &mut found)?;
    }
    let worktrees = git.join("worktrees");
    if is_dir(&worktrees) {
        for entry in std::fs::read_dir(&worktrees)? {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else { continue };
            let rel = format!(".git/worktrees/{name}/config.worktree");
            if is_file(&root.join(&rel)) {
                found.push(Protected::read_only(rel));
            }
            if let Some(pointer) = worktree_pointer(root, &worktrees.join(name)) {
                found.push(Protected::read_only(pointer));
            }
        }
    }
    for path in submodule_paths(root) {
        let rel = format!("{path}/.git");
        if is_file(&root.join(&rel)) {
            found.push(Protected::read_only(rel));
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

/// The hooks folder and configuration files of the git folder `rel`.
fn git_dir(root: &Path, rel: &str, found: &mut Vec<Protected>) -> std::io::Result<()> {
    let hooks = root.join(rel).join("hooks");
    if std::fs::symlink_metadata(&hooks).is_err() {
        std::fs::create_dir(&hooks)?;
    }
    found.push(Protected::read_only(format!("{rel}/hooks")));
    for file in ["config", "config.worktree"] {
        let path = format!("{rel}/{file}");
        if std::fs::symlink_metadata(root.join(&path)).is_ok() {
            found.push(Protected::read_only(path));
        }
    }
    Ok(())
}

/// Every git folder under `.git/modules` (a submodule's name may hold
/// slashes, and submodules nest): a folder with a `config` file is one.
fn module_dirs(root: &Path, rel: &str, found: &mut Vec<Protected>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(root.join(rel))? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let child = format!("{rel}/{name}");
        if std::fs::symlink_metadata(root.join(&child).join("config")).is_ok() {
            found.push(Protected::in_place(child.clone()));
            git_dir(root, &child, found)?;
            if is_dir(&root.join(&child).join("modules")) {
                module_dirs(root, &format!("{child}/modules"), found)?;
            }
        } else {
            module_dirs(root, &child, found)?;
        }
    }
    Ok(())
}

/// The `.git` file of a linked worktree, when the worktree lies in the
/// project: git keeps its path in `.git/worktrees/NAME/gitdir`.
fn worktree_pointer(root: &Path, admin: &Path) -> Option<String> {
    let text = std::fs::read_to_string(admin.join("gitdir")).ok()?;
    let pointer = PathBuf::from(text.trim_end_matches('\n'));
    let rel = pointer.strip_prefix(root).ok()?.to_str()?.to_owned();
    (!rel.split('/').any(|p| p == ".." || p.is_empty()) && is_file(&pointer)).then_some(rel)
}

/// The `path = ...` entries of `.gitmodules` that stay inside the project.
fn submodule_paths(root: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(root.join(".gitmodules")) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "path").then(|| value.trim().trim_end_matches('/').to_owned())
        })
        .filter(|path| {
            !path.is_empty()
                && !path.starts_with('/')
                && !path
                    .split('/')
                    .any(|p| p == ".." || p == "." || p.is_empty())
        })
        .collect()
}

fn is_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

fn is_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

/// `sandbox.writable`: a path relative to the project, without `.` or `..`
/// parts.
pub fn check_writable(value: &str) -> Result<(), String> {
    if value.is_empty()
        || value.starts_with('/')
        || value
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
        || value.chars().any(char::is_control)
    {
        return Err(tr(
            "is not a path inside the project; write it relative to the project folder, e.g. .git/hooks",
            &[],
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_what_the_host_runs() {
        for (path, expected) in [
            (".git/config", Some(HostRun::GitConfig)),
            (".git/hooks/pre-commit", Some(HostRun::GitHook)),
            (".git/modules/lib/a/config", Some(HostRun::GitConfig)),
            (
                ".git/modules/lib/hooks/post-checkout",
                Some(HostRun::GitHook),
            ),
            (".git/worktrees/w/config.worktree", Some(HostRun::GitConfig)),
            ("sub/.git", Some(HostRun::GitPointer)),
            (".git/objects/ab/cdef", None),
            (".git/HEAD", None),
            (".envrc", Some(HostRun::Direnv)),
            ("web/.envrc", Some(HostRun::Direnv)),
            ("Makefile", Some(HostRun::Build)),
            ("node_modules/x/package.json", None),
            (".vscode/tasks.json", Some(HostRun::Editor)),
            (".idea/workspace.xml", Some(HostRun::Editor)),
            (".husky/pre-commit", Some(HostRun::HookManager)),
            (".pre-commit-config.yaml", Some(HostRun::HookManager)),
            (".github/workflows/ci.yml", Some(HostRun::Ci)),
            (".claude/settings.local.json", Some(HostRun::AgentConfig)),
            (".gemini/settings.json", Some(HostRun::AgentConfig)),
            (".mcp.json", Some(HostRun::AgentConfig)),
            (".codex/config.toml", Some(HostRun::AgentConfig)),
            ("src/main.rs", None),
            ("README.md", None),
        ] {
            assert_eq!(kind(path), expected, "{path}");
        }
    }

    #[test]
    fn a_writable_path_stays_in_the_project() {
        assert!(check_writable(".git/hooks").is_ok());
        for bad in ["", "/etc", "../x", ".git/../..", "a//b", "a\nb"] {
            assert!(check_writable(bad).is_err(), "{bad:?}");
        }
    }
}
