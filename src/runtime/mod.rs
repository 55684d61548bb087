//! Glue for the binaries: the wall clock, address parsing, and the peer's hooks
//! (block storage, status line, status file). The only non-reactor code that reads the
//! clock.

pub mod hooks;
pub mod status;

pub use hooks::PeerHooks;

use crate::service::Time;
use std::net::{SocketAddr, ToSocketAddrs};

/// The current wall-clock time.
pub fn now() -> Time {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Time(d.as_millis() as u64)
}

/// Resolves `HOST:PORT` (a name or an IP) to its first address.
///
/// # Errors
/// A message naming the input when it does not parse or resolve.
pub fn resolve(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse() {
        return Ok(a);
    }
    s.to_socket_addrs()
        .map_err(|e| format!("cannot resolve {s:?}: {e} (expected HOST:PORT)"))?
        .next()
        .ok_or_else(|| format!("{s:?} resolves to no address"))
}
