//! Parent-process watching, so a child that `devnet` started stops with it.

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
