//! The end of a run: what a command that ends the process may leave to the exit.

/// Leaves what a command holds for the process's exit to take back. Freeing a large manifest,
/// tree diff and answer one allocation at a time costs `lanes affected` a measurable part of
/// its run on a large repository, work the kernel does at once when the process ends. Only for
/// commands that end the process (`main` runs them once), never in a loop.
pub(crate) fn leave_to_exit<T>(held: T) {
    std::mem::forget(held);
}
