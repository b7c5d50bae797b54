//! Applying `.sops.yaml`: finding it (upward from a directory, as sops does from
//! the working directory) and choosing the first creation rule that matches a file.

use std::path::{Path, PathBuf};

use super::age_keys::Recipient;
use super::file::{EncryptOptions, DEFAULT_YAML_INDENT};
use nixpilot_sops::sops_config::{self, CreationRule, SopsConfig, SopsConfigError};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: {source}")]
    Parse { file: PathBuf, source: SopsConfigError },
    #[error("{file}: cannot read: {source}")]
    Io { file: PathBuf, source: std::io::Error },
    #[error("{file}{}: creation rule {rule}: invalid path_regex: {reason}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Regex {
        file: PathBuf,
        rule: usize,
        line: Option<usize>,
        reason: String,
    },
    #[error("{config}: no creation rule matches {target}")]
    NoMatch { config: PathBuf, target: String },
    #[error("{config}: creation rule {rule} has {groups} key groups; Shamir splitting is not supported yet")]
    KeyGroups {
        config: PathBuf,
        rule: usize,
        groups: usize,
    },
    #[error("{config}: creation rule {rule} has no age recipients (only {others}); nixpilot writes age keys only")]
    NoAge {
        config: PathBuf,
        rule: usize,
        others: String,
    },
    #[error("{config}: creation rule {rule}: {source}")]
    Recipient {
        config: PathBuf,
        rule: usize,
        source: super::age_keys::AgeError,
    },
}

/// A loaded `.sops.yaml` and the directory its rules are relative to.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub path: PathBuf,
    pub config: SopsConfig,
}

/// The nearest `.sops.yaml` in `start` or its parents (at most 100 levels).
pub fn find_config(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    for _ in 0..100 {
        let d = dir?;
        let candidate = d.join(".sops.yaml");
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

impl LoadedConfig {
    pub fn read(path: &Path) -> Result<LoadedConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            file: path.to_path_buf(),
            source,
        })?;
        let config = sops_config::parse(&text).map_err(|source| ConfigError::Parse {
            file: path.to_path_buf(),
            source,
        })?;
        Ok(LoadedConfig {
            path: path.to_path_buf(),
            config,
        })
    }

    fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }

    /// The path string sops matches `path_regex` against: relative to the
    /// config's directory when inside it, else absolute. `target` should be
    /// absolute (relative paths are taken as relative to the config dir).
    pub fn match_path(&self, target: &Path) -> String {
        let abs = if target.is_absolute() {
            target.to_path_buf()
        } else {
            self.dir().join(target)
        };
        match abs.strip_prefix(self.dir()) {
            Ok(rel) => rel.to_string_lossy().into_owned(),
            Err(_) => abs.to_string_lossy().into_owned(),
        }
    }

    /// The first rule whose `path_regex` matches (a rule without one matches all).
    pub fn rule_for(&self, target: &Path) -> Result<&CreationRule, ConfigError> {
        let s = self.match_path(target);
        for rule in &self.config.creation_rules {
            let Some(matcher) = &rule.path_matcher else {
                return Ok(rule);
            };
            let re = matcher.compiled().map_err(|reason| ConfigError::Regex {
                file: self.path.clone(),
                rule: rule.index,
                line: rule.path_regex_line,
                reason: reason.to_string(),
            })?;
            if re.is_match(&s) {
                return Ok(rule);
            }
        }
        Err(ConfigError::NoMatch {
            config: self.path.clone(),
            target: s,
        })
    }

    /// The age recipients a rule wants (one key group only).
    pub fn recipients(&self, rule: &CreationRule) -> Result<Vec<Recipient>, ConfigError> {
        if rule.key_groups.len() > 1 {
            return Err(ConfigError::KeyGroups {
                config: self.path.clone(),
                rule: rule.index,
                groups: rule.key_groups.len(),
            });
        }
        let group = rule.key_groups.first().cloned().unwrap_or_default();
        if group.age.is_empty() {
            let mut others = group.unsupported.clone();
            if !group.pgp.is_empty() {
                others.push("pgp".into());
            }
            return Err(ConfigError::NoAge {
                config: self.path.clone(),
                rule: rule.index,
                others: if others.is_empty() {
                    "nothing".into()
                } else {
                    others.join(", ")
                },
            });
        }
        group
            .age
            .iter()
            .map(|r| {
                Recipient::parse(r).map_err(|source| ConfigError::Recipient {
                    config: self.path.clone(),
                    rule: rule.index,
                    source,
                })
            })
            .collect()
    }

    /// Encryption settings for a new file under `rule`.
    pub fn encrypt_options(&self, rule: &CreationRule) -> EncryptOptions {
        EncryptOptions {
            rule: rule.crypt_rule.clone().unwrap_or_default(),
            mac_only_encrypted: rule.mac_only_encrypted,
            yaml_indent: self.config.yaml_indent.unwrap_or(DEFAULT_YAML_INDENT),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_rule_relative_to_config_dir() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg_path = dir.path().join(".sops.yaml");
        std::fs::write(
            &cfg_path,
            "creation_rules:\n  - path_regex: ^hosts/odoo1/secrets.yaml$\n    age: age1ngrn3qcw9e2ml6me96es9849n6xls0zrh8ews68uxspr9gme6shs3g2ez3\n  - path_regex: secrets\\.yaml$\n    age: age1jrh8yyq3swjru09s75s4mspu0mphh7h6z54z946raa9wx3pcdegq0x8t4h\n",
        )
        .expect("write");
        let sub = dir.path().join("hosts/odoo1");
        std::fs::create_dir_all(&sub).expect("mkdir");
        assert_eq!(find_config(&sub), Some(cfg_path.clone()));
        let cfg = LoadedConfig::read(&cfg_path).expect("reads");
        let r = cfg.rule_for(&sub.join("secrets.yaml")).expect("matches");
        assert_eq!(r.index, 0);
        let r = cfg.rule_for(&dir.path().join("users/secrets.yaml")).expect("matches");
        assert_eq!(r.index, 1);
        assert_eq!(cfg.recipients(r).expect("recipients").len(), 1);
        let err = cfg.rule_for(&dir.path().join("other.json")).expect_err("no rule");
        assert!(err.to_string().contains("no creation rule matches other.json"));
    }
}
