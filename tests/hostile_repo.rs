//! Hostile repositories, read: each test builds a repository that tries to run a command,
//! make nixpilot read outside it, or exhaust memory or time, and runs the real binary on it.

mod common;

use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::lsp_client::Client;
use serde_json::{json, Value};

/// A host key to pin (a public key: nothing secret).
const HOST_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDGkambJ4Dy3JWcYBq2Jfh75G4lhbBO+kKXyOHIe47r+\n";

/// What one run of the binary did.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
    peak_rss_mib: u64,
}

impl Run {
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs `nixpilot args` in `dir` with `env` added, stdin a pipe left open (a read of it
/// would block), killed after `limit`; its peak memory comes from the kernel (`wait4`).
// The child is reaped by `wait4` (for its resource usage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
/// `plan deploy web1` of the repository at `repo_arg`, with a key that does not exist (the plan
/// reads the repository, never a key).
fn plan_deploy_web1(repo_arg: &str) -> Vec<&str> {
    vec![
        "plan",
        "deploy",
        "web1",
        "-C",
        repo_arg,
        "--identity",
        "/nonexistent/id",
    ]
}

// The child is reaped with wait4 (for its rusage), which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)], limit: Duration) -> Run {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nixpilot"));
    cmd.args(args)
        .current_dir(dir)
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn nixpilot");
    let _stdin = child.stdin.take();
    let pid = child.id() as libc::pid_t;
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = r.read_to_end(&mut out);
            String::from_utf8_lossy(&out).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut killed = false;
    loop {
        // SAFETY: waits for our own child, whose pid we hold.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        if started.elapsed() > limit && !killed {
            // SAFETY: our own child, not yet reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = started.elapsed();
    let run = Run {
        code: (!killed && libc::WIFEXITED(status)).then(|| libc::WEXITSTATUS(status)),
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
        took,
        peak_rss_mib: usage.ru_maxrss as u64 / 1024,
    };
    assert!(
        !killed,
        "`nixpilot {}` still running after {limit:?}: {}",
        args.join(" "),
        run.stderr
    );
    run
}

const LIMIT: Duration = Duration::from_secs(90);

/// A repository with one host (`web1`, pinned, reached at a closed port) and a private key
/// in the tree, so that the "is it tracked by git?" question is asked.
fn repository(parent: &Path) -> PathBuf {
    let dir = parent.join("repo");
    common::copy_dir(&common::example("demo"), &dir);
    std::fs::write(dir.join("hosts/web1/ssh_host_ed25519_key.pub"), HOST_KEY).expect("pub");
    std::fs::write(
        dir.join("hosts/web1/deploy.toml"),
        "[deployment]\ntargetHost = \"root@127.0.0.1\"\ntargetPort = 1\n",
    )
    .expect("deploy.toml");
    std::fs::create_dir_all(dir.join("keys")).expect("keys");
    std::fs::write(
        dir.join("keys/admin"),
        // A real (public test) key: a body that does not decode is a placeholder, not a key.
        include_str!("vectors/sops-nix/ssh-ed25519-key"),
    )
    .expect("key");
    dir
}

/// A directory put first on PATH with a `git` that records every run, then runs the real one
/// (when there is one): nixpilot must never start git on a repository, whatever it holds.
fn recording_git(parent: &Path) -> (PathBuf, PathBuf) {
    let bin = parent.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let record = parent.join("git-was-run");
    let real = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("git"))
        .find(|p| p.is_file());
    let exec = match real {
        Some(real) => format!("exec {} \"$@\"", real.display()),
        None => "exit 1".to_string(),
    };
    let script = format!("#!/bin/sh\necho \"$@\" >> {}\n{exec}\n", record.display());
    std::fs::write(bin.join("git"), script).expect("git stand-in");
    std::fs::set_permissions(bin.join("git"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    (PathBuf::from(path), record)
}

/// A git directory whose configuration runs `touch marker` from every place git takes a
/// command from: fsmonitor, hooks (hooksPath and .git/hooks), aliases, pager, external diff,
/// editor and ssh command; `safe.directory = *` so no ownership check stops it.
fn hostile_git_dir(git_dir: &Path, worktree: &str, marker: &Path) {
    let touch = format!("touch {}", marker.display());
    std::fs::create_dir_all(git_dir.join("objects")).expect("objects");
    std::fs::create_dir_all(git_dir.join("refs/heads")).expect("refs");
    std::fs::create_dir_all(git_dir.join("hooks")).expect("hooks");
    std::fs::write(git_dir.join("HEAD"), "ref: refs/heads/main\n").expect("HEAD");
    let hook = format!("#!/bin/sh\n{touch}\n");
    for name in [
        "post-checkout",
        "post-index-change",
        "pre-commit",
        "reference-transaction",
        "fsmonitor-watchman",
    ] {
        let path = git_dir.join("hooks").join(name);
        std::fs::write(&path, &hook).expect("hook");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    std::fs::write(
        git_dir.join("config"),
        format!(
            "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = {worktree}\n\
             \tfsmonitor = \"{touch}; false\"\n\thooksPath = {hooks}\n\tpager = \"{touch}; cat\"\n\
             \teditor = \"{touch}\"\n\tsshCommand = \"{touch}\"\n\
             [safe]\n\tdirectory = *\n\
             [alias]\n\tls-files = \"!{touch}\"\n\trev-parse = \"!{touch}\"\n\
             [diff]\n\texternal = \"{touch}\"\n",
            hooks = git_dir.join("hooks").display(),
        ),
    )
    .expect("config");
}

/// Opens `file` in the language server (with `path` as its PATH) and waits for its
/// diagnostics; the messages the server sent.
fn lsp_open(path: &Path, file: &Path) -> (Vec<Value>, String) {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nixpilot"));
    cmd.arg("lsp")
        .env("HOME", home.path())
        .env("PATH", path)
        .env_remove("SOPS_AGE_KEY")
        .env_remove("SOPS_AGE_KEY_FILE");
    let mut client = Client::spawn(cmd, Some(home));
    client.initialize();
    let uri = format!("file://{}", file.display());
    let text = std::fs::read_to_string(file).expect("open file");
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "nix", "version": 1, "text": text}}),
    );
    let diagnostics = client.diagnostics(&uri, Some(1));
    // Every project publish of this analysis, and any message about it.
    let _ = client.request("shutdown", json!(null));
    let log = client.log.join("\n");
    (diagnostics, log)
}

/// Runs every command that reads the repository: lint, hosts, plan deploy, status and the
/// language server (opening `open`). Each run's output, for the caller to search.
fn every_reader(repo: &Path, path_var: &Path, env: &[(&str, &str)], open: &Path) -> Vec<(String, String)> {
    let path = path_var.to_str().expect("PATH");
    let mut env: Vec<(&str, &str)> = env.to_vec();
    env.push(("PATH", path));
    let repo_arg = repo.to_str().expect("utf-8 path");
    let parent = repo.parent().expect("parent");
    let mut outputs = Vec::new();
    for args in [
        vec!["lint", repo_arg],
        vec!["lint", "--format", "json", repo_arg],
        vec!["hosts", repo_arg],
        plan_deploy_web1(repo_arg),
        vec!["status", "web1", "-C", repo_arg, "--no-eval", "--connect-timeout", "2"],
    ] {
        let out = run(parent, &args, &env, LIMIT);
        outputs.push((args.join(" "), out.all()));
    }
    let (diagnostics, log) = lsp_open(path_var, open);
    outputs.push((
        format!("lsp (open {})", open.display()),
        format!("{diagnostics:?}\n{log}"),
    ));
    outputs
}

fn assert_not_created(marker: &Path, what: &str) {
    assert!(!marker.exists(), "{what} ran: {} exists", marker.display());
}

/// The git tests: `dir` is analysed by every reader; neither the configured command nor git
/// itself may run.
fn assert_git_never_runs(parent: &Path, repo: &Path, marker: &Path) {
    let (path, git_record) = recording_git(parent);
    let open = repo.join("hosts/web1/configuration.nix");
    let outputs = every_reader(repo, &path, &[], &open);
    assert_not_created(marker, "a command from the repository's git configuration");
    let ran = std::fs::read_to_string(&git_record).unwrap_or_default();
    assert!(ran.is_empty(), "git was run with: {ran}\noutputs: {outputs:?}");
}

#[test]
fn git_fsmonitor_of_a_nested_git_dir_never_runs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let outer = repository(tmp.path());
    let evil = outer.join("examples/evil");
    common::copy_dir(&common::example("demo"), &evil);
    std::fs::write(evil.join("hosts/web1/ssh_host_ed25519_key.pub"), HOST_KEY).expect("pub");
    std::fs::write(evil.join("id_ed25519"), "-----BEGIN OPENSSH PRIVATE KEY-----\n").expect("key");
    let marker = tmp.path().join("fsmonitor-ran");
    hostile_git_dir(&evil.join(".git"), ".", &marker);
    assert_git_never_runs(tmp.path(), &evil, &marker);
}

#[test]
fn git_hooks_and_hooks_path_never_run() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = repository(tmp.path());
    let marker = tmp.path().join("hook-ran");
    hostile_git_dir(&repo.join(".git"), ".", &marker);
    // A hooks directory inside the work tree, as a repository would commit it.
    std::fs::create_dir_all(repo.join("githooks")).expect("githooks");
    for name in ["post-checkout", "post-index-change"] {
        let hook = repo.join("githooks").join(name);
        std::fs::write(&hook, format!("#!/bin/sh\ntouch {}\n", marker.display())).expect("hook");
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let config = std::fs::read_to_string(repo.join(".git/config")).expect("config");
    let hooks_path = repo.join(".git/hooks").display().to_string();
    let moved = config.replace(&hooks_path, "githooks");
    std::fs::write(repo.join(".git/config"), moved).expect("config");
    assert_git_never_runs(tmp.path(), &repo, &marker);
}

#[test]
fn a_gitdir_file_pointing_elsewhere_runs_nothing_and_shows_nothing_from_there() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = repository(tmp.path());
    let elsewhere = tmp.path().join("elsewhere"); // standalone: outside on purpose
    let marker = tmp.path().join("elsewhere-ran");
    hostile_git_dir(&elsewhere, &repo.display().to_string(), &marker);
    let secret = "SECRET-FROM-ELSEWHERE-7f3a";
    std::fs::write(elsewhere.join("description"), secret).expect("description");
    std::fs::write(elsewhere.join("index"), format!("DIRC\0\0\0\u{2}\0\0\0\u{1}{secret}")).expect("index");
    std::fs::write(repo.join(".git"), format!("gitdir: {}\n", elsewhere.display())).expect(".git file");
    let (path, git_record) = recording_git(tmp.path());
    let outputs = every_reader(&repo, &path, &[], &repo.join("hosts/web1/configuration.nix"));
    assert_not_created(&marker, "a command from the git directory the `.git` file points to");
    assert!(
        std::fs::read_to_string(&git_record).unwrap_or_default().is_empty(),
        "git was run"
    );
    for (command, output) in outputs {
        assert!(
            !output.contains(secret),
            "{command} showed a file outside the repository:\n{output}"
        );
    }
}

#[test]
fn git_aliases_pager_external_diff_and_safe_directory_never_run() {
    // The same configuration with the work tree of the enclosing repository itself: what
    // `git -C <root> …` would pick up when run there.
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = repository(tmp.path());
    let marker = tmp.path().join("alias-ran");
    hostile_git_dir(&repo.join(".git"), &repo.display().to_string(), &marker);
    // `safe.directory` would matter for a repository owned by someone else.
    let nobody = 65534;
    // SAFETY: a plain chown of a path we created; failure is fine (the ownership is a bonus).
    let c_path = std::ffi::CString::new(repo.join(".git").as_os_str().as_bytes()).expect("path");
    unsafe { libc::chown(c_path.as_ptr(), nobody, nobody) };
    assert_git_never_runs(tmp.path(), &repo, &marker);
}

#[test]
fn the_git_index_is_read_without_git_to_tell_a_tracked_key() {
    // The "tracked by git" answer still comes, from the index file alone.
    let git = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("git"))
        .find(|p| p.is_file());
    let Some(git) = git else {
        eprintln!("skipped: no git on PATH to make an index with");
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = repository(tmp.path());
    for index_version in ["2", "3", "4"] {
        let _ = std::fs::remove_dir_all(repo.join(".git"));
        let ok = |args: &[&str]| {
            let out = Command::new(&git)
                .args(args)
                .current_dir(&repo)
                .env("HOME", tmp.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .output()
                .expect("git");
            assert!(
                out.status.success(),
                "git {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        ok(&["init", "-q"]);
        ok(&[
            "-c",
            &format!("index.version={index_version}"),
            "add",
            "keys/admin",
            "flake.nix",
        ]);
        ok(&["update-index", "--index-version", index_version]);
        let (path, record) = recording_git(tmp.path());
        let out = run(
            tmp.path(),
            &["lint", "--format", "json", repo.to_str().expect("path")],
            &[("PATH", path.to_str().expect("PATH"))],
            LIMIT,
        );
        let report: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stderr));
        let key = report["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .find(|d| d["rule"] == "private-key-in-repo")
            .unwrap_or_else(|| panic!("no private-key-in-repo: {report}"));
        assert_eq!(
            key["severity"], "error",
            "index v{index_version}: a tracked key is an error: {key}"
        );
        assert!(
            std::fs::read_to_string(&record).unwrap_or_default().is_empty(),
            "git was run"
        );
    }
}

/// A marker the environment of nixpilot holds: it must never reach the output.
const ENV_SECRET: &str = "CI-TOKEN-do-not-print-5b1d";

#[test]
fn a_flake_lock_linked_to_proc_self_environ_is_reported_not_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = repository(tmp.path());
    symlink("/proc/self/environ", repo.join("flake.lock")).expect("link");
    let env = [("NIXPILOT_TEST_CI_TOKEN", ENV_SECRET)];
    for format in ["human", "json"] {
        let out = run(&repo, &["lint", "--format", format], &env, LIMIT);
        assert!(
            !out.all().contains(ENV_SECRET),
            "{format} output shows the environment:\n{}",
            out.all()
        );
        assert!(
            out.stdout.contains("flake.lock") && out.stdout.contains("pointing outside the repository"),
            "{format}: the link is not reported:\n{}",
            out.all()
        );
        assert_eq!(out.code, Some(0), "a warning, not a failure: {}", out.all());
    }
    let (diagnostics, log) = lsp_open(
        Path::new(&std::env::var("PATH").unwrap_or_default()),
        &repo.join("flake.nix"),
    );
    assert!(!log.contains(ENV_SECRET), "the language server sent the environment");
    assert!(
        log.contains("pointing outside the repository"),
        "not reported by the server: {diagnostics:?}\n{log}"
    );
}

/// A file outside the repository with a secret first line, as `.pub` and `.sops.yaml`
/// parsers would quote it.
fn outside_secret(parent: &Path) -> (PathBuf, &'static str) {
    let secret = "OUTSIDE-SECRET-LINE-c41e";
    let file = parent.join("outside-secret.txt"); // standalone: outside on purpose
    std::fs::write(&file, format!("{secret} = [\n")).expect("outside");
    (file, secret)
}

#[test]
fn sops_yaml_and_pub_links_leaving_the_repository_are_reported_not_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = repository(tmp.path());
    let (outside, secret) = outside_secret(tmp.path());
    // One relative link climbing out, one absolute.
    symlink("../outside-secret.txt", repo.join(".sops.yaml")).expect("link"); // standalone: outside on purpose
    let pub_file = repo.join("hosts/web1/ssh_host_ed25519_key.pub");
    std::fs::remove_file(&pub_file).expect("rm");
    symlink(&outside, &pub_file).expect("link");
    let repo_arg = repo.to_str().expect("path");
    let lint = run(&repo, &["lint"], &[], LIMIT);
    assert!(
        !lint.all().contains(secret),
        "lint showed an outside file:\n{}",
        lint.all()
    );
    assert!(
        lint.stdout
            .contains("`.sops.yaml`: a symbolic link pointing outside the repository"),
        "{}",
        lint.all()
    );
    let plan = run(&repo, &plan_deploy_web1(repo_arg), &[], LIMIT);
    assert!(
        !plan.all().contains(secret),
        "plan showed an outside file:\n{}",
        plan.all()
    );
    assert!(
        plan.stderr
            .contains("hosts/web1/ssh_host_ed25519_key.pub: a symbolic link pointing outside the repository"),
        "{}",
        plan.all()
    );
    assert_ne!(plan.code, Some(0));
    let status = run(
        &repo,
        &["status", "web1", "-C", repo_arg, "--no-eval", "--connect-timeout", "2"],
        &[],
        LIMIT,
    );
    assert!(
        !status.all().contains(secret),
        "status showed an outside file:\n{}",
        status.all()
    );
    let (_, log) = lsp_open(
        Path::new(&std::env::var("PATH").unwrap_or_default()),
        &repo.join("flake.nix"),
    );
    assert!(!log.contains(secret), "the language server sent an outside file");
}

#[test]
fn a_deploy_toml_linked_outside_is_not_printed_by_plan_or_deploy() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = repository(tmp.path());
    let (outside, secret) = outside_secret(tmp.path());
    let deploy_toml = repo.join("hosts/web1/deploy.toml");
    std::fs::remove_file(&deploy_toml).expect("rm");
    symlink(&outside, &deploy_toml).expect("link");
    let repo_arg = repo.to_str().expect("path");
    for args in [
        plan_deploy_web1(repo_arg),
        vec![
            "deploy",
            "web1",
            "-C",
            repo_arg,
            "--dry-run",
            "--identity",
            "/nonexistent/id",
        ],
    ] {
        let out = run(&repo, &args, &[], LIMIT);
        assert!(
            !out.all().contains(secret),
            "{args:?} printed an outside file:\n{}",
            out.all()
        );
        assert!(
            out.stderr
                .contains("hosts/web1/deploy.toml: a symbolic link pointing outside the repository"),
            "{args:?}: {}",
            out.all()
        );
    }
}

#[test]
fn links_inside_the_repository_keep_working() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = repository(tmp.path());
    // The pinned key and nixpilot.toml moved and linked back, through a linked directory.
    std::fs::create_dir_all(repo.join("real/keys")).expect("dir");
    std::fs::rename(
        repo.join("hosts/web1/ssh_host_ed25519_key.pub"),
        repo.join("real/keys/web1.pub"),
    )
    .expect("mv");
    symlink("real", repo.join("linked")).expect("dir link");
    symlink(
        "../../linked/keys/web1.pub",
        repo.join("hosts/web1/ssh_host_ed25519_key.pub"),
    )
    .expect("link"); // standalone: outside on purpose (resolves inside)
    std::fs::write(
        repo.join("real/nixpilot.toml"),
        "[rules]\nmissing-host-platform = \"off\"\n",
    )
    .expect("toml");
    symlink(repo.join("real/nixpilot.toml"), repo.join("nixpilot.toml")).expect("absolute link inside");
    let repo_arg = repo.to_str().expect("path");
    let lint = run(&repo, &["lint", "--format", "json"], &[], LIMIT);
    assert!(!lint.stdout.contains("unread-file"), "{}", lint.all());
    assert!(lint.stdout.contains("\"diagnostics\""), "{}", lint.all());
    let plan = run(&repo, &plan_deploy_web1(repo_arg), &[], LIMIT);
    assert!(
        plan.stdout.contains("pinned to hosts/web1/ssh_host_ed25519_key.pub"),
        "{}",
        plan.all()
    );
    assert!(!plan.all().contains("outside the repository"), "{}", plan.all());
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("path");
    // SAFETY: a plain mkfifo of a path we own.
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o644) },
        0,
        "mkfifo {}",
        path.display()
    );
}

#[test]
fn fifos_in_the_tree_are_reported_and_never_opened_for_reading() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = repository(tmp.path());
    mkfifo(&repo.join("flake.lock"));
    mkfifo(&repo.join("hosts/web1/.gitignore"));
    mkfifo(&repo.join("hosts/web1/secrets.yaml"));
    let out = run(&repo, &["lint", "--format", "json"], &[], Duration::from_secs(60));
    let report: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.all()));
    let unread: Vec<String> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "unread-file")
        .map(|d| d["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        unread
            .iter()
            .any(|m| m.contains("`flake.lock`: not a regular file (a named pipe)")),
        "{unread:?}"
    );
    assert!(unread.iter().any(|m| m.contains("hosts/web1/.gitignore")), "{unread:?}");
    let hosts = run(
        &repo,
        &["hosts", repo.to_str().expect("path")],
        &[],
        Duration::from_secs(60),
    );
    assert!(hosts.stdout.contains("web1"), "{}", hosts.all());
    let (diagnostics, _) = lsp_open(
        Path::new(&std::env::var("PATH").unwrap_or_default()),
        &repo.join("flake.nix"),
    );
    let _ = diagnostics;
}

#[test]
fn links_to_dev_stdin_and_dev_zero_are_not_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = repository(tmp.path());
    symlink("/dev/zero", repo.join("flake.lock")).expect("link");
    symlink("/dev/stdin", repo.join(".sops.yaml")).expect("link");
    symlink("/dev/zero", repo.join("hosts/web1/ssh_host_ed25519_key.pub.tmp")).expect("link");
    // stdin is a pipe nobody writes to: reading it would hang; /dev/zero never ends.
    let out = run(&repo, &["lint"], &[], Duration::from_secs(60));
    assert!(out.peak_rss_mib < 300, "peak memory {} MiB", out.peak_rss_mib);
    assert!(
        out.stdout
            .contains("`flake.lock`: a symbolic link pointing outside the repository (to /dev/zero)"),
        "{}",
        out.all()
    );
    assert!(out.stdout.contains("`.sops.yaml` cannot be read"), "{}", out.all());
    // The language server must not read its own JSON-RPC input as `.sops.yaml`: it answers.
    let (diagnostics, log) = lsp_open(
        Path::new(&std::env::var("PATH").unwrap_or_default()),
        &repo.join("flake.nix"),
    );
    assert!(log.contains("(to /dev/stdin)"), "{diagnostics:?}");
}

#[test]
fn a_sparse_three_gigabyte_file_is_not_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = repository(tmp.path());
    for name in ["disk.img", "hosts/web1/generated.nix", "secrets.yaml"] {
        let file = std::fs::File::create(repo.join(name)).expect("create");
        file.set_len(3 << 30).expect("sparse");
    }
    let out = run(&repo, &["lint", "--format", "json"], &[], Duration::from_secs(60));
    eprintln!("3 GiB files: lint took {:?}, peak {} MiB", out.took, out.peak_rss_mib);
    assert!(out.took < Duration::from_secs(30), "took {:?}", out.took);
    assert!(out.peak_rss_mib < 300, "peak memory {} MiB", out.peak_rss_mib);
    assert!(
        out.stdout.contains(
            "`hosts/web1/generated.nix`: 3072 MiB, more than the 128 MiB nixpilot reads of one file; not read"
        ),
        "{}",
        out.all()
    );
    let hosts = run(
        &repo,
        &["hosts", repo.to_str().expect("path")],
        &[],
        Duration::from_secs(60),
    );
    assert!(
        hosts.peak_rss_mib < 300,
        "hosts: peak memory {} MiB",
        hosts.peak_rss_mib
    );
}

#[test]
fn an_unreadable_entry_or_a_non_utf8_name_is_skipped_with_a_warning() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = repository(tmp.path());
    let bad_name = std::ffi::OsStr::from_bytes(b"bad-\xff.nix");
    std::fs::write(repo.join(bad_name), "{ }\n").expect("non-UTF-8 name");
    std::fs::create_dir_all(repo.join("locked")).expect("dir");
    std::fs::write(repo.join("locked/inner.nix"), "{ }\n").expect("inner");
    std::fs::set_permissions(repo.join("locked"), std::fs::Permissions::from_mode(0o000)).expect("chmod");
    // As root (CI containers) a mode of 000 does not stop reading: that sub-case is only
    // checked for other users.
    let locked_out = std::fs::read_dir(repo.join("locked")).is_err();
    if !locked_out {
        eprintln!("running as root: the unreadable-directory sub-case is not checked (000 does not stop root)");
    }
    let out = run(&repo, &["lint"], &[], LIMIT);
    std::fs::set_permissions(repo.join("locked"), std::fs::Permissions::from_mode(0o755)).expect("chmod back");
    assert_eq!(out.code, Some(0), "warnings only: {}", out.all());
    assert!(
        out.stderr.contains("nixpilot: warning:") && out.stderr.contains("is not valid UTF-8"),
        "{}",
        out.all()
    );
    if locked_out {
        assert!(out.stderr.contains("locked"), "{}", out.all());
    }
    // The rest is linted: the example's own files are there.
    assert!(out.stdout.contains("file"), "{}", out.all());
}

#[test]
fn an_unreadable_sops_yaml_is_reported_as_unreadable_not_missing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = repository(tmp.path());
    std::fs::create_dir_all(repo.join("secrets")).expect("dir");
    std::fs::write(
        repo.join("secrets/secrets.yaml"),
        "password: ENC[AES256_GCM,data:aGk=,iv:aGk=,tag:aGk=,type:str]\nsops:\n    age: []\n    lastmodified: \"2025-01-01T00:00:00Z\"\n    mac: ENC[AES256_GCM,data:aGk=,iv:aGk=,tag:aGk=,type:str]\n    version: 3.9.0\n",
    )
    .expect("sops file");
    // A named pipe stands for any file that cannot be read (a mode of 000 does not stop root).
    mkfifo(&repo.join(".sops.yaml"));
    let out = run(&repo, &["lint"], &[], Duration::from_secs(60));
    assert!(out.stdout.contains("`.sops.yaml` cannot be read"), "{}", out.all());
    assert!(!out.stdout.contains("has no `.sops.yaml`"), "{}", out.all());
}

#[test]
fn a_loose_nix_file_is_linted_alone_without_walking_its_directory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(home.join(".ssh")).expect("dir");
    std::fs::write(home.join("loose.nix"), "let unused = 1; in { }\n").expect("loose");
    // What a home holds: a private key (would be reported if the walk read it) and a FIFO
    // (would hang a walk that read it).
    std::fs::write(home.join(".ssh/id_ed25519"), "-----BEGIN OPENSSH PRIVATE KEY-----\n").expect("key");
    mkfifo(&home.join("flake.lock"));
    let out = run(
        &home,
        &["lint", "--format", "json", "loose.nix"],
        &[],
        Duration::from_secs(60),
    );
    let report: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.all()));
    let rules: Vec<&str> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["rule"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(rules, ["unused-let-binding"], "{}", out.all());
}
