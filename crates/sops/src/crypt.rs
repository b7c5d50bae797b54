//! Which values of a sops file are encrypted: sops's `shouldBeEncrypted` over the key path
//! (suffix and regex rules) and the comments above a value (comment regex rules).

use regex::Regex;

use super::{CryptRule, CryptRuleKind};

/// A crypt rule ready to apply.
#[derive(Debug, Clone)]
pub struct EncryptionRules {
    kind: CryptRuleKind,
    suffix: String,
    regex: Option<Regex>,
    pub mac_only_encrypted: bool,
}

impl EncryptionRules {
    pub fn new(rule: &CryptRule, mac_only_encrypted: bool) -> Result<EncryptionRules, regex::Error> {
        let regex = match rule.kind {
            CryptRuleKind::UnencryptedSuffix | CryptRuleKind::EncryptedSuffix => None,
            _ => Some(super::sops_config::bounded_regex(&rule.pattern)?),
        };
        Ok(EncryptionRules {
            kind: rule.kind,
            suffix: rule.pattern.clone(),
            regex,
            mac_only_encrypted,
        })
    }

    /// sops's `shouldBeEncrypted`: every key on the path is tested; regexes are
    /// unanchored; comment regexes look at the comments collected on the way.
    pub fn should_encrypt(&self, path: &[String], comments: &[Vec<String>], is_comment: bool) -> bool {
        let re = |s: &str| self.regex.as_ref().is_some_and(|r| r.is_match(s));
        match self.kind {
            CryptRuleKind::UnencryptedSuffix => !path.iter().any(|k| k.ends_with(&self.suffix)),
            CryptRuleKind::EncryptedSuffix => path.iter().any(|k| k.ends_with(&self.suffix)),
            CryptRuleKind::UnencryptedRegex => !path.iter().any(|k| re(k)),
            CryptRuleKind::EncryptedRegex => path.iter().any(|k| re(k)),
            CryptRuleKind::UnencryptedCommentRegex => !comments.iter().flatten().any(|c| re(c)),
            CryptRuleKind::EncryptedCommentRegex => {
                let last_level = comments.len().saturating_sub(1);
                comments.iter().enumerate().any(|(i, level)| {
                    level.iter().enumerate().any(|(j, c)| {
                        // The matching comment line itself stays clear.
                        let is_self = is_comment && i == last_level && j + 1 == level.len();
                        !is_self && re(c)
                    })
                })
            }
        }
    }
}
