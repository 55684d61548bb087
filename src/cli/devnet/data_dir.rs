//! The devnet's data directory: wiped at start only if devnet made it (a marker file
//! says so).

use std::path::Path;

/// Name of the marker file that makes a directory safe for devnet to wipe.
pub const MARKER: &str = ".devnet";

/// Empties `dir` if it is a devnet directory (or creates it); refuses to wipe a
/// directory devnet did not create.
pub(super) fn prepare_dir(dir: &Path, keep: bool) -> Result<(), String> {
    if dir.exists() && !keep {
        let is_ours = dir.join(MARKER).exists();
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
        std::fs::remove_dir_all(dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::write(dir.join(MARKER), "made by devnet; wiped at each start\n")
        .map_err(|e| e.to_string())
}
