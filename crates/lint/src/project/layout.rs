//! blueprint's folder conventions: which host directories, modules, users and per-system
//! files exist, and which file blueprint would load for each (first match wins).

use std::collections::BTreeMap;

use super::source::{EntryKind, FileSource};
use crate::diagnostic::FilePath;

/// The entry files of a host directory, in blueprint's precedence order (`loadHost`).
pub const HOST_ENTRY_FILES: &[(&str, HostClass)] = &[
    ("default.nix", HostClass::Custom),
    ("configuration.nix", HostClass::Nixos),
    ("rpi-configuration.nix", HostClass::Nixos),
    ("darwin-configuration.nix", HostClass::Darwin),
    ("system-configuration.nix", HostClass::SystemManager),
];

/// What kind of system a host entry makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostClass {
    /// `default.nix` returns `{ class; value; }`; the class is not known statically.
    Custom,
    Nixos,
    Darwin,
    SystemManager,
}

/// The file blueprint loads for a host.
#[derive(Debug, Clone)]
pub struct HostEntry {
    pub file: FilePath,
    pub class: HostClass,
}

/// One `hosts/<name>/` directory.
#[derive(Debug, Clone)]
pub struct HostDir {
    pub name: String,
    /// Project-relative directory (`hosts/web1`, or `nix/hosts/web1` with a prefix).
    pub dir: String,
    pub entry: Option<HostEntry>,
    /// Entry files present but shadowed by a higher-precedence one.
    pub shadowed_entries: Vec<FilePath>,
    /// home-manager users under `hosts/<name>/users/`.
    pub home_users: Vec<String>,
}

/// A module under `modules/<class>/`.
#[derive(Debug, Clone)]
pub struct ModuleEntry {
    pub name: String,
    /// The file to load: `<name>.nix` or `<name>/default.nix` (`None`: a directory without one).
    pub file: Option<FilePath>,
    /// `<name>.nix` or `<name>` (the directory).
    pub path: String,
}

/// The repository as blueprint sees it.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The source root, `""` or the prefix without trailing `/`.
    pub root: String,
    pub hosts: Vec<HostDir>,
    /// `hosts/<x>.nix` files: blueprint treats each as a host without a configuration.
    pub stray_host_files: Vec<FilePath>,
    /// `modules/<class>/<name>` by class (`nixos`, `darwin`, `home`, …) and name.
    pub modules: BTreeMap<String, BTreeMap<String, ModuleEntry>>,
    /// `users/<name>/` directories.
    pub users: Vec<String>,
    /// Blueprint's per-folder outputs that exist (`devshell.nix`, `packages`, `checks`, `lib`, …).
    pub present: Vec<String>,
    /// The legacy `pkgs/` folder (ignored by blueprint: "the /pkgs folder is now /packages").
    pub legacy_pkgs_dir: bool,
}

fn join(root: &str, rest: &str) -> String {
    if root.is_empty() {
        rest.to_string()
    } else {
        format!("{root}/{rest}")
    }
}

impl Layout {
    pub fn discover(source: &dyn FileSource, prefix: Option<&str>) -> Layout {
        let root = prefix
            .unwrap_or("")
            .trim_matches('/')
            .trim_start_matches("./")
            .to_string();
        let mut layout = Layout {
            root: root.clone(),
            ..Layout::default()
        };

        let hosts_dir = join(&root, "hosts");
        for (name, kind) in source.list_dir(&hosts_dir).unwrap_or_default() {
            let path = format!("{hosts_dir}/{name}");
            match kind {
                EntryKind::File if name.ends_with(".nix") => layout.stray_host_files.push(path.into()),
                EntryKind::File => {}
                EntryKind::Dir => layout.hosts.push(host_dir(source, &name, &path)),
            }
        }

        let modules_dir = join(&root, "modules");
        for (class, kind) in source.list_dir(&modules_dir).unwrap_or_default() {
            if kind != EntryKind::Dir {
                continue;
            }
            let class_dir = format!("{modules_dir}/{class}");
            let mut entries: BTreeMap<String, ModuleEntry> = BTreeMap::new();
            for (entry, kind) in source.list_dir(&class_dir).unwrap_or_default() {
                match kind {
                    EntryKind::File => {
                        if let Some(name) = entry.strip_suffix(".nix") {
                            // `<n>.nix` wins over `<n>/`.
                            let path = format!("{class_dir}/{entry}");
                            entries.insert(
                                name.to_string(),
                                ModuleEntry {
                                    name: name.to_string(),
                                    file: Some(path.as_str().into()),
                                    path,
                                },
                            );
                        }
                    }
                    EntryKind::Dir => {
                        let path = format!("{class_dir}/{entry}");
                        let default = format!("{path}/default.nix");
                        let file = (source.kind(&default) == Some(EntryKind::File)).then(|| default.as_str().into());
                        entries.entry(entry.clone()).or_insert(ModuleEntry {
                            name: entry,
                            file,
                            path,
                        });
                    }
                }
            }
            layout.modules.insert(class, entries);
        }

        let users_dir = join(&root, "users");
        layout.users = source
            .list_dir(&users_dir)
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, k)| *k == EntryKind::Dir)
            .map(|(n, _)| n)
            .collect();

        for name in [
            "devshell.nix",
            "devshell.toml",
            "devshells",
            "package.nix",
            "packages",
            "checks",
            "lib",
            "formatter.nix",
            "templates",
        ] {
            if source.exists(&join(&root, name)) {
                layout.present.push(name.to_string());
            }
        }
        layout.legacy_pkgs_dir = source.kind(&join(&root, "pkgs")) == Some(EntryKind::Dir);
        layout
    }

    /// The module `modules/<class>/<name>`, if it exists.
    pub fn module(&self, class: &str, name: &str) -> Option<&ModuleEntry> {
        self.modules.get(class)?.get(name)
    }

    pub fn host(&self, name: &str) -> Option<&HostDir> {
        self.hosts.iter().find(|h| h.name == name)
    }
}

fn host_dir(source: &dyn FileSource, name: &str, dir: &str) -> HostDir {
    let mut entry = None;
    let mut shadowed_entries = Vec::new();
    for (file, class) in HOST_ENTRY_FILES {
        let path = format!("{dir}/{file}");
        if source.kind(&path) == Some(EntryKind::File) {
            if entry.is_none() {
                entry = Some(HostEntry {
                    file: path.as_str().into(),
                    class: *class,
                });
            } else {
                shadowed_entries.push(path.as_str().into());
            }
        }
    }
    let users_dir = format!("{dir}/users");
    let home_users = source
        .list_dir(&users_dir)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(n, k)| match k {
            EntryKind::File => n.strip_suffix(".nix").map(str::to_string),
            EntryKind::Dir => source
                .exists(&format!("{users_dir}/{n}/home-configuration.nix"))
                .then_some(n),
        })
        .collect();
    HostDir {
        name: name.to_string(),
        dir: dir.to_string(),
        entry,
        shadowed_entries,
        home_users,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::MemorySource;

    #[test]
    fn discovers_blueprint_folders() {
        let src = MemorySource::from_fixture(
            "//- /flake.nix\n{}\n//- /hosts/a/configuration.nix\n{}\n//- /hosts/a/default.nix\n{}\n\
             //- /hosts/b/README.md\nx\n//- /hosts/common.nix\n{}\n//- /modules/nixos/server.nix\n{}\n\
             //- /modules/nixos/server/default.nix\n{}\n//- /modules/nixos/web/default.nix\n{}\n\
             //- /modules/nixos/empty/x.txt\n\n//- /users/alice/authorized_keys\nk\n//- /devshell.nix\n{}\n",
        );
        let l = Layout::discover(&src, None);
        let a = l.host("a").unwrap();
        assert_eq!(a.entry.as_ref().unwrap().file.as_ref(), "hosts/a/default.nix");
        assert_eq!(a.shadowed_entries.len(), 1);
        assert!(l.host("b").unwrap().entry.is_none());
        assert_eq!(l.stray_host_files[0].as_ref(), "hosts/common.nix");
        assert_eq!(
            l.module("nixos", "server").unwrap().file.as_deref(),
            Some("modules/nixos/server.nix")
        );
        assert_eq!(
            l.module("nixos", "web").unwrap().file.as_deref(),
            Some("modules/nixos/web/default.nix")
        );
        assert!(l.module("nixos", "empty").unwrap().file.is_none());
        assert_eq!(l.users, ["alice"]);
        assert_eq!(l.present, ["devshell.nix"]);
    }
}
