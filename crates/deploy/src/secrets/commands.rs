//! The `nixpilot secrets …` and `nixpilot keys age-from-ssh` operations as library calls:
//! each locks, reads, changes and writes one file; the binary parses arguments and prints.
//!
//! Every change follows one path: `WriteLock` → `SopsFile::read` → change → `write`
//! (atomic, mode kept). Errors name the file and end with a hint on what to do; none
//! carries a value or key.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::age_keys::Recipient;
use super::atomic::{WriteError, WriteLock};
use super::config::{self, ConfigError, LoadedConfig};
use super::edit::{self, EditError, EditSession, SignalGuard};
use super::error::SecretsError;
use super::file::{EncryptOptions, ExtractError, KeyChanges, PlainTree, SopsFile, DEFAULT_YAML_INDENT};
use super::identity::{Identities, IdentityEnv};
use super::password::{self, PasswordError};
use crate::scaffold::{git_add, GitAdded};
use nixpilot_sops::ssh_to_age::{self, SshToAgeError};
use nixpilot_sops::{keypath, Format, FormatError, Map, Value};

/// What the operations read from their surroundings, passed in so tests
/// (and the language server) choose it.
#[derive(Debug, Clone)]
pub struct Context {
    /// The working directory: `.sops.yaml` is looked for here and in its parents,
    /// as sops does, then beside the file. Relative file paths are taken as
    /// relative to the process's working directory, which should be this one.
    pub cwd: PathBuf,
    pub identity_env: IdentityEnv,
}

impl Context {
    pub fn from_process() -> io::Result<Context> {
        Ok(Context {
            cwd: std::env::current_dir()?,
            identity_env: IdentityEnv::from_process(),
        })
    }

    fn identities(&self) -> Identities {
        Identities::load(&self.identity_env)
    }

    /// The file's absolute path with `..` and symlinks of its directory resolved, so a
    /// creation rule matches `../hosts/a/secrets.yaml` as it matches `hosts/a/secrets.yaml`.
    /// For a new file in folders still to be made, the nearest existing folder is resolved.
    fn absolute(&self, file: &Path) -> PathBuf {
        let joined = self.cwd.join(file);
        let Some(dir) = joined.parent() else { return joined };
        let mut existing = dir;
        while !existing.is_dir() {
            match existing.parent() {
                Some(up) => existing = up,
                None => return joined,
            }
        }
        match (existing.canonicalize(), joined.strip_prefix(existing)) {
            (Ok(real), Ok(rest)) => real.join(rest),
            _ => joined,
        }
    }

    /// The `.sops.yaml` that applies to `file`, if any.
    fn config_for(&self, file: &Path) -> Result<Option<LoadedConfig>, CommandError> {
        let beside = self.absolute(file).parent().map(Path::to_path_buf);
        let found = config::find_config(&self.cwd).or_else(|| beside.as_deref().and_then(config::find_config));
        match found {
            Some(path) => Ok(Some(LoadedConfig::read(&path)?)),
            None => Ok(None),
        }
    }

    fn yaml_indent(&self, file: &Path) -> Result<usize, CommandError> {
        Ok(self
            .config_for(file)?
            .and_then(|c| c.config.yaml_indent)
            .unwrap_or(DEFAULT_YAML_INDENT))
    }

    /// The creation rule for `file`: its recipients and encryption settings.
    fn creation_rule(&self, file: &Path) -> Result<CreationPlan, CommandError> {
        let Some(cfg) = self.config_for(file)? else {
            return Err(CommandError::NoConfig {
                cwd: self.cwd.clone(),
                file: file.to_path_buf(),
            });
        };
        let rule = cfg.rule_for(&self.absolute(file))?;
        Ok(CreationPlan {
            repository: cfg.path.parent().map(Path::to_path_buf).unwrap_or_default(),
            recipients: cfg.recipients(rule)?,
            options: cfg.encrypt_options(rule),
            rule: RuleRef {
                // Shown relative to the working directory when it is below it.
                config: cfg.path.strip_prefix(&self.cwd).unwrap_or(&cfg.path).to_path_buf(),
                path_regex: rule.path_regex.clone(),
            },
        })
    }
}

/// Which creation rule was used (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    pub config: PathBuf,
    pub path_regex: Option<String>,
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path_regex {
            Some(re) => write!(f, "the rule `path_regex: {re}` of {}", self.config.display()),
            None => write!(f, "the rule without path_regex of {}", self.config.display()),
        }
    }
}

struct CreationPlan {
    /// The folder of the `.sops.yaml` the rule comes from: new folders are made only below it.
    repository: PathBuf,
    recipients: Vec<Recipient>,
    options: EncryptOptions,
    rule: RuleRef,
}

/// An error of one operation, with a hint on what to do next.
#[derive(Debug)]
pub enum CommandError {
    Secrets(SecretsError),
    Config(ConfigError),
    NoConfig {
        cwd: PathBuf,
        file: PathBuf,
    },
    Io {
        path: PathBuf,
        source: io::Error,
    },
    Extract {
        file: PathBuf,
        key_path: String,
        source: ExtractError,
        keys: Vec<String>,
    },
    AlreadyEncrypted {
        file: PathBuf,
    },
    Edit {
        file: PathBuf,
        source: EditError,
    },
    InvalidEdit {
        file: PathBuf,
        source: SecretsError,
    },
    Password(PasswordError),
    SshKey {
        file: PathBuf,
        source: SshToAgeError,
    },
    NoEd25519Key {
        file: PathBuf,
        private_key: bool,
    },
    /// The recipients `updatekeys` would change are not the ones the user agreed to.
    KeysChangedSinceAsked {
        file: PathBuf,
    },
    /// A new file's folder is missing and lies outside the repository (or is reached by `..`).
    OutsideRepository {
        file: PathBuf,
        repository: PathBuf,
    },
}

impl From<SecretsError> for CommandError {
    fn from(e: SecretsError) -> Self {
        CommandError::Secrets(e)
    }
}

impl From<ConfigError> for CommandError {
    fn from(e: ConfigError) -> Self {
        CommandError::Config(e)
    }
}

impl From<WriteError> for CommandError {
    fn from(e: WriteError) -> Self {
        CommandError::Secrets(SecretsError::Write(e))
    }
}

const RESTORE: &str = "restore it from version control (e.g. `git checkout -- {file}`) or a backup; \
     change secrets only with `nixpilot secrets edit`/`set` or sops";

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::Secrets(e) => write!(f, "{e}")?,
            CommandError::Config(e) => write!(f, "{e}")?,
            CommandError::NoConfig { cwd, file } => write!(
                f,
                "no .sops.yaml in {} or its parents, nor beside {}: nixpilot needs a creation rule to know \
                 who may read this file",
                cwd.display(),
                file.display()
            )?,
            CommandError::Io { path, source } => write!(f, "{}: {source}", path.display())?,
            CommandError::Extract {
                file, key_path, source, ..
            } => write!(f, "{}: `{key_path}`: {source}", file.display())?,
            CommandError::AlreadyEncrypted { file } => {
                write!(f, "{}: the file is already sops-encrypted", file.display())?
            }
            CommandError::Edit { file, source } => write!(f, "{}: {source}; the file is unchanged", file.display())?,
            CommandError::InvalidEdit { source, .. } => {
                write!(f, "{source}; the file is unchanged and your edits are discarded")?
            }
            CommandError::Password(e) => write!(f, "{e}")?,
            CommandError::SshKey { file, source } => write!(f, "{}: {source}", file.display())?,
            CommandError::NoEd25519Key { file, .. } => write!(f, "{}: no ed25519 key found", file.display())?,
            CommandError::KeysChangedSinceAsked { file } => write!(
                f,
                "{}: the file or its .sops.yaml rule changed after the change of recipients was shown; \
                 nothing was written",
                file.display()
            )?,
            CommandError::OutsideRepository { file, repository } => write!(
                f,
                "{}: its folder does not exist, and nixpilot makes folders only inside {} (where .sops.yaml is), \
                 never through `..`",
                file.display(),
                repository.display()
            )?,
        }
        if let Some(hint) = self.hint() {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CommandError {}

impl CommandError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            CommandError::Secrets(e) => return secrets_hint(e).map(|h| with_file(h, secrets_file(e))),
            CommandError::Config(ConfigError::NoMatch { config, target }) => format!(
                "add a rule to {} whose path_regex matches `{target}`, with the age recipients that may read it \
                 (`nixpilot keys age-from-ssh` converts SSH public keys)",
                config.display()
            ),
            CommandError::Config(ConfigError::Parse { .. } | ConfigError::Regex { .. }) => {
                "fix .sops.yaml; nixpilot reads it even for existing files (creation rules, stores.yaml.indent)".into()
            }
            CommandError::Config(_) => return None,
            CommandError::NoConfig { .. } => "create .sops.yaml at the top of the repository, e.g.\n\
                 \x20   creation_rules:\n\
                 \x20     - path_regex: secrets\\.yaml$\n\
                 \x20       age: age1…,age1…   # your key and the hosts' (`nixpilot keys age-from-ssh`)"
                .into(),
            CommandError::Extract { keys, .. } if !keys.is_empty() => {
                format!("the file has these keys: {}", list(keys, 20))
            }
            CommandError::Extract { .. } => return None,
            CommandError::AlreadyEncrypted { .. } => {
                "use `nixpilot secrets edit`/`set` to change it, `updatekeys` for its recipients".into()
            }
            CommandError::Edit {
                source: EditError::Interrupted,
                ..
            } => return None,
            CommandError::Edit { .. } => "the temporary plaintext was wiped; run the command again".into(),
            CommandError::InvalidEdit { .. } => {
                "the temporary plaintext was wiped; on a terminal, `nixpilot secrets edit` offers to return to the editor instead".into()
            }
            CommandError::Password(_) | CommandError::Io { .. } => return None,
            CommandError::OutsideRepository { .. } => "create the folder yourself if the file belongs there".into(),
            CommandError::SshKey {
                source: SshToAgeError::NotAPrivateKey,
                ..
            } => "pass a private key file such as ~/.ssh/id_ed25519 with --private, or a public key without it".into(),
            CommandError::SshKey { .. } => return None,
            CommandError::NoEd25519Key { private_key: true, .. } => {
                "this is a private key: add --private to get its age identity".into()
            }
            CommandError::KeysChangedSinceAsked { .. } => "run `updatekeys` again and review the new change".into(),
            CommandError::NoEd25519Key { .. } => {
                "give an authorized_keys, *.pub or known_hosts (`ssh-keyscan HOST`) file with ssh-ed25519 keys".into()
            }
        })
    }
}

fn list(items: &[String], max: usize) -> String {
    let mut s = items.iter().take(max).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > max {
        s.push_str(&format!(", … ({} more)", items.len() - max));
    }
    s
}

/// The file an error is about, to put into its hint (in place of `{file}`).
fn secrets_file(e: &SecretsError) -> Option<&Path> {
    match e {
        SecretsError::Format { file, .. }
        | SecretsError::MacMismatch { file }
        | SecretsError::BadMac { file }
        | SecretsError::Value { file, .. }
        | SecretsError::NoIdentity { file, .. }
        | SecretsError::KeyPath { file, .. } => Some(file),
        SecretsError::Write(WriteError::Locked { path, .. }) => Some(path),
        _ => None,
    }
}

fn with_file(hint: String, file: Option<&Path>) -> String {
    match file {
        Some(f) => hint.replace("{file}", &f.display().to_string()),
        None => hint.replace("{file}", "FILE"),
    }
}

fn secrets_hint(e: &SecretsError) -> Option<String> {
    Some(match e {
        SecretsError::NoIdentity { .. } => "put the age key of one of these recipients in \
             ~/.config/sops/age/keys.txt (or point SOPS_AGE_KEY_FILE at it); an SSH ed25519 key works \
             through SOPS_AGE_SSH_PRIVATE_KEY_FILE. If you should have access, ask someone who can open \
             the file to add your recipient to .sops.yaml and run `nixpilot secrets updatekeys {file}`"
            .into(),
        SecretsError::MacMismatch { .. } | SecretsError::BadMac { .. } | SecretsError::Value { .. } => {
            format!("nothing was written; {RESTORE}")
        }
        SecretsError::Format {
            source: FormatError::NoMetadata,
            ..
        } => format!(
            "if this is a plain file, encrypt it in place with `nixpilot secrets encrypt --in-place {{file}}`; if it was encrypted, \
             it lost its `sops` metadata: {RESTORE}"
        ),
        SecretsError::Format { .. } => format!("the file is not a complete sops file; {RESTORE}"),
        SecretsError::KeyPath {
            source: keypath::KeyPathError::Malformed(_),
            ..
        } => return None,
        SecretsError::KeyPath { .. } => {
            "a key on the path holds a value, not a map or list; choose another path or `edit` the file".into()
        }
        SecretsError::Write(WriteError::Locked { .. }) => {
            "another nixpilot (or an open `nixpilot secrets edit`) is changing this file; try again when it is done"
                .into()
        }
        _ => return None,
    })
}

fn read_error(path: &Path) -> impl FnOnce(io::Error) -> CommandError + '_ {
    move |source| CommandError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn exists(file: &Path) -> Result<bool, CommandError> {
    match std::fs::symlink_metadata(file) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(read_error(file)(e)),
    }
}

/// Locks `file` for a change. A missing directory is reported as such, not as a
/// failure to create the lock file in it.
fn lock(file: &Path) -> Result<WriteLock, CommandError> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::metadata(dir).map_err(read_error(dir))?;
    }
    Ok(WriteLock::acquire(file)?)
}

/// Opens an existing file for a change: the lock first, then the read.
fn read_locked(ctx: &Context, file: &Path) -> Result<(WriteLock, SopsFile), CommandError> {
    std::fs::metadata(file).map_err(read_error(file))?;
    let lock = lock(file)?;
    let mut sops = SopsFile::read(file)?;
    sops.set_yaml_indent(ctx.yaml_indent(file)?);
    Ok((lock, sops))
}

/// A secret value: text as a string, anything else as bytes (sops reads those back as is).
pub fn value_from_bytes(mut bytes: Zeroizing<Vec<u8>>) -> Value {
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(s) => Value::Str(s),
        Err(e) => Value::Bytes(e.into_bytes()),
    }
}

/// A new password of `len` characters (see `password::ALPHABET`).
pub fn generate_password(len: usize) -> Result<Zeroizing<Vec<u8>>, CommandError> {
    let p = password::generate(len).map_err(CommandError::Password)?;
    Ok(Zeroizing::new(p.as_bytes().to_vec()))
}

/// What `set` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetOutcome {
    Updated,
    /// The file did not exist and was created from this rule (and `git add`ed, as the
    /// `GitAdded` says).
    Created(RuleRef, GitAdded),
}

/// Makes the missing folders above a new `file`, only inside `repository` and only by plain
/// names (no `..`), so a typo cannot scatter folders elsewhere.
fn create_parents(ctx: &Context, file: &Path, repository: &Path) -> Result<(), CommandError> {
    let full = ctx.cwd.join(file);
    let Some(dir) = full.parent() else { return Ok(()) };
    if dir.is_dir() {
        return Ok(());
    }
    let outside = || CommandError::OutsideRepository {
        file: file.to_path_buf(),
        repository: repository.to_path_buf(),
    };
    let mut existing = dir;
    let mut missing = Vec::new();
    while !existing.is_dir() {
        missing.push(existing.file_name());
        existing = existing.parent().ok_or_else(outside)?;
    }
    let plain = dir
        .strip_prefix(existing)
        .map(|rest| rest.components().all(|c| matches!(c, std::path::Component::Normal(_))))
        .unwrap_or(false);
    let existing = existing.canonicalize().map_err(read_error(existing))?;
    let repository_real = repository.canonicalize().map_err(read_error(repository))?;
    if !plain || missing.iter().any(Option::is_none) || !existing.starts_with(&repository_real) {
        return Err(outside());
    }
    std::fs::create_dir_all(dir).map_err(read_error(dir))
}

/// `secrets set FILE KEYPATH`: sets one value, creating maps on the way and the
/// file itself (from `.sops.yaml`, with the folders above it) when it does not exist.
/// A new file needs no key, and is `git add`ed: flakes only see files git tracks.
pub fn set(ctx: &Context, file: &Path, key_path: &str, value: Zeroizing<Vec<u8>>) -> Result<SetOutcome, CommandError> {
    if !exists(file)? {
        let plan = ctx.creation_rule(file)?;
        create_parents(ctx, file, &plan.repository)?;
    }
    let lock = lock(file)?;
    let value = value_from_bytes(value);
    if exists(file)? {
        let mut sops = SopsFile::read(file)?;
        sops.set_yaml_indent(ctx.yaml_indent(file)?);
        sops.set(&ctx.identities(), key_path, value)?;
        sops.write(&lock)?;
        return Ok(SetOutcome::Updated);
    }
    let plan = ctx.creation_rule(file)?;
    let steps = keypath::parse(key_path).map_err(|source| SecretsError::KeyPath {
        file: file.to_path_buf(),
        source,
    })?;
    let mut map = Map::new();
    keypath::set(&mut map, &steps, value).map_err(|source| SecretsError::KeyPath {
        file: file.to_path_buf(),
        source,
    })?;
    let plain = PlainTree {
        format: Format::from_path(file),
        branches: vec![map],
    };
    let sops = SopsFile::encrypt(file, &plain, &plan.recipients, &plan.options)?;
    sops.write(&lock)?;
    drop(lock);
    let full = ctx.cwd.join(file);
    let added =
        git_add(full.parent().unwrap_or(&ctx.cwd), std::slice::from_ref(&full)).map_err(|e| CommandError::Io {
            path: full,
            source: io::Error::other(format!("written, but {e}")),
        })?;
    Ok(SetOutcome::Created(plan.rule, added))
}

/// `secrets get FILE KEYPATH`: what `sops decrypt --extract` prints (no newline added).
pub fn get(ctx: &Context, file: &Path, key_path: &str) -> Result<Zeroizing<Vec<u8>>, CommandError> {
    let sops = SopsFile::read(file)?;
    let indent = ctx.yaml_indent(file)?;
    let plain = sops.decrypt(&ctx.identities())?;
    plain.extract(key_path, indent).map_err(|source| CommandError::Extract {
        keys: match &source {
            ExtractError::KeyPath(keypath::KeyPathError::Missing(_) | keypath::KeyPathError::NotContainer(_)) => {
                sops.branches().first().map(keypath::leaf_paths).unwrap_or_default()
            }
            _ => Vec::new(),
        },
        file: file.to_path_buf(),
        key_path: key_path.to_string(),
        source,
    })
}

/// `secrets decrypt FILE`: the plain file, as `sops decrypt` prints it.
pub fn decrypt(ctx: &Context, file: &Path) -> Result<Zeroizing<Vec<u8>>, CommandError> {
    let sops = SopsFile::read(file)?;
    let indent = ctx.yaml_indent(file)?;
    let plain = sops.decrypt(&ctx.identities())?;
    plain.to_bytes(indent).map_err(|source| {
        CommandError::Secrets(SecretsError::Format {
            file: file.to_path_buf(),
            source,
        })
    })
}

/// What `encrypt` produced.
#[derive(Debug)]
pub struct Encrypted {
    /// The encrypted file, unless it was written in place.
    pub bytes: Option<Vec<u8>>,
    pub rule: RuleRef,
}

/// `secrets encrypt FILE`: encrypts a plain file for its creation rule's
/// recipients; printed, or written over the file (`in_place`).
pub fn encrypt(ctx: &Context, file: &Path, in_place: bool) -> Result<Encrypted, CommandError> {
    let lock = if in_place { Some(lock(file)?) } else { None };
    let bytes = Zeroizing::new(std::fs::read(file).map_err(read_error(file))?);
    let format = Format::from_path(file);
    // A binary-store file is any file; refuse one that is already sops's wrapping.
    if format == Format::Binary && SopsFile::parse(file, &bytes).is_ok() {
        return Err(CommandError::AlreadyEncrypted {
            file: file.to_path_buf(),
        });
    }
    let plain = match PlainTree::parse(file, format, &bytes) {
        Err(SecretsError::Format {
            source: FormatError::AlreadyEncrypted(_),
            ..
        }) => {
            return Err(CommandError::AlreadyEncrypted {
                file: file.to_path_buf(),
            })
        }
        other => other?,
    };
    let plan = ctx.creation_rule(file)?;
    let sops = SopsFile::encrypt(file, &plain, &plan.recipients, &plan.options)?;
    match lock {
        Some(lock) => {
            sops.write(&lock)?;
            Ok(Encrypted {
                bytes: None,
                rule: plan.rule,
            })
        }
        None => Ok(Encrypted {
            bytes: Some(sops.serialize()?),
            rule: plan.rule,
        }),
    }
}

/// The change `updatekeys` would make to one file, shown for consent before it is made: a
/// recipient added to `.sops.yaml` (by a pull request, say) can decrypt every value of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysDiff {
    pub rule: RuleRef,
    /// Per key group, in order (nixpilot's files have one; a file with more is refused).
    pub groups: Vec<GroupDiff>,
}

/// One key group: the recipients kept, added and removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDiff {
    pub kept: Vec<String>,
    pub changes: KeyChanges,
}

impl KeysDiff {
    /// Whether the file already has exactly its rule's recipients.
    pub fn is_empty(&self) -> bool {
        self.groups.iter().all(|g| g.changes.is_empty())
    }
}

/// Per key group: `+` for a recipient added, `-` for one removed, blanks for one kept.
impl fmt::Display for KeysDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, group) in self.groups.iter().enumerate() {
            writeln!(f, "key group {}:", i + 1)?;
            for r in &group.kept {
                writeln!(f, "    {r}")?;
            }
            for r in &group.changes.added {
                writeln!(f, "  + {r}")?;
            }
            for r in &group.changes.removed {
                writeln!(f, "  - {r}")?;
            }
        }
        Ok(())
    }
}

fn keys_diff(sops: &SopsFile, plan: &CreationPlan) -> KeysDiff {
    let current = sops.recipients();
    let changes = KeyChanges::between(&current, &plan.recipients);
    let kept = current.into_iter().filter(|r| !changes.removed.contains(r)).collect();
    KeysDiff {
        rule: plan.rule.clone(),
        groups: vec![GroupDiff { kept, changes }],
    }
}

/// What `secrets updatekeys FILE` would change, for the question that asks before it does;
/// reads the file's metadata and `.sops.yaml`, needs no key, writes nothing.
pub fn updatekeys_diff(ctx: &Context, file: &Path) -> Result<KeysDiff, CommandError> {
    std::fs::metadata(file).map_err(read_error(file))?;
    let sops = SopsFile::read(file)?;
    if sops.metadata().has_key_groups() {
        return Err(SecretsError::KeyGroups {
            file: file.to_path_buf(),
        }
        .into());
    }
    let plan = ctx.creation_rule(file)?;
    Ok(keys_diff(&sops, &plan))
}

/// What `updatekeys` did to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Updated {
    pub changes: KeyChanges,
    pub rule: RuleRef,
    /// PGP fingerprints in the file, left as they were (nixpilot manages age keys only).
    pub pgp_kept: Vec<String>,
}

/// `secrets updatekeys FILE`: wraps the data key for exactly the recipients of
/// the file's creation rule; values are untouched, an up-to-date file is not written
/// (and needs no key). A file is re-keyed only after its MAC checks out, and only for the
/// change the user agreed to (`consented`, from [`updatekeys_diff`]): if the file or
/// `.sops.yaml` changed since, nothing is written.
pub fn updatekeys(ctx: &Context, file: &Path, consented: &KeysDiff) -> Result<Updated, CommandError> {
    let (lock, mut sops) = read_locked(ctx, file)?;
    let plan = ctx.creation_rule(file)?;
    if keys_diff(&sops, &plan) != *consented {
        return Err(CommandError::KeysChangedSinceAsked {
            file: file.to_path_buf(),
        });
    }
    let ids = ctx.identities();
    let current = sops.recipients();
    let same = current.len() == plan.recipients.len() && plan.recipients.iter().all(|r| current.contains(&r.text));
    if !same {
        sops.open(&ids)?;
    }
    let changes = sops.updatekeys(&ids, &plan.recipients)?;
    if changes != KeyChanges::default() {
        sops.write(&lock)?;
    }
    Ok(Updated {
        changes,
        rule: plan.rule,
        pgp_kept: sops.metadata().pgp_fingerprints(),
    })
}

/// `secrets rotate FILE`: a new data key, every value re-encrypted, same age
/// recipients. A file whose key is also held by PGP, KMS or Vault entries is refused
/// unchanged: those cannot be re-wrapped here and would keep the old data key.
pub fn rotate(ctx: &Context, file: &Path) -> Result<(), CommandError> {
    let (lock, mut sops) = read_locked(ctx, file)?;
    sops.rotate(&ctx.identities())?;
    sops.write(&lock)?;
    Ok(())
}

/// How `edit` behaves around the editor.
pub struct EditOptions {
    /// The editor command (`$EDITOR`, else `vi`); run through `sh -c`.
    pub editor: String,
    /// Where the private temp directory goes (see `edit::temp_base`).
    pub temp_base: PathBuf,
    /// Whether to offer going back to the editor when the edited text does not
    /// parse (only on a terminal); otherwise the edit fails.
    pub retry_on_terminal: bool,
}

impl EditOptions {
    pub fn from_process() -> EditOptions {
        use std::io::IsTerminal;
        EditOptions {
            editor: std::env::var("EDITOR")
                .ok()
                .filter(|e| !e.trim().is_empty())
                .unwrap_or_else(|| "vi".to_string()),
            temp_base: edit::temp_base(),
            retry_on_terminal: io::stdin().is_terminal() && io::stderr().is_terminal(),
        }
    }
}

/// What `edit` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditOutcome {
    /// The text came back unchanged: nothing written.
    Unchanged,
    Saved,
    Created(RuleRef),
}

/// `secrets edit FILE`: decrypts to a private temp file, runs the editor, and
/// re-encrypts only the values that changed (the others keep their ciphertext).
/// A missing file is created from `.sops.yaml` (starting from an empty document).
/// The plaintext is wiped on every way out: success, error, panic or Ctrl-C.
pub fn edit(ctx: &Context, file: &Path, options: &EditOptions) -> Result<EditOutcome, CommandError> {
    let lock = lock(file)?;
    let format = Format::from_path(file);
    enum Target {
        Existing(Box<SopsFile>, Box<super::file::Opened>),
        New(CreationPlan),
    }
    let (target, text) = if exists(file)? {
        let mut sops = SopsFile::read(file)?;
        let indent = ctx.yaml_indent(file)?;
        sops.set_yaml_indent(indent);
        let opened = sops.open(&ctx.identities())?;
        let text = opened.plain.to_bytes(indent).map_err(|source| SecretsError::Format {
            file: file.to_path_buf(),
            source,
        })?;
        (Target::Existing(Box::new(sops), Box::new(opened)), text)
    } else {
        let plan = ctx.creation_rule(file)?;
        let empty: &[u8] = if format == Format::Json { b"{}\n" } else { b"" };
        (Target::New(plan), Zeroizing::new(empty.to_vec()))
    };
    let edit_err = |source| CommandError::Edit {
        file: file.to_path_buf(),
        source,
    };
    // Signals first, so the session (dropped before them) is wiped even on Ctrl-C.
    let signals = SignalGuard::install();
    let name = file.file_name().map(OsString::from).unwrap_or_else(|| "secrets".into());
    let session = EditSession::create(&options.temp_base, &name, &text).map_err(edit_err)?;
    let plain = loop {
        session.run_editor(&options.editor, &signals).map_err(edit_err)?;
        let edited = session.read().map_err(edit_err)?;
        if edited[..] == text[..] {
            return Ok(EditOutcome::Unchanged);
        }
        match PlainTree::parse(file, format, &edited) {
            Ok(plain) => break plain,
            Err(e) => {
                if options.retry_on_terminal && edit::ask_to_retry(&format!("nixpilot: error: {e}"), &signals) {
                    continue;
                }
                if signals.interrupted() {
                    return Err(edit_err(EditError::Interrupted));
                }
                return Err(CommandError::InvalidEdit {
                    file: file.to_path_buf(),
                    source: e,
                });
            }
        }
    };
    drop(session);
    if signals.interrupted() {
        return Err(edit_err(EditError::Interrupted));
    }
    match target {
        Target::Existing(mut sops, mut opened) => {
            opened.plain = plain;
            sops.store(&opened)?;
            sops.write(&lock)?;
            Ok(EditOutcome::Saved)
        }
        Target::New(plan) => {
            let sops = SopsFile::encrypt(file, &plain, &plan.recipients, &plan.options)?;
            sops.write(&lock)?;
            Ok(EditOutcome::Created(plan.rule))
        }
    }
}

/// `keys age-from-ssh`: the converted keys, one per line, and the lines skipped.
#[derive(Debug)]
pub struct Converted {
    pub lines: Vec<Zeroizing<String>>,
    /// (line number, why) for public-key lines that were not converted.
    pub skipped: Vec<(usize, SshToAgeError)>,
}

/// Converts SSH ed25519 keys to age: public keys (authorized_keys, `.pub`,
/// known_hosts / `ssh-keyscan` output) to `age1…` recipients, or with
/// `private` an OpenSSH private key to its `AGE-SECRET-KEY-1…` identity.
pub fn age_from_ssh(file: &Path, input: &[u8], private: bool) -> Result<Converted, CommandError> {
    if private {
        let id = ssh_to_age::private_key_to_identity(input).map_err(|source| CommandError::SshKey {
            file: file.to_path_buf(),
            source,
        })?;
        return Ok(Converted {
            lines: vec![id],
            skipped: Vec::new(),
        });
    }
    let text = Zeroizing::new(String::from_utf8_lossy(input).into_owned());
    let (recipients, skipped) = ssh_to_age::convert_public_keys(&text);
    if recipients.is_empty() {
        return Err(CommandError::NoEd25519Key {
            file: file.to_path_buf(),
            private_key: text.contains("PRIVATE KEY-----"),
        });
    }
    Ok(Converted {
        lines: recipients.into_iter().map(Zeroizing::new).collect(),
        skipped,
    })
}
