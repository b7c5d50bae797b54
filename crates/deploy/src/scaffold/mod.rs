//! `nixpilot init`, `host add` and `bootstrap`: each builds a `Plan` (files to write or
//! remove, with the reason for each) that `--dry-run` prints and `apply` carries out.
//!
//! Plans are made completely before anything is written, so a validation error or a
//! refused overwrite leaves the disk untouched; writes are atomic (temp file + rename).

pub mod bootstrap;
pub mod host;
pub mod host_key;
pub mod init;
pub mod sops_rules;
pub mod templates;
pub mod validate;

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::secrets::SecretsError;
use nixpilot_sops::ssh_to_age;

#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error(transparent)]
    Input(#[from] validate::InputError),
    #[error("refusing to overwrite existing files (use --force to replace them):\n{}", .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Exists(Vec<String>),
    #[error("{dir} exists; nothing was written. What --force would do with its files:\n{}", .files.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    HostExists { dir: String, files: Vec<String> },
    #[error("refusing to overwrite files edited since `host add` wrote them; nothing was written:\n{}\n--force rewrites only files exactly as host add wrote them: move these away to have them written anew, or change them by hand", .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Edited(Vec<String>),
    #[error("{found} exists but {missing} does not: run `nixpilot bootstrap {host}` first (it moves the key into {missing}), then `host add --force` keeps it")]
    KeyNeedsBootstrap {
        host: String,
        found: String,
        missing: String,
    },
    #[error(
        "no admin SSH key: {looked} does not exist; make one with `ssh-keygen -t ed25519` or pass --admin-key FILE"
    )]
    NoAdminKey { looked: PathBuf },
    #[error("{file}: no ssh-ed25519 public key in it (age, and so nixpilot, needs ed25519 keys); pass another with --admin-key FILE")]
    AdminKeyNotEd25519 { file: PathBuf },
    #[error("no admin keys: no ssh-ed25519 line in users/*/authorized_keys under {root}; secrets would be readable by the host only (run `nixpilot init` or add users/<you>/authorized_keys)")]
    NoAdmins { root: PathBuf },
    #[error("{dir}: not in a flake repository (no flake.nix here or above); run `nixpilot init` first")]
    NotARepo { dir: PathBuf },
    #[error(
        "host `{host}` does not exist: {dir} has no configuration.nix (create it with `nixpilot host add {host}`)"
    )]
    NoSuchHost { host: String, dir: PathBuf },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Secrets(Box<SecretsError>),
    #[error(transparent)]
    SopsYaml(#[from] sops_rules::SopsYamlError),
    #[error("{file}: {source}")]
    HostKey {
        file: String,
        source: host_key::HostKeyError,
    },
    #[error("{pub_file} exists but its private key is in neither {secrets} nor {plain}; it cannot be recovered. If the machine is not installed yet, delete {pub_file} and run bootstrap again to make a new key")]
    LostPrivateKey {
        pub_file: String,
        secrets: String,
        plain: String,
    },
    #[error("{what} does not match {pub_file}: the repository holds two different host keys; keep one (delete the other) and run bootstrap again")]
    KeyMismatch { what: String, pub_file: String },
    #[error("{file} cannot be opened with your keys, and bootstrap must {why}: {source}")]
    NeedIdentity {
        file: String,
        why: &'static str,
        source: Box<SecretsError>,
    },
    #[error("git {args}: {message}")]
    Git { args: String, message: String },
}

// Boxed: SecretsError is large, and these errors travel through every `?`.
impl From<SecretsError> for ScaffoldError {
    fn from(e: SecretsError) -> Self {
        ScaffoldError::Secrets(Box::new(e))
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ScaffoldError + '_ {
    move |source| ScaffoldError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One file a plan writes. Contents are never secret in plain text: private keys only
/// reach a plan already encrypted.
#[derive(Debug, Clone)]
pub struct PlannedFile {
    /// Relative to the plan's root, `/`-separated.
    pub path: String,
    pub contents: Vec<u8>,
    pub mode: u32,
    pub existed: bool,
    /// Why it is written (shown by `--dry-run` and after the run).
    pub reason: String,
}

/// Everything one command will do.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub root: PathBuf,
    pub files: Vec<PlannedFile>,
    /// Files to delete after every write succeeded (a plaintext key now kept encrypted).
    pub removals: Vec<(String, String)>,
    /// Things said without writing (checks that passed, warnings).
    pub notes: Vec<String>,
    /// Run `git init` when the root is not inside a git work tree.
    pub git_init: bool,
}

impl Plan {
    pub fn add(&mut self, path: &str, contents: impl Into<Vec<u8>>, mode: u32, reason: impl Into<String>) {
        let existed = self.root.join(path).exists();
        self.files.push(PlannedFile {
            path: path.to_string(),
            contents: contents.into(),
            mode,
            existed,
            reason: reason.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.removals.is_empty()
    }

    /// The plan as lines (`--dry-run`); `done` chooses the tense.
    pub fn describe(&self, done: bool) -> String {
        let mut out = String::new();
        for f in &self.files {
            let verb = match (f.existed, done) {
                (false, false) => "create",
                (false, true) => "created",
                (true, false) => "update",
                (true, true) => "updated",
            };
            out.push_str(&format!("{verb} {}: {}\n", f.path, f.reason));
        }
        for (path, why) in &self.removals {
            out.push_str(&format!("{} {path}: {why}\n", if done { "removed" } else { "remove" }));
        }
        if self.git_init {
            out.push_str(if done { "ran git init\n" } else { "run git init\n" });
        }
        if !self.files.is_empty() {
            out.push_str(if done {
                "ran git add on the written files (flakes only see files git tracks)\n"
            } else {
                "run git add on the written files (flakes only see files git tracks)\n"
            });
        }
        for n in &self.notes {
            out.push_str(&format!("note: {n}\n"));
        }
        out
    }

    /// Writes every file (atomically, in order), removes what is to be removed, then
    /// `git init` / `git add`. Returns warnings that did not stop the run.
    pub fn apply(&self) -> Result<Vec<String>, ScaffoldError> {
        let mut warnings = Vec::new();
        for f in &self.files {
            write_atomic(&self.root.join(&f.path), &f.contents, f.mode)?;
        }
        for (path, _) in &self.removals {
            let full = self.root.join(path);
            std::fs::remove_file(&full).map_err(io_err(&full))?;
        }
        match git_prepare(&self.root, self.git_init) {
            Ok(true) => {
                let written: Vec<PathBuf> = self.files.iter().map(|f| self.root.join(&f.path)).collect();
                git_add_files(&self.root, &written)?;
                for (path, _) in &self.removals {
                    git(
                        &self.root,
                        &["rm", "--cached", "--quiet", "--ignore-unmatch", "--", path],
                    )?;
                }
            }
            Ok(false) => warnings.push(format!(
                "{} is not a git repository: run `git init && git add .` (flakes only see files git tracks)",
                self.root.display()
            )),
            Err(GitMissing) => warnings.push(
                "git was not found on PATH: run `git init && git add .` yourself (flakes only see files git tracks)"
                    .into(),
            ),
        }
        Ok(warnings)
    }
}

/// Temp file in the same directory, mode set before any byte is written, fsync, rename.
fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<(), ScaffoldError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".nixpilot-")
        .tempfile_in(dir)
        .map_err(io_err(dir))?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(io_err(path))?;
    tmp.write_all(contents).map_err(io_err(path))?;
    tmp.as_file().sync_all().map_err(io_err(path))?;
    tmp.persist(path).map_err(|e| ScaffoldError::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

struct GitMissing;

/// What `git_add` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitAdded {
    Added,
    /// `dir` is not inside a git work tree: nothing to add to.
    NotARepository,
    /// No `git` on PATH.
    NoGit,
}

/// Settings given to every git nixpilot runs. The repository may come from anyone, and its
/// `.git/config` must not make nixpilot run a program: no fsmonitor daemon, no hooks
/// (`post-index-change` runs on `git add`). Filters are avoided by adding files with
/// `hash-object --no-filters` (see `git_add_files`).
const GIT_SAFE_CONFIG: [&str; 4] = ["-c", "core.fsmonitor=", "-c", "core.hooksPath=/dev/null"];

fn git_command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.args(GIT_SAFE_CONFIG).arg("-C").arg(dir);
    cmd
}

/// Whether `root` is (now) inside a git work tree; runs `git init` when asked to.
fn git_prepare(root: &Path, init: bool) -> Result<bool, GitMissing> {
    let inside = git_command(root)
        .args(["rev-parse", "--is-inside-work-tree"])
        .output()
        .map_err(|_| GitMissing)?;
    if inside.status.success() {
        return Ok(true);
    }
    if !init {
        return Ok(false);
    }
    Ok(git(root, &["init", "--quiet"]).is_ok())
}

fn git_output(root: &Path, args: &[&str]) -> Result<String, ScaffoldError> {
    let out = git_command(root).args(args).output().map_err(|e| ScaffoldError::Git {
        args: args.join(" "),
        message: e.to_string(),
    })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(ScaffoldError::Git {
            args: args.join(" "),
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

fn git(root: &Path, args: &[&str]) -> Result<(), ScaffoldError> {
    git_output(root, args).map(drop)
}

/// `git add` for files nixpilot wrote under `dir` (flakes only see files git tracks), when
/// `dir` is in a git work tree. Done as `hash-object --no-filters` + `update-index`: `git add`
/// would run the clean filters a repository's `.gitattributes` and config name.
pub fn git_add(dir: &Path, files: &[PathBuf]) -> Result<GitAdded, ScaffoldError> {
    match git_prepare(dir, false) {
        Ok(true) => {
            git_add_files(dir, files)?;
            Ok(GitAdded::Added)
        }
        Ok(false) => Ok(GitAdded::NotARepository),
        Err(GitMissing) => Ok(GitAdded::NoGit),
    }
}

fn git_add_files(dir: &Path, files: &[PathBuf]) -> Result<(), ScaffoldError> {
    if files.is_empty() {
        return Ok(());
    }
    let top = PathBuf::from(git_output(dir, &["rev-parse", "--show-toplevel"])?.trim_end_matches('\n'));
    let top = top.canonicalize().map_err(io_err(&top))?;
    // update-index takes paths from the top of the work tree, whatever the current folder.
    let mut entries = Vec::new();
    for file in files {
        let full = file.canonicalize().map_err(io_err(file))?;
        let Ok(rel) = full.strip_prefix(&top) else {
            return Err(ScaffoldError::Git {
                args: "add".into(),
                message: format!("{} is outside the work tree {}", file.display(), top.display()),
            });
        };
        let rel = rel.to_str().ok_or_else(|| ScaffoldError::Git {
            args: "add".into(),
            message: format!("{}: not a UTF-8 path", file.display()),
        })?;
        let executable = full.metadata().map_err(io_err(&full))?.permissions().mode() & 0o111 != 0;
        entries.push((rel.to_string(), if executable { "100755" } else { "100644" }));
    }
    let mut hash = vec!["hash-object", "-w", "--no-filters", "--"];
    hash.extend(entries.iter().map(|(rel, _)| rel.as_str()));
    let ids = git_output(&top, &hash)?;
    let ids: Vec<&str> = ids.lines().collect();
    if ids.len() != entries.len() {
        return Err(ScaffoldError::Git {
            args: "hash-object".into(),
            message: format!("{} object ids for {} files", ids.len(), entries.len()),
        });
    }
    let cacheinfo: Vec<String> = entries
        .iter()
        .zip(&ids)
        .map(|((rel, mode), id)| format!("{mode},{id},{rel}"))
        .collect();
    let mut update = vec!["update-index", "--add"];
    for c in &cacheinfo {
        update.extend(["--cacheinfo", c.as_str()]);
    }
    git(&top, &update)
}

/// The flake repository holding `dir` (nearest `flake.nix` at or above it).
pub fn find_repo(dir: &Path) -> Result<PathBuf, ScaffoldError> {
    let abs = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir().map_err(io_err(dir))?.join(dir)
    };
    // `./x` would show up as `/cwd/./x` in messages.
    let abs: PathBuf = abs
        .components()
        .filter(|c| *c != std::path::Component::CurDir)
        .collect();
    let mut cur = Some(abs.as_path());
    while let Some(d) = cur {
        if d.join("flake.nix").is_file() {
            return Ok(d.to_path_buf());
        }
        cur = d.parent();
    }
    Err(ScaffoldError::NotARepo { dir: abs })
}

/// The admins: ssh-to-age of every ed25519 key in `users/<user>/authorized_keys` (the keys
/// root accepts), sorted by user. Other key types are skipped: age cannot use them.
pub fn admin_recipients(root: &Path) -> Result<Vec<sops_rules::Recipient>, ScaffoldError> {
    let users = root.join("users");
    let mut names: Vec<String> = match std::fs::read_dir(&users) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .filter(|e| e.path().join("authorized_keys").is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io_err(&users)(e)),
    };
    names.sort();
    let mut out: Vec<sops_rules::Recipient> = Vec::new();
    for user in names {
        let file = users.join(&user).join("authorized_keys");
        let text = std::fs::read_to_string(&file).map_err(io_err(&file))?;
        let (keys, _skipped) = ssh_to_age::convert_public_keys(&text);
        for key in keys {
            if !out.iter().any(|r| r.key == key) {
                out.push(sops_rules::Recipient {
                    key,
                    comment: format!("admin {user} (users/{user}/authorized_keys)"),
                });
            }
        }
    }
    if out.is_empty() {
        return Err(ScaffoldError::NoAdmins {
            root: root.to_path_buf(),
        });
    }
    Ok(out)
}
