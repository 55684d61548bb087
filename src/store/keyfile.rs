//! Secret key files: the node's `node.key` and wallet keys.
//!
//! A key file holds the secret key as 64 lowercase hex characters and a newline. It is
//! created with mode 0600 and refused when its group or others may read it.

use super::{io_err, StoreError};
use crate::chain::hash::{hex, unhex};
use crate::chain::keys::generate_secret;
use secp256k1::SecretKey;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Name of the node's key file inside the data directory.
pub const KEY_FILE_NAME: &str = "node.key";
/// Largest key file read; a valid one is 65 bytes, so anything bigger is malformed.
pub const MAX_KEY_FILE_BYTES: u64 = 128;

/// Loads `dir/node.key`, or creates it with a fresh random key if it does not exist
/// (creating `dir` as needed).
///
/// # Errors
/// As [`load_key`] and [`save_key`], and [`StoreError::Io`] if no random key can be drawn.
pub fn load_or_create_key(dir: &Path) -> Result<SecretKey, StoreError> {
    let path = dir.join(KEY_FILE_NAME);
    if path.exists() {
        return load_key(&path);
    }
    std::fs::create_dir_all(dir).map_err(io_err(dir, "create directory"))?;
    let sk = generate_secret().map_err(io_err(Path::new("/dev/urandom"), "read"))?;
    save_key(&path, &sk)?;
    log::info!("created a new node key in {}", path.display());
    Ok(sk)
}

/// Reads a key file.
///
/// # Errors
/// [`StoreError::KeyPermissions`] if the group or others have any access bit,
/// [`StoreError::KeyMalformed`] unless the content is 64 hex characters (optionally
/// followed by one newline) of a valid secret key, [`StoreError::Io`] on I/O failure.
pub fn load_key(path: &Path) -> Result<SecretKey, StoreError> {
    let file = std::fs::File::open(path).map_err(io_err(path, "open"))?;
    let meta = file.metadata().map_err(io_err(path, "stat"))?;
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(StoreError::KeyPermissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    let malformed = |reason| StoreError::KeyMalformed {
        path: path.to_path_buf(),
        reason,
    };
    let mut text = Vec::new();
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(io_err(path, "read"))?;
    let body = text.strip_suffix(b"\n").unwrap_or(&text);
    if body.len() != 64 {
        return Err(malformed("expected 64 hex characters and a newline"));
    }
    let body = std::str::from_utf8(body).map_err(|_| malformed("not hex text"))?;
    let bytes: [u8; 32] = unhex(body)
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| malformed("not hex text"))?;
    SecretKey::from_secret_bytes(bytes).map_err(|_| malformed("not a valid secp256k1 secret key"))
}

/// Writes a new key file with mode 0600. Never overwrites: an existing file is an error.
///
/// # Errors
/// [`StoreError::Io`] if the file exists or cannot be written and synced.
pub fn save_key(path: &Path, sk: &SecretKey) -> Result<(), StoreError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err(path, "create"))?;
    let mut text = hex(&sk.to_secret_bytes());
    text.push('\n');
    file.write_all(text.as_bytes())
        .map_err(io_err(path, "write"))?;
    file.sync_all().map_err(io_err(path, "sync"))?;
    Ok(())
}
