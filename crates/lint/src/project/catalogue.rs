//! What nixpilot knows about popular flakes without fetching them: their own inputs (for
//! `missing-follows` when there is no lock file) and the NixOS modules they export, with the
//! facts about each module that the host rules need.

/// One module a known flake exports, and what it does that matters to the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleFacts {
    pub name: &'static str,
    /// Sets `networking.hostId` with `mkDefault` (srvos's `common/zfs.nix`).
    pub defaults_host_id: bool,
    /// srvos's server profile: forces `networking.hostName` to "" (priority 1337), turns on
    /// OpenSSH with keys only from `users.users.<u>.openssh.authorizedKeys`.
    pub server_profile: bool,
    /// Asserts `systemd.network.networks."10-uplink".networkConfig.Address` is set
    /// (srvos `hardware-hetzner-online-*`).
    pub requires_uplink_address: bool,
    /// Brings the disko module (`disko.devices` options).
    pub disko: bool,
    /// Brings the sops-nix module (`sops.*` options).
    pub sops: bool,
}

const fn module(name: &'static str) -> ModuleFacts {
    ModuleFacts {
        name,
        defaults_host_id: false,
        server_profile: false,
        requires_uplink_address: false,
        disko: false,
        sops: false,
    }
}

const fn common(name: &'static str) -> ModuleFacts {
    ModuleFacts {
        defaults_host_id: true,
        ..module(name)
    }
}

const fn server(name: &'static str) -> ModuleFacts {
    ModuleFacts {
        defaults_host_id: true,
        server_profile: true,
        ..module(name)
    }
}

const fn hetzner(name: &'static str) -> ModuleFacts {
    ModuleFacts {
        requires_uplink_address: true,
        ..module(name)
    }
}

/// A flake nixpilot knows.
#[derive(Debug)]
pub struct KnownFlake {
    /// `owner/repo` on GitHub, lower case.
    pub repo: &'static str,
    /// The flake's own inputs (what a consumer may `follows`).
    pub inputs: &'static [&'static str],
    /// Its `nixosModules` (= `modules.nixos`), or `None` when the list is too long to keep
    /// (then any name is accepted).
    pub nixos_modules: Option<&'static [ModuleFacts]>,
}

/// The catalogue. Sources: each project's own flake.nix and the list of NixOS modules it
/// exports (the repository named in `repo`).
pub static KNOWN_FLAKES: &[KnownFlake] = &[
    KnownFlake {
        repo: "nix-community/srvos",
        inputs: &["nixpkgs"],
        nixos_modules: Some(&[
            common("common"),
            common("desktop"),
            server("server"),
            module("hardware-amazon"),
            module("hardware-digitalocean-droplet"),
            module("hardware-hetzner-cloud"),
            module("hardware-hetzner-cloud-arm"),
            hetzner("hardware-hetzner-online-amd"),
            hetzner("hardware-hetzner-online-arm"),
            hetzner("hardware-hetzner-online-ex101"),
            hetzner("hardware-hetzner-online-intel"),
            module("hardware-vultr-bare-metal"),
            module("hardware-vultr-vm"),
            module("mixins-cloud-init"),
            module("mixins-latest-zfs-kernel"),
            module("mixins-mdns"),
            module("mixins-nginx"),
            module("mixins-nix-experimental"),
            module("mixins-systemd-boot"),
            module("mixins-telegraf"),
            module("mixins-terminfo"),
            module("mixins-tracing"),
            module("mixins-trusted-nix-caches"),
            module("roles-github-actions-runner"),
            module("roles-nix-remote-builder"),
            module("roles-prometheus"),
        ]),
    },
    KnownFlake {
        repo: "nix-community/disko",
        inputs: &["nixpkgs"],
        nixos_modules: Some(&[
            ModuleFacts {
                disko: true,
                ..module("disko")
            },
            ModuleFacts {
                disko: true,
                ..module("default")
            },
        ]),
    },
    KnownFlake {
        repo: "mic92/sops-nix",
        inputs: &["nixpkgs"],
        nixos_modules: Some(&[
            ModuleFacts {
                sops: true,
                ..module("sops")
            },
            ModuleFacts {
                sops: true,
                ..module("default")
            },
        ]),
    },
    KnownFlake {
        repo: "nix-community/home-manager",
        inputs: &["nixpkgs"],
        nixos_modules: Some(&[module("home-manager"), module("default")]),
    },
    KnownFlake {
        repo: "nixos/nixos-hardware",
        // Since 2026-05 (d84f0810), only for its own checks; consumers follow it (Mic92/dotfiles).
        inputs: &["nixpkgs"],
        nixos_modules: None,
    },
    KnownFlake {
        repo: "numtide/blueprint",
        inputs: &["nixpkgs", "systems"],
        nixos_modules: Some(&[]),
    },
    KnownFlake {
        repo: "nixos/nixpkgs",
        inputs: &[],
        nixos_modules: Some(&[module("notDetected"), module("readOnlyPkgs")]),
    },
    KnownFlake {
        repo: "nix-systems/default",
        inputs: &[],
        nixos_modules: Some(&[]),
    },
    KnownFlake {
        repo: "numtide/treefmt-nix",
        inputs: &["nixpkgs"],
        nixos_modules: Some(&[]),
    },
    KnownFlake {
        repo: "lnl7/nix-darwin",
        inputs: &["nixpkgs"],
        nixos_modules: Some(&[]),
    },
    KnownFlake {
        repo: "nix-darwin/nix-darwin",
        inputs: &["nixpkgs"],
        nixos_modules: Some(&[]),
    },
];

/// The `owner/repo` of a flake URL, lower case: `github:Owner/Repo/ref`, `github:o/r?ref=x`,
/// `https://github.com/o/r`, `git+https://github.com/o/r.git`.
pub fn github_repo(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("github:")
        .or_else(|| url.strip_prefix("https://github.com/"))
        .or_else(|| url.strip_prefix("git+https://github.com/"))
        .or_else(|| url.strip_prefix("git+ssh://git@github.com/"))?;
    let rest = rest.split(['?', '#']).next()?;
    let mut parts = rest.split('/');
    let owner = parts.next().filter(|s| !s.is_empty())?;
    let repo = parts.next().filter(|s| !s.is_empty())?;
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    Some(format!("{}/{}", owner.to_lowercase(), repo.to_lowercase()))
}

/// The catalogue entry for a flake URL, if known.
pub fn known_flake(url: &str) -> Option<&'static KnownFlake> {
    let repo = github_repo(url)?;
    KNOWN_FLAKES.iter().find(|f| f.repo == repo)
}

impl KnownFlake {
    pub fn nixos_module(&self, name: &str) -> Option<&'static ModuleFacts> {
        self.nixos_modules?.iter().find(|m| m.name == name)
    }

    /// Whether `name` may be one of its modules (always true for an open list).
    pub fn may_export(&self, name: &str) -> bool {
        self.nixos_modules.is_none_or(|m| m.iter().any(|f| f.name == name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_github_urls() {
        assert_eq!(github_repo("github:Mic92/sops-nix").as_deref(), Some("mic92/sops-nix"));
        assert_eq!(
            github_repo("github:NixOS/nixpkgs/nixos-unstable").as_deref(),
            Some("nixos/nixpkgs")
        );
        assert_eq!(
            github_repo("github:NixOS/nixpkgs?ref=nixos-unstable").as_deref(),
            Some("nixos/nixpkgs")
        );
        assert_eq!(
            github_repo("git+https://github.com/nix-community/disko.git").as_deref(),
            Some("nix-community/disko")
        );
        assert_eq!(github_repo("path:./x"), None);
        assert!(
            known_flake("github:nix-community/srvos")
                .unwrap()
                .nixos_module("server")
                .unwrap()
                .server_profile
        );
    }
}
