//! The devnet's child processes: starting a role from this executable, reading the
//! address it prints, and killing them all when devnet stops.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The child processes, with their stdout pipes kept open; all are killed when this
/// is dropped, also on panic or error.
pub(super) struct Children(
    pub(super) Vec<(String, Child)>,
    pub(super) Vec<BufReader<std::process::ChildStdout>>,
);

impl Drop for Children {
    fn drop(&mut self) {
        for (_, c) in &mut self.0 {
            let _ = c.kill();
        }
        for (_, c) in &mut self.0 {
            let _ = c.wait();
        }
    }
}

/// A started child, its stdout (kept open so it never gets a broken pipe) and the
/// address it printed.
pub(super) type Spawned = (Child, BufReader<std::process::ChildStdout>, String);

/// Starts `exe role args...` with stderr to `dir/<role>.log`, and returns it with the
/// address from its first stdout line (`... listening on ADDR`).
pub(super) fn spawn(
    exe: &Path,
    role: &str,
    args: &[String],
    dir: &Path,
) -> Result<Spawned, String> {
    let log = std::fs::File::create(dir.join(format!("{role}.log")))
        .map_err(|e| format!("cannot create log in {}: {e}", dir.display()))?;
    let mut child = Command::new(exe)
        .arg(role)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .map_err(|e| format!("cannot start {role}: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let mut line = String::new();
    let mut reader = BufReader::new(stdout);
    let got = reader.read_line(&mut line);
    match got {
        Ok(n) if n > 0 => {}
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "{role} failed to start; see {}",
                dir.join(format!("{role}.log")).display()
            ));
        }
    }
    let addr = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_string();
    Ok((child, reader, addr))
}
