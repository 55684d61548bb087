//! Persistent storage: the append-only block file and the node's key file.
