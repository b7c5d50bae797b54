//! Disko: a host's `disko.devices` tree (disks, partitions, filesystems, pools, arrays, volumes)
//! and the boot loader settings it must agree with, read from the host's option definitions.

use std::collections::BTreeMap;

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;
use rowan::TextRange;

use super::host::{Definition, HostView, Lookup, ModuleOrigin, Priority, Value};
use super::nix::{attr_name, string_literal, strip_parens};
use super::Project;
use crate::diagnostic::FilePath;

/// `sgdisk` type code (or GUID) of an EFI system partition.
pub const ESP_TYPES: &[&str] = &["EF00", "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"];
/// `sgdisk` type code (or GUID) of a BIOS boot partition, for which disko sets grub's devices.
pub const BIOS_BOOT_TYPES: &[&str] = &["EF02", "21686148-6449-6E6F-744E-656564454649"];

/// One definition that sets a node of the tree to a value.
#[derive(Debug, Clone)]
pub struct Lit {
    pub value: Value,
    pub file: FilePath,
    /// The whole `a.b = v;` entry (the innermost one).
    pub range: TextRange,
    pub value_range: TextRange,
    pub priority: Priority,
    pub conditional: bool,
    /// The definition that called the helper which wrote this value (see `Definition::via`).
    pub via: Option<TextRange>,
}

impl Lit {
    /// Where the helper that made this value was called, for a label next to the literal.
    pub fn call_site(&self) -> Option<crate::diagnostic::Span> {
        self.via.map(|r| crate::diagnostic::Span::new(self.file.clone(), r))
    }
}

/// A node of the `disko.devices` tree: the values set on it and its named children.
#[derive(Debug, Clone, Default)]
pub struct Node {
    pub defs: Vec<Lit>,
    pub children: BTreeMap<String, Node>,
    /// Something the model could not read (a computed name or value here or above) may add
    /// children or values: absence below this node proves nothing.
    pub open: bool,
    /// The first definition in this subtree, to point diagnostics at a node without a value.
    pub first: Option<Lit>,
}

/// What a query on the tree found.
#[derive(Debug, Clone, Copy)]
pub enum Field<'a> {
    /// Certainly not set (disko's default applies).
    Absent,
    /// Set by something the model cannot read.
    Unknown,
    /// Set to this literal.
    Set(&'a Value, &'a Lit),
}

impl<'a> Field<'a> {
    /// The string, when the field is set to a string literal.
    pub fn str(&self) -> Option<&'a str> {
        match self {
            Field::Set(Value::Str(s), _) => Some(s),
            _ => None,
        }
    }

    pub fn lit(&self) -> Option<&'a Lit> {
        match self {
            Field::Set(_, l) => Some(l),
            _ => None,
        }
    }
}

/// Lower is stronger, as in the module system (`mkForce` 50, plain 100, `mkDefault` 1000).
fn strength(p: Priority) -> i64 {
    match p {
        Priority::Force => 50,
        Priority::Normal => 100,
        Priority::Default => 1000,
        Priority::Override(n) => n,
    }
}

impl Node {
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.get(name)
    }

    /// The node at `path` below this one; `Err(true)` when it may exist but cannot be read,
    /// `Err(false)` when it certainly does not exist.
    pub fn at(&self, path: &[&str]) -> Result<&Node, bool> {
        let mut node = self;
        for name in path {
            match node.children.get(*name) {
                Some(n) => node = n,
                None => return Err(node.opaque()),
            }
        }
        Ok(node)
    }

    /// Whether something unreadable may set anything below this node.
    pub fn opaque(&self) -> bool {
        self.open || self.defs.iter().any(|d| d.value == Value::Other)
    }

    /// The value that wins (strongest priority, first of equals).
    pub fn effective(&self) -> Option<&Lit> {
        let best = self.defs.iter().map(|d| strength(d.priority)).min()?;
        self.defs.iter().find(|d| strength(d.priority) == best)
    }

    /// The leaf at `path` below this node.
    pub fn field(&self, path: &[&str]) -> Field<'_> {
        match self.at(path) {
            Err(true) => Field::Unknown,
            Err(false) => Field::Absent,
            Ok(node) => match node.effective() {
                Some(l) if l.value == Value::Other => Field::Unknown,
                Some(l) => Field::Set(&l.value, l),
                None if node.opaque() => Field::Unknown,
                // Only children (`mountpoint.x = …`): not a literal the rules can use.
                None if !node.children.is_empty() => Field::Unknown,
                None => Field::Absent,
            },
        }
    }

    /// Named children of the set at `path` (`partitions`, `datasets`, …), and whether that is
    /// all of them (`false` when the set may hold entries the model cannot see).
    pub fn entries(&self, path: &[&str]) -> (Vec<(&str, &Node)>, bool) {
        match self.at(path) {
            Err(unknown) => (Vec::new(), !unknown),
            Ok(node) => (
                node.children.iter().map(|(k, v)| (k.as_str(), v)).collect(),
                !node.opaque(),
            ),
        }
    }

    fn insert(&mut self, path: &[Option<String>], lit: Lit) {
        if self.first.is_none() {
            self.first = Some(lit.clone());
        }
        match path.split_first() {
            None => self.defs.push(lit),
            // A computed name: it may be any child.
            Some((None, _)) => self.open = true,
            Some((Some(name), rest)) => self.children.entry(name.clone()).or_default().insert(rest, lit),
        }
    }

    /// Marks every node under an opaque one as open, so queries never mistake "not seen" for
    /// "not set".
    fn propagate(&mut self, inherited: bool) {
        let open = inherited || self.opaque();
        self.open |= inherited;
        for child in self.children.values_mut() {
            child.propagate(open);
        }
    }
}

/// Where in the tree a `content` set sits.
#[derive(Debug, Clone)]
pub struct ContentRef<'a> {
    pub node: &'a Node,
    /// `disk.main.content.partitions.ESP.content`, for messages.
    pub path: Vec<&'a str>,
    /// The content's `type`, when it is a literal.
    pub kind: Option<&'a str>,
    /// The gpt partition that directly holds this content.
    pub partition: Option<&'a Node>,
    /// Under `lib.mkIf` somewhere: may not exist.
    pub conditional: bool,
}

/// A mountpoint disko turns into a `fileSystems` entry.
#[derive(Debug, Clone)]
pub struct Mount<'a> {
    pub mountpoint: &'a str,
    pub lit: &'a Lit,
    /// Where to point: the `mountpoint` value, or the entry that makes a `nodev` (whose
    /// mountpoint is its name).
    pub range: TextRange,
    /// What mounts there, for messages (`disk.main…ESP`, `zpool.zroot/root/nixos`).
    pub what: String,
}

/// A host's disko configuration.
#[derive(Debug, Clone, Default)]
pub struct Disko {
    /// `disko.devices`.
    pub devices: Node,
    /// Whether any definition under `disko.devices` exists.
    pub defined: bool,
    /// The host has modules the model could not read: more definitions may exist.
    pub host_unknown: bool,
}

impl Disko {
    /// Collects every definition under `disko.devices` (or a computed value above it).
    pub fn for_host(host: &HostView) -> Disko {
        let mut devices = Node::default();
        let mut defined = false;
        for d in &host.definitions {
            match d.path.as_slice() {
                [Some(a), Some(b), rest @ ..] if a == "disko" && b == "devices" => {
                    defined = true;
                    devices.insert(rest, lit_of(d));
                }
                // `disko = cfg;` or `disko.${x} = …`: anything may be in the tree.
                [Some(a)] if a == "disko" && d.value == Value::Other => {
                    defined = true;
                    devices.open = true;
                }
                [Some(a), None, ..] if a == "disko" => {
                    defined = true;
                    devices.open = true;
                }
                _ => {}
            }
        }
        devices.propagate(false);
        Disko {
            devices,
            defined,
            host_unknown: host.unknown,
        }
    }

    /// Every disk's, array's, volume's and logical volume's `content`, recursively (gpt
    /// partitions, luks), in a stable order.
    pub fn contents(&self) -> Vec<ContentRef<'_>> {
        let mut out = Vec::new();
        for (group, sub) in [("disk", &["content"][..]), ("mdadm", &["content"][..])] {
            for (name, node) in self.devices.entries(&[group]).0 {
                if let Ok(c) = node.at(sub) {
                    visit(c, vec![group, name, "content"], None, conditional(node), &mut out);
                }
            }
        }
        for (pool, node) in self.devices.entries(&["zpool"]).0 {
            for (name, ds) in node.entries(&["datasets"]).0 {
                if ds.field(&["type"]).str() == Some("zfs_volume") {
                    if let Ok(c) = ds.at(&["content"]) {
                        visit(
                            c,
                            vec!["zpool", pool, "datasets", name, "content"],
                            None,
                            conditional(ds),
                            &mut out,
                        );
                    }
                }
            }
        }
        for (vg, node) in self.devices.entries(&["lvm_vg"]).0 {
            for (name, lv) in node.entries(&["lvs"]).0 {
                if let Ok(c) = lv.at(&["content"]) {
                    visit(
                        c,
                        vec!["lvm_vg", vg, "lvs", name, "content"],
                        None,
                        conditional(lv),
                        &mut out,
                    );
                }
            }
        }
        out
    }

    /// Every gpt partition: (path to it, node).
    pub fn partitions(&self) -> Vec<(Vec<&str>, &Node, bool)> {
        let mut out = Vec::new();
        for c in self.contents() {
            if c.kind != Some("gpt") {
                continue;
            }
            for (name, p) in c.node.entries(&["partitions"]).0 {
                let mut path = c.path.clone();
                path.extend(["partitions", name]);
                out.push((path, p, c.conditional || conditional(p)));
            }
        }
        out
    }

    /// Whether the tree is complete: the host has no unreadable module, and no disk, array,
    /// pool, partition, dataset or content (nor a name or `type` below them) is computed.
    /// Computed scalar options (`options.ashift = toString 12`) do not count.
    pub fn complete(&self) -> bool {
        !self.host_unknown
            && !self.devices.opaque()
            && all_readable(&self.devices)
            // A legacy `table` (partitions in a list) or an unknown `type` hides what is inside.
            && self.contents().iter().all(|c| c.kind.is_some_and(|k| WALKED_KINDS.contains(&k)))
    }

    /// Every mountpoint disko makes a `fileSystems` entry for.
    pub fn mounts(&self) -> Vec<Mount<'_>> {
        let mut out = Vec::new();
        for c in self.contents() {
            if matches!(c.kind, Some("filesystem" | "btrfs")) {
                if let Field::Set(Value::Str(mp), lit) = c.node.field(&["mountpoint"]) {
                    out.push(Mount::at(mp, lit, c.path.join(".")));
                }
            }
            if c.kind == Some("btrfs") {
                for (name, sub) in c.node.entries(&["subvolumes"]).0 {
                    if let Field::Set(Value::Str(mp), lit) = sub.field(&["mountpoint"]) {
                        out.push(Mount::at(
                            mp,
                            lit,
                            format!("subvolume `{name}` of {}", c.path.join(".")),
                        ));
                    }
                }
            }
        }
        for (pool, node) in self.devices.entries(&["zpool"]).0 {
            // The pool's own `mountpoint` is a dataset whose options are `rootFsOptions`
            // (`lib/types/zpool.nix`).
            if options_allow_mount(node.at(&["rootFsOptions"])) {
                if let Field::Set(Value::Str(mp), lit) = node.field(&["mountpoint"]) {
                    out.push(Mount::at(mp, lit, format!("zpool {pool}")));
                }
            }
            for (name, ds) in node.entries(&["datasets"]).0 {
                if ds.field(&["type"]).str() != Some("zfs_fs") || !dataset_makes_filesystem(ds) {
                    continue;
                }
                if let Field::Set(Value::Str(mp), lit) = ds.field(&["mountpoint"]) {
                    out.push(Mount::at(mp, lit, format!("dataset {pool}/{name}")));
                }
            }
        }
        for (name, node) in self.devices.entries(&["nodev"]).0 {
            // `mountpoint` defaults to the attribute name.
            match node.field(&["mountpoint"]) {
                Field::Set(Value::Str(mp), lit) => out.push(Mount::at(mp, lit, format!("nodev {name}"))),
                Field::Absent => {
                    if let Some(lit) = node.first.as_ref() {
                        out.push(Mount {
                            mountpoint: name,
                            lit,
                            range: lit.range,
                            what: format!("nodev {name}"),
                        });
                    }
                }
                _ => {}
            }
        }
        out
    }
}

impl<'a> Mount<'a> {
    fn at(mountpoint: &'a str, lit: &'a Lit, what: String) -> Mount<'a> {
        Mount {
            mountpoint,
            lit,
            range: lit.value_range,
            what,
        }
    }
}

/// Whether a `zfs_fs` dataset gets a `fileSystems` entry: disko skips it when
/// `options.mountpoint = "none"` or `options.canmount = "off"` (`lib/types/zfs_fs.nix`).
/// Unknown options count as "skipped", so callers stay quiet.
pub fn dataset_makes_filesystem(ds: &Node) -> bool {
    options_allow_mount(ds.at(&["options"]))
}

/// Whether ZFS properties (a dataset's `options`, a pool's `rootFsOptions`) leave it
/// mountable: not `mountpoint = "none"`, not `canmount = "off"`. Unknown counts as "not".
fn options_allow_mount(options: Result<&Node, bool>) -> bool {
    let options = match options {
        Ok(o) => o,
        Err(unknown) => return !unknown,
    };
    let is = |key: &str, value: &str| match options.field(&[key]) {
        Field::Set(Value::Str(s), _) => s == value,
        Field::Absent => false,
        _ => true,
    };
    !is("mountpoint", "none") && !is("canmount", "off")
}

/// Content types whose insides the model reads completely.
const WALKED_KINDS: &[&str] = &[
    "gpt",
    "filesystem",
    "zfs",
    "mdraid",
    "luks",
    "lvm_pv",
    "swap",
    "btrfs",
    "bcachefs",
];

/// Options whose computed value hides nothing the rules walk into.
const SCALAR_KEYS: &[&str] = &[
    "options",
    "rootFsOptions",
    "mountOptions",
    "extraArgs",
    "size",
    "device",
    "format",
    "mountpoint",
    "settings",
    "passwordFile",
    "keyFile",
    "additionalKeyFiles",
    "label",
    "priority",
    "start",
    "end",
    "level",
    "metadata",
    "mode",
    "postCreateHook",
    "preCreateHook",
    "postMountHook",
    "preMountHook",
    "imageSize",
    "imageName",
    "attributes",
    "uuid",
    "askPassword",
    "initrdUnlock",
    "lvm_type",
    "fsType",
    "randomEncryption",
    "resumeDevice",
    "alignment",
    "hybrid",
    "destroy",
    "extraFormatArgs",
    "extraOpenArgs",
    "discardPolicy",
    "efiGptPartitionFirst",
    "name",
    "pool",
    "vg",
];

fn all_readable(node: &Node) -> bool {
    node.children
        .iter()
        .all(|(k, c)| SCALAR_KEYS.contains(&k.as_str()) || (!c.opaque() && all_readable(c)))
}

fn conditional(node: &Node) -> bool {
    node.first.as_ref().is_some_and(|l| l.conditional)
}

fn visit<'a>(
    node: &'a Node,
    path: Vec<&'a str>,
    partition: Option<&'a Node>,
    cond: bool,
    out: &mut Vec<ContentRef<'a>>,
) {
    let kind = node.field(&["type"]).str();
    let conditional = cond || conditional(node);
    out.push(ContentRef {
        node,
        path: path.clone(),
        kind,
        partition,
        conditional,
    });
    match kind {
        Some("gpt") => {
            for (name, p) in node.entries(&["partitions"]).0 {
                if let Ok(c) = p.at(&["content"]) {
                    let mut sub = path.clone();
                    sub.extend(["partitions", name, "content"]);
                    visit(c, sub, Some(p), conditional, out);
                }
            }
        }
        Some("luks") => {
            if let Ok(c) = node.at(&["content"]) {
                let mut sub = path.clone();
                sub.push("content");
                visit(c, sub, None, conditional, out);
            }
        }
        _ => {}
    }
}

fn lit_of(d: &Definition) -> Lit {
    Lit {
        value: d.value.clone(),
        file: d.file.clone(),
        range: d.range,
        value_range: d.value_range,
        priority: d.priority,
        conditional: d.conditional,
        via: d.via,
    }
}

/// Whether a partition `type` is one of `codes` (sgdisk codes are case-insensitive).
pub fn partition_type_is(partition: &Node, codes: &[&str]) -> bool {
    partition
        .field(&["type"])
        .str()
        .is_some_and(|t| codes.iter().any(|c| c.eq_ignore_ascii_case(t.trim())))
}

/// A host-level setting outside disko (`boot.loader.…`), with the module system's merge
/// reduced to "the strongest definition wins".
#[derive(Debug, Clone, Copy)]
pub enum Setting<'a> {
    Absent,
    /// Set by a module nixpilot cannot read, or to a computed value, or under `mkIf`.
    Unknown,
    Set(&'a Value, &'a Definition),
}

impl<'a> Setting<'a> {
    pub fn bool(&self) -> Option<bool> {
        match self {
            Setting::Set(Value::Bool(b), _) => Some(*b),
            _ => None,
        }
    }

    pub fn str(&self) -> Option<&'a str> {
        match self {
            Setting::Set(Value::Str(s), _) => Some(s),
            _ => None,
        }
    }

    pub fn definition(&self) -> Option<&'a Definition> {
        match self {
            Setting::Set(_, d) => Some(d),
            _ => None,
        }
    }
}

/// Modules of known flakes that leave `boot.loader` alone (srvos's `hardware-hetzner-cloud`,
/// `hardware-vultr-vm`, `mixins-systemd-boot` and others set it).
fn leaves_boot_loader_alone(name: &str) -> bool {
    matches!(
        name,
        "common"
            | "desktop"
            | "server"
            | "disko"
            | "default"
            | "sops"
            | "home-manager"
            | "notDetected"
            | "readOnlyPkgs"
    ) || name.starts_with("hardware-hetzner-online-")
        || name.starts_with("roles-")
        || (name.starts_with("mixins-") && name != "mixins-systemd-boot")
}

/// Whether an imported module of another flake may set `boot.loader.*`.
pub fn boot_loader_set_elsewhere(host: &HostView) -> bool {
    host.modules.iter().any(|m| match m {
        ModuleOrigin::External { facts: Some(f), .. } => !leaves_boot_loader_alone(f.name),
        ModuleOrigin::External { facts: None, .. } => true,
        ModuleOrigin::File(_) => false,
    })
}

/// A `boot.loader.*` (or other host) setting; `Unknown` whenever something unreadable may
/// set it, or the strongest definition is conditional or computed.
pub fn setting<'a>(host: &'a HostView, path: &[&str]) -> Setting<'a> {
    let boot = path.first() == Some(&"boot");
    match host.lookup(path) {
        Lookup::Maybe => Setting::Unknown,
        Lookup::Absent if boot && boot_loader_set_elsewhere(host) => Setting::Unknown,
        Lookup::Absent => Setting::Absent,
        Lookup::Defined(defs) => {
            let Some(best) = defs.iter().map(|d| strength(d.priority)).min() else {
                return Setting::Absent;
            };
            let Some(d) = defs.iter().find(|d| strength(d.priority) == best) else {
                return Setting::Absent;
            };
            // An external module with a stronger definition is not excluded: srvos only
            // uses mkDefault for the boot loader, which a plain definition beats.
            if d.conditional || d.value == Value::Other || (boot && best > 100 && boot_loader_set_elsewhere(host)) {
                Setting::Unknown
            } else {
                Setting::Set(&d.value, d)
            }
        }
    }
}

/// One entry of `boot.loader.grub.mirroredBoots`.
#[derive(Debug, Clone)]
pub struct MirroredBoot {
    /// Where grub installs to: `efiSysMountPoint` if set, else `path` (NixOS `grub.nix`).
    pub esp: Option<String>,
    pub file: FilePath,
    pub range: TextRange,
}

/// The ESP paths the EFI boot loader writes to, as far as can be known.
#[derive(Debug, Clone)]
pub struct EspPaths {
    /// `(path, what sets it)`: "boot.loader.efi.efiSysMountPoint", "mirroredBoots", …
    pub paths: Vec<(String, Option<(FilePath, TextRange)>)>,
    /// Which loader: "systemd-boot" or "grub".
    pub loader: &'static str,
}

/// The ESP paths of an EFI boot loader: `None` when the host does not certainly boot with
/// an EFI loader, or when any of the settings involved is unknown.
pub fn esp_paths(project: &Project, host: &HostView, disko: &Disko) -> Option<EspPaths> {
    let efi_mount = match setting(host, &["boot", "loader", "efi", "efiSysMountPoint"]) {
        Setting::Absent => ("/boot".to_string(), None),
        Setting::Set(Value::Str(s), d) => (s.clone(), Some((d.file.clone(), d.range))),
        _ => return None,
    };
    let systemd_boot = setting(host, &["boot", "loader", "systemd-boot", "enable"]);
    if systemd_boot.bool() == Some(true) {
        return Some(EspPaths {
            paths: vec![efi_mount],
            loader: "systemd-boot",
        });
    }
    if !matches!(systemd_boot, Setting::Absent | Setting::Set(Value::Bool(false), _)) {
        return None;
    }
    // grub is enabled by default in NixOS.
    match setting(host, &["boot", "loader", "grub", "enable"]) {
        Setting::Absent | Setting::Set(Value::Bool(true), _) => {}
        _ => return None,
    }
    if setting(host, &["boot", "loader", "grub", "efiSupport"]).bool() != Some(true) {
        return None;
    }
    let mut paths = Vec::new();
    if let Some(entries) = mirrored_boots(project, host)? {
        for e in entries {
            paths.push((e.esp?, Some((e.file, e.range))));
        }
    }
    // NixOS adds `{ path = "/boot"; efiSysMountPoint = efi.efiSysMountPoint; }` to
    // mirroredBoots whenever `grub.devices` is not empty (hand-set or from an EF02 partition).
    let devices = grub_devices(host)?;
    let ef02 = disko
        .partitions()
        .iter()
        .any(|(_, p, _)| partition_type_is(p, BIOS_BOOT_TYPES));
    if !devices.is_empty() || ef02 {
        paths.push(efi_mount);
    } else if !disko.complete() {
        // An EF02 partition may hide behind an unreadable disk, and bring `/boot` with it.
        return None;
    }
    Some(EspPaths { paths, loader: "grub" })
}

/// `boot.loader.grub.device` and `.devices` as set by hand: `(device, definition)`;
/// `None` when unknown.
pub fn grub_devices(host: &HostView) -> Option<Vec<(String, &Definition)>> {
    let mut out = Vec::new();
    for path in [
        ["boot", "loader", "grub", "device"],
        ["boot", "loader", "grub", "devices"],
    ] {
        match host.lookup(&path) {
            Lookup::Maybe => return None,
            Lookup::Absent => {
                if boot_loader_set_elsewhere(host) {
                    return None;
                }
            }
            Lookup::Defined(defs) => {
                for d in defs {
                    match &d.value {
                        Value::Str(s) => out.push((s.clone(), d)),
                        Value::List(items) => {
                            for (v, _) in items {
                                match v {
                                    Value::Str(s) => out.push((s.clone(), d)),
                                    _ => return None,
                                }
                            }
                        }
                        _ => return None,
                    }
                }
            }
        }
    }
    Some(out)
}

/// `boot.loader.grub.mirroredBoots`: `Some(None)` when not set, `None` when unknown.
pub fn mirrored_boots(project: &Project, host: &HostView) -> Option<Option<Vec<MirroredBoot>>> {
    let defs = match host.lookup(&["boot", "loader", "grub", "mirroredBoots"]) {
        Lookup::Maybe => return None,
        Lookup::Absent if boot_loader_set_elsewhere(host) => return None,
        Lookup::Absent => return Some(None),
        Lookup::Defined(defs) => defs,
    };
    let mut out = Vec::new();
    for d in defs {
        if d.conditional {
            return None;
        }
        let Value::List(items) = &d.value else { return None };
        let file = project.file(&d.file)?;
        let root = file.syntax();
        for (_, range) in items {
            // rowan asserts the range lies in the tree; the file may have changed since.
            if !root.text_range().contains_range(*range) {
                return None;
            }
            let set = root
                .covering_element(*range)
                .into_node()
                .and_then(|n| n.ancestors().find(|a| a.text_range() == *range))
                .and_then(ast::Expr::cast)
                .map(|e| strip_parens(&e));
            let Some(ast::Expr::AttrSet(set)) = set else {
                return None;
            };
            let mut path = None;
            let mut esp = None;
            for entry in set.attrpath_values() {
                let names: Option<Vec<String>> = entry
                    .attrpath()
                    .and_then(|p| p.attrs().map(|a| attr_name(&a)).collect());
                let value = entry.value().map(|v| strip_parens(&v));
                match names
                    .as_deref()
                    .map(|n| n.iter().map(String::as_str).collect::<Vec<_>>())
                    .as_deref()
                {
                    Some(["path"]) => path = Some(value.as_ref().and_then(string_literal)),
                    Some(["efiSysMountPoint"]) => {
                        let v = value.as_ref();
                        let is_null =
                            v.is_some_and(|v| matches!(v, ast::Expr::Ident(i) if i.syntax().text() == "null"));
                        if !is_null {
                            esp = Some(v.and_then(string_literal));
                        }
                    }
                    Some(_) => {}
                    None => return None,
                }
            }
            let esp = match (esp, path) {
                (Some(e), _) => e,
                (None, Some(p)) => p,
                (None, None) => None,
            };
            out.push(MirroredBoot {
                esp,
                file: d.file.clone(),
                range: *range,
            });
        }
    }
    Some(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::MemorySource;

    const FLAKE: &str = "//- /flake.nix\n{ inputs.blueprint.url = \"github:numtide/blueprint\"; outputs = inputs: inputs.blueprint { inherit inputs; }; }\n";

    fn project(host: &str) -> Project {
        let fixture = format!("{FLAKE}//- /hosts/h/configuration.nix\n{host}");
        Project::build(&MemorySource::from_fixture(&fixture), &[])
    }

    // `esp` is a module argument: what it returns cannot be known.
    const MIRROR: &str = r#"{ esp, ... }:
{
  boot.loader.grub = {
    efiSupport = true;
    mirroredBoots = [
      { path = "/boot0"; devices = [ "nodev" ]; }
      { path = "/boot1"; efiSysMountPoint = "/efi1"; devices = [ "nodev" ]; }
    ];
  };
  disko.devices = {
    disk.a = {
      device = "/dev/disk/by-id/a";
      content = {
        type = "gpt";
        partitions.ESP = { size = "512M"; type = "EF00"; content = { type = "filesystem"; format = "vfat"; mountpoint = "/boot0"; }; };
        partitions.zfs = { size = "100%"; content = { type = "zfs"; pool = "zroot"; }; };
      };
    };
    disk.b = {
      device = "/dev/sdb";
      content.type = "gpt";
      content.partitions.ESP = esp "1";
    };
    zpool.zroot = {
      type = "zpool";
      datasets."root/nixos" = { type = "zfs_fs"; mountpoint = "/"; options.mountpoint = "legacy"; };
      datasets.root = { type = "zfs_fs"; options.mountpoint = "none"; };
    };
    nodev."/tmp" = { fsType = "tmpfs"; };
  };
}
"#;

    #[test]
    fn reads_the_tree() {
        let p = project(MIRROR);
        let host = &p.hosts[0];
        let disko = Disko::for_host(host);
        assert!(disko.defined);
        let a = disko.devices.at(&["disk", "a"]).unwrap();
        assert_eq!(a.field(&["device"]).str(), Some("/dev/disk/by-id/a"));
        assert_eq!(a.field(&["content", "partitions", "ESP", "size"]).str(), Some("512M"));
        // `esp "1"` calls a function from outside: its fields are unknown, not absent.
        let b_esp = disko
            .devices
            .at(&["disk", "b", "content", "partitions", "ESP"])
            .unwrap();
        assert!(matches!(b_esp.field(&["size"]), Field::Unknown));
        assert!(matches!(
            a.field(&["content", "partitions", "ESP", "start"]),
            Field::Absent
        ));
        assert!(!disko.complete());
        let kinds: Vec<_> = disko.contents().iter().map(|c| (c.path.join("."), c.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("disk.a.content".to_string(), Some("gpt")),
                ("disk.a.content.partitions.ESP.content".to_string(), Some("filesystem")),
                ("disk.a.content.partitions.zfs.content".to_string(), Some("zfs")),
                ("disk.b.content".to_string(), Some("gpt")),
            ]
        );
        let mounts: Vec<_> = disko.mounts().iter().map(|m| (m.mountpoint, m.what.clone())).collect();
        assert_eq!(
            mounts,
            [
                ("/boot0", "disk.a.content.partitions.ESP.content".to_string()),
                ("/", "dataset zroot/root/nixos".to_string()),
                ("/tmp", "nodev /tmp".to_string()),
            ]
        );
    }

    #[test]
    fn reads_mirrored_boots_and_esp_paths() {
        let p = project(MIRROR);
        let host = &p.hosts[0];
        let boots = mirrored_boots(&p, host).unwrap().unwrap();
        let esps: Vec<_> = boots.iter().map(|b| b.esp.clone()).collect();
        assert_eq!(esps, [Some("/boot0".to_string()), Some("/efi1".to_string())]);
        // Disk b is computed: it might hold an EF02 partition, which would add `/boot`.
        assert!(esp_paths(&p, host, &Disko::for_host(host)).is_none());
        let literal = MIRROR.replace(
            "content.partitions.ESP = esp \"1\";",
            "content.partitions.ESP = { type = \"EF00\"; content = { type = \"filesystem\"; format = \"vfat\"; mountpoint = \"/efi1\"; }; };",
        );
        let p = project(&literal);
        let host = &p.hosts[0];
        let disko = Disko::for_host(host);
        assert!(disko.complete());
        let paths = esp_paths(&p, host, &disko).unwrap();
        assert_eq!(paths.loader, "grub");
        let paths: Vec<_> = paths.paths.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["/boot0", "/efi1"]);
    }

    /// Disks built by a `let`-bound helper (two mirrored boot disks and a pool) are read
    /// as completely as written-out ones, and still point at the helper and the calls.
    #[test]
    fn sees_through_helpers() {
        let text = r#"{ lib, ... }:
let
  bootDisk = n: {
    type = "disk";
    device = "/dev/disk/by-id/disk-${n}";
    content = {
      type = "gpt";
      partitions.ESP = {
        size = "512M";
        type = "EF00";
        content = { type = "filesystem"; format = "vfat"; mountpoint = "/boot${n}"; };
      };
      partitions.zfs = { size = "100%"; content = { type = "zfs"; pool = "zroot"; }; };
    };
  };
in {
  boot.loader.grub = {
    efiSupport = true;
    mirroredBoots = [
      { path = "/boot0"; devices = [ "nodev" ]; }
      { path = "/boot1"; devices = [ "nodev" ]; }
    ];
  };
  disko.devices = {
    disk = { x = bootDisk "0"; y = lib.mkDefault (bootDisk "1"); };
    zpool.zroot = { type = "zpool"; datasets.root = { type = "zfs_fs"; mountpoint = "/"; }; };
  };
}
"#;
        let p = project(text);
        let host = &p.hosts[0];
        let disko = Disko::for_host(host);
        assert!(disko.complete());
        let mounts: Vec<_> = disko.mounts().iter().map(|m| (m.mountpoint, m.what.clone())).collect();
        assert_eq!(
            mounts,
            [
                ("/boot0", "disk.x.content.partitions.ESP.content".to_string()),
                ("/boot1", "disk.y.content.partitions.ESP.content".to_string()),
                ("/", "dataset zroot/root".to_string()),
            ]
        );
        let pools: Vec<_> = disko
            .contents()
            .iter()
            .filter_map(|c| c.node.field(&["pool"]).str())
            .collect();
        assert_eq!(pools, ["zroot", "zroot"]);
        let y = disko.devices.at(&["disk", "y", "device"]).unwrap();
        assert_eq!(y.effective().unwrap().priority, Priority::Default);
        // The value points at the literal in the helper, `via` at the call.
        let mount = disko.mounts()[1].lit.clone();
        let at = |r: TextRange| &text[usize::from(r.start())..usize::from(r.end())];
        assert_eq!(at(mount.value_range), "\"/boot${n}\"");
        assert_eq!(at(mount.via.unwrap()), "y = lib.mkDefault (bootDisk \"1\");");
        let paths = esp_paths(&p, host, &disko).unwrap();
        let paths: Vec<_> = paths.paths.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["/boot0", "/boot1"]);
        // No disko rule has anything to say about a correct helper-built layout.
        let mut cx = crate::rules::ProjectContext::new(&p);
        for rule in crate::rules::PROJECT_RULES {
            rule.check(&mut cx);
        }
        let disko_findings: Vec<_> = cx
            .into_diagnostics()
            .into_iter()
            .filter(|d| d.rule.starts_with("disko") || d.rule.starts_with("boot-") || d.rule.starts_with("grub-"))
            .map(|d| d.rule)
            .collect();
        assert_eq!(disko_findings, Vec::<&str>::new());
    }

    /// A module whose body calls a disko configuration file with its arguments (the usual
    /// `disko-config.nix` with `{ disks ? [ … ], ... }`) is read through the call.
    #[test]
    fn a_module_body_made_by_an_import() {
        let fixture = format!(
            "{FLAKE}//- /hosts/h/configuration.nix\n{{ imports = [ ./disko.nix ]; }}\n//- /hosts/h/disko.nix\n{{ ... }}: import ./disko-config.nix {{ disks = [ \"/dev/disk/by-id/first\" ]; }}\n//- /hosts/h/disko-config.nix\n{{ disks ? [ \"/dev/sda\" ], ... }}: {{ disko.devices.disk.main = {{ device = builtins.elemAt disks 0; content.type = \"gpt\"; }}; }}\n"
        );
        let p = Project::build(&MemorySource::from_fixture(&fixture), &[]);
        let host = &p.hosts[0];
        assert!(!host.unknown);
        let disko = Disko::for_host(host);
        assert_eq!(
            disko.devices.field(&["disk", "main", "device"]).str(),
            Some("/dev/disk/by-id/first")
        );
        // A body that evaluates to something else than plain definitions stays unknown.
        let fixture = fixture
            .replace("{ disks = [", "{ imports = [ ]; disks = [")
            .replace("{ disko.devices.disk.main", "{ imports = [ ]; disko.devices.disk.main");
        let p = Project::build(&MemorySource::from_fixture(&fixture), &[]);
        assert!(p.hosts[0].unknown);
    }

    /// Helpers that loop, explode or recurse leave their definitions computed, quickly.
    #[test]
    fn hostile_helpers_are_bounded() {
        let text = r#"{ ... }:
let
  loop = x: loop x;
  fan = n: [ (fan n) (fan n) ];
  self = self;
  grow = s: grow (s + s);
in {
  disko.devices.disk.a = loop 1;
  disko.devices.disk.b.content = { type = "gpt"; partitions = fan 0; };
  disko.devices.disk.c = self;
  disko.devices.disk.d.device = grow "x";
  disko.devices.disk.e = import ./default.nix;
  # Three hundred names, each holding the same set of three hundred names.
  disko.devices.zpool = let
    names = map toString (builtins.genList (i: i) 300);
    wide = builtins.listToAttrs (map (n: { name = n; value = n; }) names);
  in builtins.listToAttrs (map (n: { name = n; value = wide; }) names);
}
"#;
        let started = std::time::Instant::now();
        let p = project(text);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        let definitions = &p.hosts[0].definitions;
        assert!(definitions.len() < 10_000, "{}", definitions.len());
        let disko = Disko::for_host(&p.hosts[0]);
        assert!(!disko.complete());
        for disk in ["a", "c", "d", "e"] {
            assert!(
                matches!(disko.devices.field(&["disk", disk, "device"]), Field::Unknown),
                "{disk}"
            );
        }
    }

    #[test]
    fn computed_disks_and_unknown_hosts_are_opaque() {
        let p = project("{ disko.devices.disk = builtins.mapAttrs (n: v: v) { }; }\n");
        let disko = Disko::for_host(&p.hosts[0]);
        assert!(!disko.complete());
        assert!(matches!(disko.devices.field(&["disk", "x", "device"]), Field::Unknown));

        let p = project("{ disko.devices.disk.${name}.device = \"/dev/sda\"; }\n");
        let disko = Disko::for_host(&p.hosts[0]);
        assert!(!disko.complete());
        assert!(disko.devices.at(&["disk"]).unwrap().open);
    }

    #[test]
    fn a_legacy_table_makes_the_tree_incomplete() {
        let p = project(
            r#"{
  disko.devices.disk.a = {
    device = "/dev/disk/by-id/a";
    content = {
      type = "table";
      format = "gpt";
      partitions = [ { name = "zfs"; start = "1M"; end = "100%"; content = { type = "zfs"; pool = "zroot"; }; } ];
    };
  };
  disko.devices.zpool.zroot.type = "zpool";
}
"#,
        );
        let disko = Disko::for_host(&p.hosts[0]);
        assert!(!disko.complete());
        let mut cx = crate::rules::ProjectContext::new(&p);
        crate::rules::ProjectRule::check(&crate::rules::disko_unknown_pool::DiskoUnknownPool, &mut cx);
        assert!(cx.into_diagnostics().is_empty());
    }

    /// A host with an unreadable import gets no "missing" findings: the import may set it.
    #[test]
    fn unknown_hosts_get_no_missing_findings() {
        let text = r#"{ lib, ... }:
{
  imports = [ (lib.optional true ./x.nix) ];
  disko.devices = {
    disk.a = {
      device = "/dev/disk/by-id/a";
      content = {
        type = "gpt";
        partitions.ESP = { size = "512M"; type = "EF00"; content = { type = "mdraid"; name = "boot"; }; };
        partitions.root = { size = "100%"; content = { type = "filesystem"; mountpoint = "/"; }; };
      };
    };
    mdadm.boot = { type = "mdadm"; content = { type = "filesystem"; format = "vfat"; mountpoint = "/efi"; }; };
    zpool.tank = { type = "zpool"; datasets.d.type = "zfs_fs"; };
  };
  boot.loader.grub.efiInstallAsRemovable = true;
}
"#;
        let p = project(text);
        assert!(p.hosts[0].unknown);
        let mut cx = crate::rules::ProjectContext::new(&p);
        for rule in crate::rules::PROJECT_RULES {
            rule.check(&mut cx);
        }
        let disko_findings: Vec<_> = cx
            .into_diagnostics()
            .into_iter()
            .filter(|d| d.rule.starts_with("disko") || d.rule.starts_with("boot-") || d.rule.starts_with("grub-"))
            .map(|d| d.rule)
            .collect();
        assert_eq!(disko_findings, Vec::<&str>::new());
        // The same layout on a fully readable host has all of them.
        let p = project(&text.replace("imports = [ (lib.optional true ./x.nix) ];", ""));
        assert!(!p.hosts[0].unknown);
        let mut cx = crate::rules::ProjectContext::new(&p);
        for rule in crate::rules::PROJECT_RULES {
            rule.check(&mut cx);
        }
        let mut rules: Vec<_> = cx.into_diagnostics().into_iter().map(|d| d.rule).collect();
        rules.sort_unstable();
        rules.dedup();
        for expected in [
            "disko-dataset-mountpoint",
            "disko-esp-on-raid-metadata",
            "disko-missing-format",
            "disko-unknown-pool",
            "grub-removable-efi-conflict",
        ] {
            assert!(rules.contains(&expected), "{expected} missing from {rules:?}");
        }
    }

    /// Odd shapes (numbers where sets belong, lists, computed names, empty sets, unicode)
    /// go through every rule without a panic.
    #[test]
    fn odd_shapes_do_not_panic() {
        let odd = [
            "{ disko.devices = 5; }",
            "{ disko.devices.disk = [ 1 2 ]; disko = { }; }",
            "{ disko.devices.disk.a.content = { type = 5; partitions = [ { size = \"é\"; } ]; }; }",
            "{ disko.devices.disk.a.content.partitions.p = { size = \"5é\"; start = \"é\"; end = \"\"; type = 7; content.type = \"mdraid\"; }; }",
            "{ disko.devices.disk.a.content = { type = \"gpt\"; partitions.${x}.type = \"EF00\"; }; boot.loader.grub.mirroredBoots = [ 1 (x) { path = 3; } ]; }",
            "{ disko.devices.zpool.${p}.datasets.d.type = \"zfs_fs\"; disko.devices.mdadm.m = { metadata = 1; level = \"x\"; }; }",
            "{ boot.loader.grub = { efiInstallAsRemovable = true; devices = [ 5 ]; device = null; efiSupport = \"yes\"; }; }",
            "{ disko.devices.nodev.\"\" = { }; disko.devices.disk.b.content = { type = \"luks\"; content = { type = \"luks\"; content.type = \"filesystem\"; }; }; }",
            "{ disko.devices.disk.c = { device = \"/dev/\"; content = { type = \"gpt\"; partitions.ESP = { type = \"ef00\"; content = { type = \"filesystem\"; mountpoint = \"/\"; }; }; }; }; }",
            "{ disko.devices.disk.d = { content = { type = \"gpt\"; partitions.b = { type = \"EF02\"; size = \"1M\"; }; }; }; boot.loader.grub.devices = lib.mkForce [ \"x\" ]; }",
        ];
        for text in odd {
            let p = project(&format!("{text}\n"));
            let mut cx = crate::rules::ProjectContext::new(&p);
            for rule in crate::rules::PROJECT_RULES {
                rule.check(&mut cx);
            }
            let host = &p.hosts[0];
            let disko = Disko::for_host(host);
            let _ = (disko.contents(), disko.mounts(), disko.partitions(), disko.complete());
            let _ = esp_paths(&p, host, &disko);
        }
    }

    #[test]
    fn systemd_boot_uses_the_efi_mount_point() {
        let p = project("{ boot.loader.systemd-boot.enable = true; boot.loader.efi.efiSysMountPoint = \"/efi\"; }\n");
        let host = &p.hosts[0];
        let paths = esp_paths(&p, host, &Disko::for_host(host)).unwrap();
        assert_eq!(paths.loader, "systemd-boot");
        assert_eq!(paths.paths[0].0, "/efi");
        // BIOS grub has no ESP path.
        let p = project("{ boot.loader.grub.enable = true; }\n");
        assert!(esp_paths(&p, &p.hosts[0], &Disko::default()).is_none());
    }
}
