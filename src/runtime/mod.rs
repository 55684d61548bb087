//! Glue for the binaries: address parsing, and the peer's hooks (block storage, status
//! line, status file). The wall clock is [`crate::net::wall_clock`].

pub mod hooks;
pub mod status;

pub use hooks::{PeerHooks, TrackerHooks};

use std::net::{SocketAddr, ToSocketAddrs};

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

/// Watches for the parent process going away (its children are re-parented), so a
/// child started by `devnet` stops when devnet dies, however it dies.
#[derive(Clone, Copy, Debug)]
pub struct ParentWatch(Option<u32>);

impl ParentWatch {
    /// Watches the current parent if `enabled`; otherwise never fires.
    pub fn new(enabled: bool) -> ParentWatch {
        ParentWatch(enabled.then(std::os::unix::process::parent_id))
    }

    /// True once the parent we started with is gone.
    pub fn parent_gone(&self) -> bool {
        self.0
            .is_some_and(|p| std::os::unix::process::parent_id() != p)
    }
}
