//! The devnet's data directory: wiped at start only if devnet made it (a marker file
//! says so), and locked while a devnet runs in it (a lock file holding its PID), so a
//! second devnet on the same folder refuses before it deletes anything.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

/// Name of the marker file that makes a directory safe for devnet to wipe.
pub const MARKER: &str = ".devnet";

/// Name of the lock file a running devnet holds in its data directory: its PID and a
/// newline.
pub const LOCK: &str = ".devnet.lock";

/// The hidden role of the devnet binary that removes the lock once devnet is gone (see
/// [`DirLock`]).
pub const RELEASE_ROLE: &str = "release-lock";

/// The lock on a devnet data directory, removed when dropped (normal exit, error,
/// panic). A killed devnet (Ctrl-C, SIGKILL) runs no destructor, so a helper process in
/// its own process group (the terminal's Ctrl-C does not reach it) waits for its stdin
/// pipe to close, which happens however devnet dies, and then removes the lock if it
/// still holds devnet's PID (see [`release_after_parent`]).
pub(super) struct DirLock {
    path: PathBuf,
    pid: u32,
    helper: Option<(Child, ChildStdin)>,
}

impl Drop for DirLock {
    fn drop(&mut self) {
        remove_if_held_by(&self.path, self.pid);
        if let Some((mut child, stdin)) = self.helper.take() {
            drop(stdin);
            let _ = child.wait();
        }
    }
}

/// Locks `dir`, then empties it if it is a devnet directory (or creates it) unless
/// `keep`; refuses to touch a directory devnet did not create, or one another devnet
/// is running in. `exe` is this executable, started as the lock's release helper.
pub(super) fn prepare_dir(dir: &Path, keep: bool, exe: &Path) -> Result<DirLock, String> {
    if dir.exists() && !keep {
        let is_ours = dir.join(MARKER).exists() || dir.join(LOCK).exists();
        let empty = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .next()
            .is_none();
        if !is_ours && !empty {
            return Err(format!(
                "{} exists and was not made by devnet; choose another --data-dir",
                dir.display()
            ));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut lock = acquire(dir)?;
    if !keep {
        clear_except_lock(dir)?;
    }
    std::fs::write(dir.join(MARKER), "made by devnet; wiped at each start\n")
        .map_err(|e| format!("cannot write {}: {e}", dir.join(MARKER).display()))?;
    lock.helper = spawn_helper(exe, &lock.path, lock.pid);
    Ok(lock)
}

/// Creates the lock file of `dir` with this process's PID; removes a stale lock (its
/// PID no longer runs a devnet) once, saying so on stderr.
fn acquire(dir: &Path) -> Result<DirLock, String> {
    let path = dir.join(LOCK);
    let pid = std::process::id();
    for attempt in 0..2 {
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                let lock = DirLock {
                    path: path.clone(),
                    pid,
                    helper: None,
                };
                f.write_all(format!("{pid}\n").as_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                return Ok(lock);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt == 0 => {
                let holder = read_pid(&path).ok_or_else(|| {
                    format!(
                        "{} is locked by {} (no PID in it); if no devnet runs there, delete the lock",
                        dir.display(),
                        path.display()
                    )
                })?;
                if pid_runs_devnet(holder) {
                    return Err(format!(
                        "{} is in use by another devnet (PID {holder}); stop it or choose another --data-dir",
                        dir.display()
                    ));
                }
                eprintln!(
                    "devnet: removing stale lock {} of PID {holder}, which no longer runs",
                    path.display()
                );
                std::fs::remove_file(&path)
                    .map_err(|e| format!("cannot remove stale lock {}: {e}", path.display()))?;
            }
            Err(e) => return Err(format!("cannot create lock {}: {e}", path.display())),
        }
    }
    Err(format!(
        "{} is in use by another devnet that just started",
        dir.display()
    ))
}

/// The PID in a lock file, if it holds one.
fn read_pid(path: &Path) -> Option<u32> {
    let mut s = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(64)
        .read_to_string(&mut s)
        .ok()?;
    s.trim().parse().ok()
}

/// Whether process `pid` exists and runs the same program as this one (a reused PID of
/// another program makes the lock stale too). Without `/proc` nothing can be checked,
/// so the lock counts as held.
fn pid_runs_devnet(pid: u32) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    if !proc_dir.exists() {
        return false;
    }
    match (
        std::fs::read(proc_dir.join("comm")),
        std::fs::read("/proc/self/comm"),
    ) {
        (Ok(theirs), Ok(ours)) => theirs == ours,
        _ => true,
    }
}

/// Removes the lock at `path` if it still holds `pid` (a newer devnet's lock stays).
fn remove_if_held_by(path: &Path, pid: u32) {
    if read_pid(path) == Some(pid) {
        let _ = std::fs::remove_file(path);
    }
}

/// Removes everything in `dir` but the lock file.
fn clear_except_lock(dir: &Path) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        if entry.file_name() == LOCK {
            continue;
        }
        let p = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let r = if is_dir {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
        r.map_err(|e| format!("cannot clear {}: {e}", p.display()))?;
    }
    Ok(())
}

/// Starts `exe release-lock PATH PID` in its own process group with a pipe on its
/// stdin; `None` if it cannot start (the lock then stays after a kill, and the next
/// devnet removes it as stale).
fn spawn_helper(exe: &Path, path: &Path, pid: u32) -> Option<(Child, ChildStdin)> {
    use std::os::unix::process::CommandExt;
    let mut child = Command::new(exe)
        .arg(RELEASE_ROLE)
        .arg(path)
        .arg(pid.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .ok()?;
    let stdin = child.stdin.take()?;
    Some((child, stdin))
}

/// The release helper (`devnet release-lock PATH PID`): waits until its stdin reaches
/// end of file (devnet, which holds the other end, has exited), then removes the lock
/// at PATH if it still holds PID.
///
/// # Errors
/// A message if the arguments are not a path and a PID.
pub fn release_after_parent(args: &[String]) -> Result<(), String> {
    let [path, pid] = args else {
        return Err(format!("usage: devnet {RELEASE_ROLE} LOCK_FILE PID"));
    };
    let pid: u32 = pid.parse().map_err(|_| format!("bad PID {pid:?}"))?;
    let mut sink = [0u8; 64];
    let mut stdin = std::io::stdin().lock();
    loop {
        match stdin.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    remove_if_held_by(Path::new(path), pid);
    Ok(())
}
