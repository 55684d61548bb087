//! Glue for the binaries: the reactor hooks of the peer and the tracker, the peer's
//! status file, address parsing and parent-process watching. The wall clock is
//! [`crate::net::wall_clock`].

pub mod hooks;
mod parent;
mod resolve;
pub mod status;

pub use hooks::{PeerHooks, TrackerHooks};
pub use parent::ParentWatch;
pub use resolve::resolve;
