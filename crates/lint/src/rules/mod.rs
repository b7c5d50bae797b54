//! The rule catalogue: every rule's metadata and the one table that registers it.
//! Adding a rule is one file in this folder plus one line in `register_rules!` below.

use rnix::{SyntaxKind, SyntaxNode};

pub mod dead_bindings;
pub mod expr_rewrite;
pub mod insert_definition;
pub mod sibling_entry;
pub mod suggest;

use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::source::SourceFile;

/// Declares a rule's metadata; its doc comment becomes `nixpilot explain` and the docs page.
///
/// ```ignore
/// declare_rule! {
///     /// ## What it does
///     /// ...
///     pub static MY_RULE = { name: "my-rule", group: Style, severity: Warning, fixable: true };
/// }
/// ```
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis static $id:ident = {
            name: $name:literal,
            group: $group:ident,
            severity: $severity:ident,
            fixable: $fixable:literal $(,)?
        };
    ) => {
        $(#[doc = $doc])*
        $vis static $id: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
            name: $name,
            group: $crate::rules::Group::$group,
            default_severity: $crate::diagnostic::Severity::$severity,
            fixable: $fixable,
            docs: concat!($($doc, "\n"),*),
        };
    };
}

/// Where a rule belongs; shown by `nixpilot rules` and used as a SARIF tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// The file cannot be read as Nix.
    Syntax,
    /// Code that is certainly or very likely wrong or dead.
    Correctness,
    /// Code that works but says it in a longer way than needed.
    Style,
    /// About nixpilot itself: configuration and suppression comments.
    Meta,
    /// `flake.nix` inputs and `flake.lock`.
    Flake,
    /// blueprint's folder conventions and module references.
    Blueprint,
    /// What a host's configuration sets (or fails to set), across all its modules.
    Host,
    /// A host's disko layout and the boot loader settings it must agree with.
    Disko,
    /// `.sops.yaml`, sops files, host keys and private keys.
    Secrets,
}

impl Group {
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Syntax => "syntax",
            Group::Correctness => "correctness",
            Group::Style => "style",
            Group::Meta => "meta",
            Group::Flake => "flake",
            Group::Blueprint => "blueprint",
            Group::Host => "host",
            Group::Disko => "disko",
            Group::Secrets => "secrets",
        }
    }
}

/// Static facts about a rule.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable kebab-case name used in config, suppressions and output.
    pub name: &'static str,
    pub group: Group,
    pub default_severity: Severity,
    /// Whether the rule offers fixes (of any applicability).
    pub fixable: bool,
    /// The rule's doc comment, each line still carrying rustdoc's leading space.
    pub docs: &'static str,
}

impl RuleMeta {
    /// The documentation as Markdown, with rustdoc's leading space removed.
    pub fn documentation(&self) -> String {
        let mut out = String::with_capacity(self.docs.len());
        for line in self.docs.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }

    /// The first sentence of the docs' first paragraph: a one-line summary.
    pub fn summary(&self) -> String {
        let paragraph: Vec<&str> = self
            .docs
            .lines()
            .map(str::trim)
            .skip_while(|l| l.is_empty() || l.starts_with('#'))
            .take_while(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        let text = paragraph.join(" ");
        match text.find(". ") {
            Some(i) => text[..=i].to_string(),
            None if text.is_empty() => self.name.to_string(),
            None => text,
        }
    }

    /// Where the rule's documentation lives on the web (SARIF `helpUri`, LSP `codeDescription`).
    pub fn help_uri(&self) -> String {
        format!("{DOCS_BASE}#{}", self.name)
    }
}

/// The rendered catalogue (`docs/rules.md`, generated from the rule doc comments).
pub const DOCS_BASE: &str = "https://github.com/nixpilot/nixpilot/blob/main/docs/rules.md";

/// What a file rule sees: one parsed file, and where its findings go.
pub struct FileContext<'a> {
    pub file: &'a SourceFile,
    pub root: &'a SyntaxNode,
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// The file's name resolution, made on first use and shared by every rule.
    names: std::cell::OnceCell<std::rc::Rc<crate::scope::NameResolution>>,
    /// Settings of single rules from `nixpilot.toml`.
    pub options: &'a crate::config::RuleOptions,
    /// Whether the parser reported an error anywhere in the file.
    pub has_parse_errors: bool,
    /// The file's dead bindings, made on first use and shared by the unused-binding rules.
    dead: std::cell::OnceCell<std::rc::Rc<dead_bindings::DeadBindings>>,
    /// Where the parser's error nodes and tokens start, in text order (found on first use).
    error_starts: std::cell::OnceCell<Vec<rowan::TextSize>>,
}

impl<'a> FileContext<'a> {
    pub(crate) fn new(
        file: &'a SourceFile,
        root: &'a SyntaxNode,
        options: &'a crate::config::RuleOptions,
        has_parse_errors: bool,
    ) -> Self {
        FileContext {
            file,
            root,
            diagnostics: Vec::new(),
            names: std::cell::OnceCell::new(),
            options,
            has_parse_errors,
            dead: std::cell::OnceCell::new(),
            error_starts: std::cell::OnceCell::new(),
        }
    }

    /// Gives the resolution the engine made during its walk.
    pub(crate) fn set_names(&self, names: crate::scope::NameResolution) {
        let _ = self.names.set(std::rc::Rc::new(names));
    }

    /// Whether the parser left an error node or token inside `range`: code there has no
    /// reliable bindings or reads. One scan of the tree per file, and none without errors.
    pub fn has_errors_in(&self, range: rowan::TextRange) -> bool {
        if !self.has_parse_errors {
            return false;
        }
        let starts = self.error_starts.get_or_init(|| {
            self.root
                .descendants_with_tokens()
                .filter(|e| matches!(e.kind(), SyntaxKind::NODE_ERROR | SyntaxKind::TOKEN_ERROR))
                .map(|e| e.text_range().start())
                .collect()
        });
        let first = starts.partition_point(|&s| s < range.start());
        starts.get(first).is_some_and(|&s| s < range.end())
    }

    /// Which bindings of the file the unused-binding rules report, and how to remove them.
    pub fn dead_bindings(&self) -> std::rc::Rc<dead_bindings::DeadBindings> {
        self.dead
            .get_or_init(|| std::rc::Rc::new(dead_bindings::DeadBindings::of(self)))
            .clone()
    }

    /// Every variable reference of the file resolved to its binding.
    pub fn names(&self) -> std::rc::Rc<crate::scope::NameResolution> {
        self.names
            .get_or_init(|| std::rc::Rc::new(crate::scope::NameResolution::of_text(self.root, &self.file.text)))
            .clone()
    }

    pub fn span(&self, range: rowan::TextRange) -> Span {
        Span::new(self.file.path.clone(), range)
    }

    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }
}

/// A rule over one syntax tree. The engine walks each tree once and calls
/// `check_node` for the node kinds the rule asked for, so rules cost nothing on other nodes.
pub trait FileRule: Sync {
    fn meta(&self) -> &'static RuleMeta;

    /// Node kinds `check_node` wants to see.
    fn node_kinds(&self) -> &'static [SyntaxKind] {
        &[]
    }

    fn check_node(&self, _node: &SyntaxNode, _cx: &mut FileContext<'_>) {}

    /// Called once per file after the walk, before `check_node` (for whole-file checks such as
    /// parse errors, and rules that read the file's whole name resolution at once).
    fn check_file(&self, _parse_errors: &[rnix::ParseError], _cx: &mut FileContext<'_>) {}
}

/// What a project rule sees: the project model, and where its findings go.
pub struct ProjectContext<'a> {
    pub project: &'a crate::project::Project,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl<'a> ProjectContext<'a> {
    pub fn new(project: &'a crate::project::Project) -> Self {
        ProjectContext {
            project,
            diagnostics: Vec::new(),
        }
    }

    pub fn span(&self, file: &crate::diagnostic::FilePath, range: rowan::TextRange) -> Span {
        Span::new(file.clone(), range)
    }

    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }
}

/// A rule over the whole repository.
pub trait ProjectRule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, cx: &mut ProjectContext<'_>);
}

/// Registers rules: `file module::Type` for file rules, `project module::Type` for project
/// rules, `engine module::STATIC` for diagnostics the engine itself produces.
macro_rules! register_rules {
    (
        file: [$($fmod:ident :: $fty:ident),* $(,)?],
        project: [$($pmod:ident :: $pty:ident),* $(,)?],
        engine: [$($emod:ident :: $emeta:ident),* $(,)?] $(,)?
    ) => {
        $(pub mod $fmod;)*
        $(pub mod $pmod;)*
        $(pub mod $emod;)*

        /// Every file rule, in registration order.
        pub static FILE_RULES: &[&dyn FileRule] = &[$(&$fmod::$fty),*];
        /// Every project rule, in registration order.
        pub static PROJECT_RULES: &[&dyn ProjectRule] = &[$(&$pmod::$pty),*];
        /// Rules whose diagnostics come from the engine rather than a rule type.
        pub static ENGINE_RULES: &[&RuleMeta] = &[$(&$emod::$emeta),*];
    };
}

register_rules! {
    file: [
        syntax_error::SyntaxError,
        unused_let_binding::UnusedLetBinding,
        unused_formal::UnusedFormal,
        unused_lambda_argument::UnusedLambdaArgument,
        unused_pattern_bind::UnusedPatternBind,
        unused_with::UnusedWith,
        useless_rec::UselessRec,
        manual_inherit::ManualInherit,
        unknown_builtin::UnknownBuiltin,
        shadowed_builtin::ShadowedBuiltin,
        bool_comparison::BoolComparison,
        empty_let_in::EmptyLetIn,
        legacy_let::LegacyLet,
        collapsible_let_in::CollapsibleLetIn,
        eta_reduction::EtaReduction,
        useless_parens::UselessParens,
        empty_pattern::EmptyPattern,
        redundant_pattern_bind::RedundantPatternBind,
        unquoted_uri::UnquotedUri,
        empty_inherit::EmptyInherit,
        deprecated_to_path::DeprecatedToPath,
        bool_simplification::BoolSimplification,
        useless_has_attr::UselessHasAttr,
        repeated_keys::RepeatedKeys,
        empty_list_concat::EmptyListConcat,
        duplicate_attribute::DuplicateAttribute,
        undefined_variable::UndefinedVariable,
    ],
    project: [
        missing_follows::MissingFollows,
        stale_follows::StaleFollows,
        follows_unknown_input::FollowsUnknownInput,
        lock_out_of_sync::LockOutOfSync,
        unused_input::UnusedInput,
        host_without_entry::HostWithoutEntry,
        stray_host_file::StrayHostFile,
        self_argument::SelfArgument,
        unknown_flake_module::UnknownFlakeModule,
        unknown_input::UnknownInput,
        unknown_external_module::UnknownExternalModule,
        dangling_import::DanglingImport,
        missing_host_platform::MissingHostPlatform,
        missing_state_version::MissingStateVersion,
        missing_hostname::MissingHostname,
        hostname_mismatch::HostnameMismatch,
        zfs_without_host_id::ZfsWithoutHostId,
        invalid_host_id::InvalidHostId,
        hetzner_ipv6_missing::HetznerIpv6Missing,
        no_ssh_access::NoSshAccess,
        missing_authorized_keys_file::MissingAuthorizedKeysFile,
        acme_terms_not_accepted::AcmeTermsNotAccepted,
        disko_invalid_size::DiskoInvalidSize,
        disko_missing_format::DiskoMissingFormat,
        boot_mirror_mismatch::BootMirrorMismatch,
        disko_grub_devices_conflict::DiskoGrubDevicesConflict,
        disko_dataset_mountpoint::DiskoDatasetMountpoint,
        disko_unknown_pool::DiskoUnknownPool,
        disko_duplicate_mountpoint::DiskoDuplicateMountpoint,
        disko_unstable_device_path::DiskoUnstableDevicePath,
        disko_esp_on_raid_metadata::DiskoEspOnRaidMetadata,
        grub_removable_efi_conflict::GrubRemovableEfiConflict,
        unencrypted_secrets_file::UnencryptedSecretsFile,
        private_key_in_repo::PrivateKeyInRepo,
        missing_sops_file::MissingSopsFile,
        undeclared_secret::UndeclaredSecret,
        no_sops_rule::NoSopsRule,
        sops_rule_missing_host_key::SopsRuleMissingHostKey,
        secrets_not_encrypted_for_host::SecretsNotEncryptedForHost,
        stale_recipients::StaleRecipients,
        ssh_recipient_for_host::SshRecipientForHost,
    ],
    engine: [
        unused_suppression::UNUSED_SUPPRESSION,
        analysis_limit::ANALYSIS_LIMIT,
        unread_file::UNREAD_FILE,
    ],
}

/// Every rule's metadata, sorted by name.
pub fn all() -> Vec<&'static RuleMeta> {
    let mut all: Vec<&'static RuleMeta> = FILE_RULES
        .iter()
        .map(|r| r.meta())
        .chain(PROJECT_RULES.iter().map(|r| r.meta()))
        .chain(ENGINE_RULES.iter().copied())
        .collect();
    all.sort_by_key(|m| m.name);
    all
}

/// Looks a rule up by its stable name.
pub fn by_name(name: &str) -> Option<&'static RuleMeta> {
    // Called for every diagnostic of a run: no allocation, no sorting.
    FILE_RULES
        .iter()
        .map(|r| r.meta())
        .chain(PROJECT_RULES.iter().map(|r| r.meta()))
        .chain(ENGINE_RULES.iter().copied())
        .find(|m| m.name == name)
}

/// `docs/rules.md`: every rule's documentation, generated from the doc comments.
pub fn catalogue_markdown() -> String {
    let mut out = String::from(
        "# Rules\n\n<!-- Generated from the rules' doc comments by `NIXPILOT_UPDATE_DOCS=1 cargo test -p nixpilot-lint --test rules`; do not edit. -->\n\n",
    );
    out.push_str("| rule | default severity | group | fixable |\n|---|---|---|---|\n");
    for m in all() {
        out.push_str(&format!(
            "| [`{0}`](#{0}) | {1} | {2} | {3} |\n",
            m.name,
            m.default_severity,
            m.group.as_str(),
            if m.fixable { "yes" } else { "no" }
        ));
    }
    for m in all() {
        out.push_str(&format!("\n## {}\n\n", m.name));
        // Demote the rule's own headings one level below the rule's heading.
        for line in m.documentation().lines() {
            if line.starts_with('#') {
                out.push('#');
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
