//! The files that differ between two commits, found by descending only into differing trees.

use std::collections::VecDeque;
use std::ops::ControlFlow;

use gix::bstr::{BStr, BString, ByteSlice as _, ByteVec as _};
use gix::diff::tree::{Visit, visit};
use gix::objs::{FindExt as _, TreeRefIter};

use crate::{Change, ChangeKind, CommitId, GitError, Repo};

impl Repo {
    /// The files (blobs, symlinks, submodule commits) that differ between `from` and `to`,
    /// sorted by path. Directories are never listed, and renames are not detected: a moved
    /// file is `Deleted` at its old path and `Added` at its new one.
    pub fn changes(&self, from: CommitId, to: CommitId) -> Result<Vec<Change>, GitError> {
        let context = || format!("diff {} and {}", from.short(), to.short());
        let (from_tree, to_tree) = (self.tree_of(from)?, self.tree_of(to)?);
        let mut collector = Collector::default();
        if from_tree != to_tree {
            let mut state = gix::diff::tree::State::default();
            let (mut from_buf, mut to_buf) = (Vec::new(), Vec::new());
            let objects = &self.repo.objects;
            let from_iter = tree_iter(objects, &from_tree, &mut from_buf)
                .map_err(|error| GitError::read(context(), &error))?;
            let to_iter = tree_iter(objects, &to_tree, &mut to_buf)
                .map_err(|error| GitError::read(context(), &error))?;
            gix::diff::tree(from_iter, to_iter, &mut state, objects, &mut collector).map_err(
                |error| GitError::Read {
                    context: context(),
                    message: error.to_string(),
                },
            )?;
        }
        let mut changes = collector.changes;
        changes.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        Ok(changes)
    }
}

/// Iterates a tree's entries; the empty tree needs no object, as a fresh repository may lack it.
pub(crate) fn tree_iter<'a>(
    objects: &impl gix::objs::Find,
    id: &gix::oid,
    buf: &'a mut Vec<u8>,
) -> Result<TreeRefIter<'a>, gix::Error> {
    if id.is_empty_tree() {
        return Ok(TreeRefIter::from_bytes(&[], id.kind()));
    }
    objects.find_tree_iter(id, buf)
}

/// Records non-tree changes with their full paths.
#[derive(Default)]
struct Collector {
    path: BString,
    queued_paths: VecDeque<BString>,
    changes: Vec<Change>,
}

impl Collector {
    fn push_component(&mut self, component: &BStr) {
        if !self.path.is_empty() {
            self.path.push(b'/');
        }
        self.path.push_str(component);
    }
}

impl Visit for Collector {
    fn pop_front_tracked_path_and_set_current(&mut self) {
        self.path = self
            .queued_paths
            .pop_front()
            .expect("the diff queues a path for each tree it will enter");
    }

    fn push_back_tracked_path_component(&mut self, component: &BStr) {
        self.push_component(component);
        self.queued_paths.push_back(self.path.clone());
    }

    fn push_path_component(&mut self, component: &BStr) {
        self.push_component(component);
    }

    fn pop_path_component(&mut self) {
        let end = self.path.rfind_byte(b'/').unwrap_or(0);
        self.path.truncate(end);
    }

    fn visit(&mut self, change: visit::Change) -> visit::Action {
        if !change.entry_mode().is_tree() {
            let kind = match change {
                visit::Change::Addition { .. } => ChangeKind::Added,
                visit::Change::Deletion { .. } => ChangeKind::Deleted,
                visit::Change::Modification { .. } => ChangeKind::Modified,
            };
            self.changes.push(Change {
                path: self.path.to_str_lossy().into_owned(),
                kind,
            });
        }
        ControlFlow::Continue(())
    }
}
