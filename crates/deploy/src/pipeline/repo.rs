//! The repository as the pipeline sees it: its hosts, each host's pinned key, where it is
//! reached (`--target`, `hosts/<h>/deploy.toml`, its fqdn or hostName) and its disko disks.

use std::path::{Path, PathBuf};

use nixpilot_lint::project::disko::Disko;
use nixpilot_lint::project::{FileSource, Lookup, Project, Value};
use nixpilot_lint::vfs;

use super::ssh::{PinnedKey, SshConfig, Target};
use super::PipelineError;

/// One host to deploy: its name, where it is reached, its pinned key.
#[derive(Debug, Clone)]
pub struct HostPlan {
    pub name: String,
    pub target: Target,
    /// Where the target came from (`--target`, `hosts/web1/deploy.toml`, `networking.hostName`).
    pub target_source: String,
    pub pinned: PinnedKey,
    /// `[[health.http]]` checks from `hosts/<h>/deploy.toml`, run after the switch.
    pub http_checks: Vec<HttpCheck>,
}

impl HostPlan {
    /// How nixpilot connects to this host.
    pub fn ssh_config(&self, identity: Option<PathBuf>, connect_timeout: std::time::Duration) -> SshConfig {
        SshConfig {
            host_name: self.name.clone(),
            target: self.target.clone(),
            pinned: self.pinned.clone(),
            identity,
            connect_timeout,
        }
    }
}

/// An HTTP check a deploy must pass after the switch, or be rolled back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpCheck {
    pub url: String,
    /// The status to get (default 200).
    #[serde(default = "default_status")]
    pub status: u16,
    /// Text the response body must contain.
    pub contains: Option<String>,
    /// Seconds to keep trying after the switch (services take a moment to start; default 30).
    #[serde(default = "default_check_timeout")]
    pub timeout: u64,
    /// Where curl runs: `local` (this machine, through the network) or `host` (on the host,
    /// for services bound to localhost). Default `local`.
    #[serde(default)]
    pub from: CheckFrom,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckFrom {
    #[default]
    Local,
    Host,
}

fn default_status() -> u16 {
    200
}

fn default_check_timeout() -> u64 {
    30
}

/// The project root and its hosts, read once for every host of a run.
pub struct Repo {
    pub root: PathBuf,
    project: Project,
    /// Files the model wanted and did not read (a link leaving the repository, a FIFO, …),
    /// each with why, for the command to warn about.
    pub unread: Vec<(String, String)>,
}

/// The most of a host's `deploy.toml` or pinned key read.
const MAX_HOST_FILE_BYTES: u64 = 1 << 20;

impl Repo {
    pub fn open(dir: &Path) -> Result<Repo, PipelineError> {
        let err = |message: String| PipelineError::Host {
            host: "project".into(),
            message,
        };
        let root = vfs::find_project_root(dir).map_err(|e| err(e.to_string()))?;
        let config = vfs::load_config(&root).map_err(|e| err(e.to_string()))?;
        let source = vfs::DiskSource::new(&root, &config);
        let project = Project::build(&source as &dyn FileSource, &[]);
        let unread = source
            .unread()
            .into_iter()
            .map(|(p, why)| (p.to_string(), why))
            .collect();
        Ok(Repo { root, project, unread })
    }

    /// A host file's text, read like every repository file (`vfs::read_confined`); `None`
    /// when it does not exist.
    fn read_host_file(&self, relative: &str) -> Result<Option<String>, String> {
        match vfs::read_confined(&self.root, relative, MAX_HOST_FILE_BYTES) {
            Ok(bytes) => String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| format!("{relative}: not valid UTF-8")),
            Err(vfs::Unread::Missing) => Ok(None),
            Err(why) => Err(format!("{relative}: {why}")),
        }
    }

    pub fn host_names(&self) -> Vec<String> {
        self.project.hosts.iter().map(|h| h.name.clone()).collect()
    }

    /// Finds the host, its pinned key and its target: `target` (from `--target`), else
    /// `deployment.targetHost` in `hosts/<h>/deploy.toml`, else `networking.fqdn`, else
    /// `networking.hostName`.
    pub fn plan_host(&self, name: &str, target: Option<&str>) -> Result<HostPlan, PipelineError> {
        let err = |message: String| PipelineError::Host {
            host: name.to_string(),
            message,
        };
        // The name goes into a known_hosts alias and a systemd unit's environment.
        let plain = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
        if name.is_empty() || !name.chars().all(plain) {
            return Err(err(format!(
                "`{name}` is not a host name nixpilot can deploy (letters, digits, `-`, `_`, `.`)"
            )));
        }
        let Some(host) = self.project.hosts.iter().find(|h| h.name == name) else {
            let known = self.host_names();
            return Err(err(format!(
                "no NixOS host `{name}` in {} (hosts: {})",
                self.root.join("hosts").display(),
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            )));
        };
        let pub_file = format!("{}/ssh_host_ed25519_key.pub", host.dir);
        let text = match self.read_host_file(&pub_file) {
            Ok(Some(text)) => text,
            Ok(None) => {
                return Err(err(format!(
                    "cannot read the pinned host key {pub_file} (no such file); `nixpilot bootstrap {name}` makes one"
                )))
            }
            Err(why) => return Err(err(format!("cannot read the pinned host key {why}"))),
        };
        let pinned = PinnedKey::parse(&text, &pub_file).map_err(err)?;

        let deploy_toml = format!("{}/deploy.toml", host.dir);
        let settings = match self.read_host_file(&deploy_toml).map_err(err)? {
            Some(text) => parse_deploy_toml(&text, &self.root.join(&deploy_toml)).map_err(err)?,
            None => DeploySettings::default(),
        };
        let (target, target_source) = if let Some(t) = target {
            (Target::parse(t).map_err(err)?, "--target".to_string())
        } else if let Some(t) = settings.target {
            (t, deploy_toml)
        } else {
            let string_option = |path: &[&str]| match host.lookup(path) {
                Lookup::Defined(defs) => defs.iter().find_map(|d| match &d.value {
                    Value::Str(s) => Some(s.clone()),
                    _ => None,
                }),
                _ => None,
            };
            let (addr, from) = match string_option(&["networking", "fqdn"]) {
                Some(f) => (f, "networking.fqdn"),
                None => match string_option(&["networking", "hostName"]) {
                    Some(h) => (h, "networking.hostName"),
                    None => {
                        return Err(err(format!(
                            "no target: pass --target root@ADDRESS, or set deployment.targetHost in {deploy_toml}"
                        )))
                    }
                },
            };
            (Target::parse(&addr).map_err(err)?, from.to_string())
        };
        Ok(HostPlan {
            name: name.to_string(),
            target,
            target_source,
            pinned,
            http_checks: settings.http_checks,
        })
    }
}

/// What `hosts/<h>/deploy.toml` says.
#[derive(Default)]
struct DeploySettings {
    target: Option<Target>,
    http_checks: Vec<HttpCheck>,
}

/// `hosts/<h>/deploy.toml`:
/// ```toml
/// [deployment]
/// targetHost = "203.0.113.10"   # or "root@203.0.113.10:22"
/// targetUser = "root"           # optional
/// targetPort = 22               # optional
///
/// [[health.http]]               # optional, any number
/// url = "https://odoo.example.com/web/login"
/// status = 200                  # default 200
/// contains = "Odoo"             # optional
/// timeout = 30                  # seconds to keep trying, default 30
/// from = "local"                # or "host": curl runs on the host
/// ```
fn parse_deploy_toml(text: &str, path: &Path) -> Result<DeploySettings, String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        deployment: Option<Deployment>,
        health: Option<Health>,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Deployment {
        target_host: Option<String>,
        target_user: Option<String>,
        target_port: Option<u16>,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Health {
        #[serde(default)]
        http: Vec<HttpCheck>,
    }
    let file: File = toml::from_str(text).map_err(|e| format!("{}: {e}", path.display()))?;
    let http_checks = file.health.map(|h| h.http).unwrap_or_default();
    for (i, c) in http_checks.iter().enumerate() {
        let bad = |what: String| format!("{}: health.http[{i}]: {what}", path.display());
        if !(c.url.starts_with("http://") || c.url.starts_with("https://")) || c.url.contains(char::is_whitespace) {
            return Err(bad(format!("url `{}` must be an http:// or https:// URL", c.url)));
        }
        if !(100..=599).contains(&c.status) {
            return Err(bad(format!("status {} is not an HTTP status", c.status)));
        }
        if c.timeout == 0 {
            return Err(bad("timeout must be at least 1 second".into()));
        }
    }
    let mut settings = DeploySettings {
        target: None,
        http_checks,
    };
    let Some(d) = file.deployment else { return Ok(settings) };
    let Some(host) = d.target_host else { return Ok(settings) };
    let mut target = Target::parse(&host).map_err(|e| format!("{}: deployment.targetHost: {e}", path.display()))?;
    if let Some(u) = d.target_user {
        super::ssh::check_user(&u).map_err(|e| format!("{}: deployment.targetUser: {e}", path.display()))?;
        target.user = u;
    }
    if d.target_port.is_some() {
        target.port = d.target_port;
    }
    settings.target = Some(target);
    Ok(settings)
}

/// A disk the host's disko configuration formats, with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskDevice {
    /// `disko.devices.disk.<name>`.
    pub name: String,
    /// `/dev/nvme0n1`, `/dev/disk/by-id/…`; `None` when computed (not checked).
    pub device: Option<String>,
    /// `hosts/web1/disko.nix:5`.
    pub defined_at: String,
}

impl Repo {
    fn host(&self, name: &str) -> Option<&nixpilot_lint::project::HostView> {
        self.project.hosts.iter().find(|h| h.name == name)
    }

    /// `file:line` of a definition.
    fn location(&self, file: &str, offset: rowan::TextSize) -> String {
        match self.project.file(file) {
            Some(f) => format!("{file}:{}", f.source.line_index(offset) + 1),
            None => file.to_string(),
        }
    }

    /// The disks the host's disko configuration names (read statically, like the lint rules).
    pub fn disks(&self, name: &str) -> Vec<DiskDevice> {
        let Some(host) = self.host(name) else {
            return Vec::new();
        };
        let disko = Disko::for_host(host);
        disko
            .devices
            .entries(&["disk"])
            .0
            .into_iter()
            .map(|(disk, node)| {
                let field = node.field(&["device"]);
                let (device, defined_at) = match field.lit() {
                    Some(lit) => (
                        field.str().map(str::to_string),
                        self.location(&lit.file, lit.range.start()),
                    ),
                    None => (None, format!("disko.devices.disk.{disk}")),
                };
                DiskDevice {
                    name: disk.to_string(),
                    device,
                    defined_at,
                }
            })
            .collect()
    }

    /// `nixpkgs.hostPlatform` when it is a plain string, with where it is set.
    pub fn host_platform(&self, name: &str) -> Option<(String, String)> {
        let host = self.host(name)?;
        let Lookup::Defined(defs) = host.lookup(&["nixpkgs", "hostPlatform"]) else {
            return None;
        };
        defs.iter().find_map(|d| match &d.value {
            Value::Str(s) => Some((s.clone(), self.location(&d.file, d.range.start()))),
            _ => None,
        })
    }
}
