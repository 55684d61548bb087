//! The data directory's `network` file: which network (name and genesis) the
//! directory belongs to, so that a peer never opens another network's directory.
//!
//! The file holds one line, `NAME GENESIS\n`: the network's name (`main`, `testnet`,
//! `regtest`, `devnet-5s`, …) and its genesis block hash in display hex. It is written
//! once, when a directory is first used, and checked on every later start.

use super::{io_err, StoreError};
use crate::chain::hash::Hash256;
use crate::chain::params::NetworkParams;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::Path;

/// Name of the network file inside the data directory.
pub const NETWORK_FILE_NAME: &str = "network";
/// Largest network file read; a valid one is a name (at most 32 bytes), a space, 64 hex
/// characters and a newline, so anything bigger is malformed.
pub const MAX_NETWORK_FILE_BYTES: u64 = 128;
/// Longest network name accepted in the file.
const MAX_NAME_LEN: usize = 32;

/// What a directory's network file says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirNetwork {
    /// The network's name, e.g. `devnet-10s`.
    pub name: String,
    /// Its genesis block hash.
    pub genesis: Hash256,
}

impl DirNetwork {
    /// The record for `params`.
    pub fn of(params: &NetworkParams) -> DirNetwork {
        DirNetwork {
            name: params.name.clone(),
            genesis: params.network_id(),
        }
    }
}

/// Checks that `dir` belongs to `params`' network, recording it there if the directory
/// has no network file yet (a new directory, or one from a version before the file).
/// Returns true if the file was created.
///
/// # Errors
/// [`StoreError::NetworkMismatch`] if the directory belongs to another network,
/// [`StoreError::NetworkMalformed`] if the file is not one valid line,
/// [`StoreError::Io`] if it cannot be read or written.
pub fn check_or_record_network(dir: &Path, params: &NetworkParams) -> Result<bool, StoreError> {
    let path = dir.join(NETWORK_FILE_NAME);
    let ours = DirNetwork::of(params);
    match read_network(&path)? {
        Some(found) if found == ours => Ok(false),
        Some(found) => Err(StoreError::NetworkMismatch {
            path,
            found: Box::new(found),
            wanted: Box::new(ours),
        }),
        None => {
            write_network(&path, &ours)?;
            Ok(true)
        }
    }
}

/// Reads a network file; `None` if it does not exist.
///
/// # Errors
/// [`StoreError::NetworkMalformed`] or [`StoreError::Io`].
pub fn read_network(path: &Path) -> Result<Option<DirNetwork>, StoreError> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path, "open")(e)),
    };
    let mut text = Vec::new();
    file.take(MAX_NETWORK_FILE_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(io_err(path, "read"))?;
    parse(&text)
        .map(Some)
        .map_err(|reason| StoreError::NetworkMalformed {
            path: path.to_path_buf(),
            reason,
        })
}

/// Parses the file's bytes.
fn parse(text: &[u8]) -> Result<DirNetwork, &'static str> {
    if text.len() as u64 > MAX_NETWORK_FILE_BYTES {
        return Err("longer than any valid network file");
    }
    let line = text
        .strip_suffix(b"\n")
        .ok_or("expected one line ending in a newline")?;
    let line = std::str::from_utf8(line).map_err(|_| "not text")?;
    let (name, genesis) = line
        .split_once(' ')
        .ok_or("expected a network name, a space and a genesis hash")?;
    let name_ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !name_ok {
        return Err("the network name is not 1 to 32 letters, digits, '-' or '_'");
    }
    if genesis.len() != 64 {
        return Err("the genesis hash is not 64 hex characters");
    }
    let genesis = Hash256::from_hex(genesis).ok_or("the genesis hash is not hex")?;
    Ok(DirNetwork {
        name: name.to_string(),
        genesis,
    })
}

/// Writes the file next to its final place, syncs it, and renames it over, so that a
/// crash leaves either no file or a whole one.
fn write_network(path: &Path, net: &DirNetwork) -> Result<(), StoreError> {
    let tmp = path.with_extension("tmp");
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(io_err(&tmp, "create"))?;
    let line = format!("{} {}\n", net.name, net.genesis);
    file.write_all(line.as_bytes())
        .map_err(io_err(&tmp, "write"))?;
    file.sync_all().map_err(io_err(&tmp, "sync"))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io_err(path, "rename into place"))?;
    if let Some(dir) = path.parent() {
        // Make the rename durable; a directory that cannot be opened for sync is not
        // worth failing the start for (the file itself is synced).
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!(
            "cheese-netfile-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn first_use_records_then_the_same_network_passes() {
        let dir = temp_dir("same");
        let p = NetworkParams::regtest();
        assert!(check_or_record_network(&dir, &p).unwrap());
        let text = std::fs::read_to_string(dir.join(NETWORK_FILE_NAME)).unwrap();
        assert_eq!(text, format!("regtest {}\n", p.network_id()));
        assert!(!check_or_record_network(&dir, &p).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn another_network_is_refused_and_the_file_kept() {
        let dir = temp_dir("other");
        let five = NetworkParams::devnet(5);
        let ten = NetworkParams::devnet(10);
        check_or_record_network(&dir, &five).unwrap();
        let before = std::fs::read(dir.join(NETWORK_FILE_NAME)).unwrap();
        let err = check_or_record_network(&dir, &ten).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, StoreError::NetworkMismatch { .. }), "{err:?}");
        assert!(
            msg.contains("devnet-5s") && msg.contains("devnet-10s"),
            "{msg}"
        );
        assert_eq!(std::fs::read(dir.join(NETWORK_FILE_NAME)).unwrap(), before);
        let err = check_or_record_network(&dir, &NetworkParams::testnet()).unwrap_err();
        assert!(matches!(err, StoreError::NetworkMismatch { .. }));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_renamed_network_with_the_same_name_but_other_genesis_is_refused() {
        let dir = temp_dir("genesis");
        let p = NetworkParams::regtest();
        let fake = format!("regtest {}\n", Hash256([7; 32]));
        std::fs::write(dir.join(NETWORK_FILE_NAME), fake).unwrap();
        assert!(matches!(
            check_or_record_network(&dir, &p),
            Err(StoreError::NetworkMismatch { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn malformed_files_are_typed_errors() {
        let g = NetworkParams::regtest().network_id().to_string();
        let long_name = "x".repeat(33);
        let cases: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"regtest".to_vec(),
            format!("regtest {g}").into_bytes(),
            format!("regtest {g}\n\n").into_bytes(),
            format!("reg test {g}\n").into_bytes(),
            format!(" {g}\n").into_bytes(),
            format!("{long_name} {g}\n").into_bytes(),
            format!("regtest {}\n", &g[..63]).into_bytes(),
            format!("regtest {}zz\n", &g[..62]).into_bytes(),
            vec![0xff; 80],
            vec![b'a'; 10_000],
        ];
        for text in cases {
            assert!(
                parse(&text).is_err(),
                "{:?}",
                String::from_utf8_lossy(&text)
            );
        }
        let dir = temp_dir("malformed");
        std::fs::write(dir.join(NETWORK_FILE_NAME), vec![b'a'; 1 << 20]).unwrap();
        let err = check_or_record_network(&dir, &NetworkParams::regtest()).unwrap_err();
        assert!(
            matches!(err, StoreError::NetworkMalformed { .. }),
            "{err:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
