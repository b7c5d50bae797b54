//! Faults around the binary's writes: `secrets set` and `lint --fix` killed with SIGKILL at
//! random points leave every file old or new, never torn; a full disk (a tmpfs of a few KiB)
//! gives an error naming the file and leaves it intact. SSH faults live in tests/deploy.rs.
//! The tmpfs tests need root and mount(2); they skip without, except under `CI`, where they fail.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn vector(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(name)
}

/// A scratch directory with `work/` (the working directory) and a private copy of the
/// vector's age key, which every command gets as SOPS_AGE_KEY_FILE.
struct World {
    root: tempfile::TempDir,
    key: PathBuf,
}

impl World {
    fn new() -> World {
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(root.path().join("work")).expect("mkdir");
        let key = root.path().join("age-keys.txt");
        std::fs::copy(vector("sops-nix/age-keys.txt"), &key).expect("key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        World { root, key }
    }

    fn work(&self) -> PathBuf {
        self.root.path().join("work")
    }

    fn command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_nixpilot"));
        c.args(args)
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.root.path())
            .env("TMPDIR", self.root.path())
            .env("SOPS_AGE_KEY_FILE", &self.key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    /// Runs to the end; returns exit code and stderr.
    fn run(&self, dir: &Path, args: &[&str], stdin: &[u8]) -> (i32, String) {
        let mut child = self.command(dir, args).spawn().expect("spawn nixpilot");
        child.stdin.take().expect("stdin").write_all(stdin).expect("stdin");
        let out = child.wait_with_output().expect("wait");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn get(&self, dir: &Path, file: &str, key: &str) -> Option<Vec<u8>> {
        let out = self
            .command(dir, &["secrets", "get", file, key])
            .stdin(Stdio::null())
            .output()
            .expect("get");
        out.status.success().then_some(out.stdout)
    }
}

/// A small deterministic generator, so a failing run can be repeated from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn seed() -> u64 {
    std::env::var("NIXPILOT_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64 | 1)
        })
}

/// How long a command usually runs: the median of three runs of `make`.
fn typical_duration(mut make: impl FnMut() -> Duration) -> Duration {
    let mut runs: Vec<Duration> = (0..3).map(|_| make()).collect();
    runs.sort();
    runs[1]
}

/// Starts `command`, kills it with SIGKILL after `delay`, and waits for it.
fn kill_after(mut command: Command, stdin: &[u8], delay: Duration) {
    let mut child = command.spawn().expect("spawn");
    // A value of a few bytes fits the pipe; the write cannot block on a dead child.
    let _ = child.stdin.take().expect("stdin").write_all(stdin);
    std::thread::sleep(delay);
    let _ = child.kill();
    let _ = child.wait();
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn secrets_set_killed_at_random_points_leaves_the_old_file_or_the_new_one() {
    let w = World::new();
    let file = w.work().join("secrets.yaml");
    std::fs::copy(vector("sops-nix/secrets.yaml"), &file).expect("copy");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let mut rng = Rng(seed());
    eprintln!("seed {} (NIXPILOT_FAULT_SEED repeats it)", rng.0);
    let typical = typical_duration(|| {
        let started = Instant::now();
        let (code, err) = w.run(
            &w.work(),
            &["secrets", "set", "secrets.yaml", "calibrate", "--value-stdin"],
            b"x",
        );
        assert_eq!(code, 0, "{err}");
        started.elapsed()
    });
    let (mut old, mut new) = (0, 0);
    for round in 0..40 {
        let before = std::fs::read(&file).expect("read");
        let value = format!("value-{round}");
        let delay = Duration::from_micros(rng.below(typical.as_micros() as u64 * 12 / 10));
        let mut command = w.command(&w.work(), &["secrets", "set", "secrets.yaml", "fault", "--value-stdin"]);
        command.stdin(Stdio::piped());
        kill_after(command, value.as_bytes(), delay);
        let after = std::fs::read(&file).expect("the file is still there");
        if after == before {
            old += 1;
        } else {
            // Not the old bytes: then the whole new file, which decrypts (MAC checked) with the value.
            assert_eq!(
                w.get(&w.work(), "secrets.yaml", "fault").as_deref(),
                Some(value.as_bytes()),
                "round {round} (killed after {delay:?}): a changed file that is not the new one:\n{}",
                String::from_utf8_lossy(&after)
            );
            new += 1;
        }
        // Whatever the kill left (a temp file, the lock file) holds no plaintext and is no
        // more readable than the secrets file itself; the next writer removes it.
        let file_mode = std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
        for name in names_in(&w.work()) {
            let path = w.work().join(&name);
            let text = std::fs::read(&path).expect("read");
            assert!(
                !String::from_utf8_lossy(&text).contains(&value),
                "{name} holds the value in clear"
            );
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(
                mode & 0o077 & !file_mode,
                0,
                "{name} is {mode:o}, the file {file_mode:o}"
            );
        }
    }
    eprintln!("40 kills over {typical:?} runs: {old} left the old file, {new} the new one");
    // The points must have fallen on both sides of the rename, or the test tried nothing.
    assert!(old > 0 && new > 0, "old {old}, new {new}");
    let (code, err) = w.run(
        &w.work(),
        &["secrets", "set", "secrets.yaml", "after", "--value-stdin"],
        b"ok",
    );
    assert_eq!(code, 0, "a writer after the kills: {err}");
    assert_eq!(
        names_in(&w.work()),
        ["secrets.yaml"],
        "stale temp or lock files were not cleaned up"
    );
}

/// A project with `n` files, each with an unused `let` binding `--fix` removes.
fn fixable_project(dir: &Path, n: usize) -> Vec<(PathBuf, String, String)> {
    std::fs::write(dir.join("flake.nix"), "{ outputs = _: { }; }\n").expect("flake");
    (0..n)
        .map(|i| {
            let path = dir.join(format!("m{i:03}.nix"));
            let old = format!(
                "{{ pkgs, ... }}:\nlet\n  unused{i} = {i};\n  port = 80;\nin\n{{ services.x{i}.port = port; }}\n"
            );
            let new = format!("{{ pkgs, ... }}:\nlet\n  port = 80;\nin\n{{ services.x{i}.port = port; }}\n");
            std::fs::write(&path, &old).expect("write");
            (path, old, new)
        })
        .collect()
}

#[test]
fn lint_fix_killed_at_random_points_leaves_each_file_old_or_new() {
    let w = World::new();
    let mut rng = Rng(seed());
    eprintln!("seed {} (NIXPILOT_FAULT_SEED repeats it)", rng.0);
    // The fixed texts, checked once on an uninterrupted run.
    let calibrate = tempfile::tempdir().expect("tempdir");
    let files = fixable_project(calibrate.path(), 150);
    let typical = typical_duration(|| {
        let files = fixable_project(calibrate.path(), 150);
        let started = Instant::now();
        let (code, err) = w.run(calibrate.path(), &["lint", "--fix"], b"");
        let took = started.elapsed();
        assert_eq!(code, 0, "{err}");
        for (path, _, new) in &files {
            assert_eq!(&std::fs::read_to_string(path).expect("read"), new);
        }
        took
    });
    drop(files);
    let (mut untouched, mut partial, mut complete) = (0, 0, 0);
    for round in 0..25 {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = fixable_project(dir.path(), 150);
        let delay = Duration::from_micros(rng.below(typical.as_micros() as u64 * 12 / 10));
        kill_after(w.command(dir.path(), &["lint", "--fix"]), b"", delay);
        let mut fixed = 0;
        for (path, old, new) in &files {
            let now = std::fs::read_to_string(path).expect("every file is still there");
            assert!(
                now == *old || now == *new,
                "round {round} (killed after {delay:?}): {} is torn:\n{now}",
                path.display()
            );
            fixed += usize::from(now == *new);
        }
        match fixed {
            0 => untouched += 1,
            n if n == files.len() => complete += 1,
            _ => partial += 1,
        }
    }
    eprintln!("25 kills over {typical:?} runs: {untouched} before any write, {partial} mid-way, {complete} after all");
    assert!(untouched + partial + complete == 25);
}

/// A tmpfs of `size` mounted on a fresh directory, unmounted on drop; `None` (skip) when this
/// process may not mount, except under CI.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0755"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            other => {
                let why = match other {
                    Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
                    Err(e) => e.to_string(),
                };
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI is set but a tmpfs cannot be mounted ({why}); the disk-full tests need root and mount(2)"
                );
                eprintln!("skipping: cannot mount a tmpfs here ({why}); the disk-full tests need root");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the file system to the last few bytes.
    fn fill(&self) {
        let mut filler = std::fs::File::create(self.path().join("filler")).expect("filler");
        let chunk = vec![0u8; 512];
        while filler.write_all(&chunk).is_ok() {}
        let _ = filler.flush();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[test]
fn secrets_set_on_a_full_disk_says_so_and_keeps_the_file() {
    let Some(fs) = Tmpfs::mount("64k") else { return };
    let w = World::new();
    let file = fs.path().join("secrets.yaml");
    std::fs::copy(vector("sops-nix/secrets.yaml"), &file).expect("copy");
    let before = std::fs::read(&file).expect("read");
    fs.fill();
    let big = vec![b'v'; 32 << 10];
    let (code, err) = w.run(
        fs.path(),
        &["secrets", "set", "secrets.yaml", "big", "--value-stdin"],
        &big,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("nixpilot: error: "), "{err}");
    assert!(
        err.contains("secrets.yaml") && err.contains("No space left on device"),
        "{err}"
    );
    assert!(!err.contains("vvvvvvvv"), "the value in the error: {err}");
    assert_eq!(std::fs::read(&file).expect("read"), before, "the file changed");
    assert_eq!(
        names_in(fs.path()),
        ["filler", "secrets.yaml"],
        "temp or lock files left behind"
    );
    // Room again: the same command works.
    std::fs::remove_file(fs.path().join("filler")).expect("rm");
    let (code, err) = w.run(
        fs.path(),
        &["secrets", "set", "secrets.yaml", "big", "--value-stdin"],
        &big,
    );
    assert_eq!(code, 0, "{err}");
}

#[test]
fn lint_fix_on_a_full_disk_says_so_and_keeps_the_file() {
    let Some(fs) = Tmpfs::mount("64k") else { return };
    let w = World::new();
    let files = fixable_project(fs.path(), 1);
    fs.fill();
    let (code, err) = w.run(fs.path(), &["lint", "--fix"], b"");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("m000.nix") && err.contains("No space left on device"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&files[0].0).expect("read"), files[0].1);
    assert_eq!(
        names_in(fs.path()),
        ["filler", "flake.nix", "m000.nix"],
        "temp files left behind"
    );
}
