//! `unread-file`: a file of the repository the analysis needed and did not read (a link
//! leaving the repository, not a regular file, too large, unreadable). The engine produces it.

crate::declare_rule! {
    /// ## What it does
    /// Reports a file the analysis wanted (`flake.lock`, `.sops.yaml`, a host's key, an
    /// imported module, any file scanned for private keys) that nixpilot did not read, and
    /// why: a symbolic link pointing outside the repository, something other than a regular
    /// file (a named pipe, a device), a file over 128 MiB, or one that cannot be opened. A
    /// directory the walk cannot enter and a name that is not valid UTF-8 are reported too.
    ///
    /// ## Why is this bad?
    /// Rules that need the file say nothing about it. Links are followed only while they stay
    /// inside the repository, as git and nix treat them: a repository someone else wrote must
    /// not make nixpilot read (and print) `/proc/self/environ`, a key in your home or a device.
    ///
    /// ## Example
    /// ```text
    /// flake.lock -> /proc/self/environ
    /// ```
    ///
    /// ## Fix
    /// Commit the file itself instead of a link out of the repository, make it a regular
    /// file, or make it readable. There is no automatic fix.
    pub static UNREAD_FILE = { name: "unread-file", group: Meta, severity: Warning, fixable: false };
}
