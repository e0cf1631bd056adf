//! Reading a commit's tree: the files under some directories, every path, one file's content.

use gix::bstr::{BStr, BString, ByteSlice as _, ByteVec as _};
use gix::objs::FindExt as _;
use gix::objs::tree::{EntryMode, EntryRef};

use crate::tree_diff::tree_iter;
use crate::{CommitId, GitError, ObjectId, Repo, TreeEntry};

impl Repo {
    /// Every file entry (blob, symlink, submodule) inside the directories `prefixes` at
    /// `commit`, sorted by path. `""` is the whole tree; a prefix naming a file yields that file;
    /// a missing prefix yields nothing; nested prefixes yield each entry once. Only the subtrees
    /// at the prefixes are read.
    pub fn entries_under(
        &self,
        commit: CommitId,
        prefixes: &[&str],
    ) -> Result<Vec<TreeEntry>, GitError> {
        let root = self.tree_of(commit)?;
        let mut entries = Vec::new();
        let prefixes = outermost(prefixes);
        let mut visit = |path: &BStr, entry: &EntryRef<'_>| {
            entries.push(TreeEntry {
                path: path.to_str_lossy().into_owned(),
                id: ObjectId(entry.oid.to_owned()),
                mode: u32::from(entry.mode.value()),
            });
        };
        let mut path = BString::default();
        let mut buffers = Vec::new();
        let walked = if prefixes.first().is_some_and(Vec::is_empty) {
            // `""`: the whole tree (`outermost` dropped every other prefix).
            self.walk_at(&root, &mut path, 0, &mut buffers, &mut visit)
        } else {
            self.walk_prefixes(&root, &mut path, &prefixes, 0, &mut buffers, &mut visit)
        };
        walked.map_err(|error| {
            GitError::read(
                format!("read the tree of commit {}", commit.short()),
                &error,
            )
        })?;
        // Already in order (see `walk`), which the sort detects in linear time.
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(entries)
    }

    /// The path of every file entry (blob, symlink, submodule) at `commit`, sorted.
    pub fn tracked_paths(&self, commit: CommitId) -> Result<Vec<String>, GitError> {
        let root = self.tree_of(commit)?;
        let mut paths = Vec::new();
        self.walk(&root, &mut BString::default(), &mut |path, _| {
            paths.push(path.to_str_lossy().into_owned());
        })
        .map_err(|error| {
            GitError::read(
                format!("read the tree of commit {}", commit.short()),
                &error,
            )
        })?;
        paths.sort();
        Ok(paths)
    }

    /// The content of the file (or symlink target) at `path` in `commit`; `None` if there is
    /// no such file (absent, a directory, or a submodule).
    pub fn file_at(&self, commit: CommitId, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        match self.blob_id_at(commit, path)? {
            Some(id) => self.blob(id).map(Some),
            None => Ok(None),
        }
    }

    /// The object id of the file (or symlink) at `path` in `commit`, without reading it: the
    /// key of anything derived from its content. `None` if there is no such file.
    pub fn blob_id_at(&self, commit: CommitId, path: &str) -> Result<Option<ObjectId>, GitError> {
        let root = self.tree_of(commit)?;
        let found = self.lookup(root, &components(path)).map_err(|error| {
            GitError::read(format!("read {path} at commit {}", commit.short()), &error)
        })?;
        Ok(found
            .filter(|(_, mode)| mode.is_blob_or_symlink())
            .map(|(id, _)| ObjectId(id)))
    }

    /// The content of a blob.
    pub fn blob(&self, id: ObjectId) -> Result<Vec<u8>, GitError> {
        let mut buf = Vec::new();
        let blob = self
            .repo
            .objects
            .find_blob(&id.0, &mut buf)
            .map_err(|error| GitError::read(format!("read blob {id}"), &error))?;
        Ok(blob.data.to_vec())
    }

    /// Finds the entry at `components` below the tree `root`; no components name `root` itself.
    fn lookup(
        &self,
        root: gix::ObjectId,
        components: &[&[u8]],
    ) -> Result<Option<(gix::ObjectId, EntryMode)>, gix::Error> {
        let mut current = (root, EntryMode::from(gix::objs::tree::EntryKind::Tree));
        let mut buf = Vec::new();
        for component in components {
            if !current.1.is_tree() {
                return Ok(None);
            }
            let mut found = None;
            for entry in tree_iter(&self.repo.objects, &current.0, &mut buf)? {
                let entry = entry?;
                if entry.filename == *component {
                    found = Some((entry.oid.to_owned(), entry.mode));
                    break;
                }
            }
            match found {
                Some(next) => current = next,
                None => return Ok(None),
            }
        }
        Ok(Some(current))
    }

    /// Calls `visit` for every non-tree entry below `tree` inside one of `prefixes`: each a
    /// path of at least `depth + 1` components whose first `depth` ones lead to `tree`, sorted,
    /// none inside another. Each tree on the way is read once however many prefixes pass through
    /// it (hundreds of components under one `packages/` read it once, not once each).
    fn walk_prefixes(
        &self,
        tree: &gix::oid,
        path: &mut BString,
        prefixes: &[Vec<&[u8]>],
        depth: usize,
        buffers: &mut Vec<Vec<u8>>,
        visit: &mut impl FnMut(&BStr, &EntryRef<'_>),
    ) -> Result<(), gix::Error> {
        if buffers.len() <= depth {
            buffers.push(Vec::new());
        }
        let mut buf = std::mem::take(&mut buffers[depth]);
        let prefix_len = path.len();
        for entry in tree_iter(&self.repo.objects, tree, &mut buf)? {
            let entry = entry?;
            let name: &[u8] = entry.filename;
            // Sorted, the prefixes naming this entry at `depth` are next to each other.
            let start = prefixes.partition_point(|prefix| prefix[depth] < name);
            let matching = prefixes[start..]
                .iter()
                .take_while(|prefix| prefix[depth] == name)
                .count();
            if matching == 0 {
                continue;
            }
            let group = &prefixes[start..start + matching];
            if !path.is_empty() {
                path.push(b'/');
            }
            path.push_str(entry.filename);
            // A prefix ending here is alone in its group: the others would lie inside it.
            let whole = group[0].len() == depth + 1;
            if whole && entry.mode.is_tree() {
                self.walk_at(entry.oid, path, depth + 1, buffers, visit)?;
            } else if whole {
                visit(path.as_bstr(), &entry);
            } else if entry.mode.is_tree() {
                self.walk_prefixes(entry.oid, path, group, depth + 1, buffers, visit)?;
            }
            path.truncate(prefix_len);
        }
        buffers[depth] = buf;
        Ok(())
    }

    /// Calls `visit` with the full path of every non-tree entry below `tree`, depth first, which
    /// in git's tree order yields paths sorted bytewise.
    fn walk(
        &self,
        tree: &gix::oid,
        path: &mut BString,
        visit: &mut impl FnMut(&BStr, &EntryRef<'_>),
    ) -> Result<(), gix::Error> {
        // One buffer per depth, reused across siblings, so a walk allocates O(depth) buffers.
        let mut buffers: Vec<Vec<u8>> = Vec::new();
        self.walk_at(tree, path, 0, &mut buffers, visit)
    }

    fn walk_at(
        &self,
        tree: &gix::oid,
        path: &mut BString,
        depth: usize,
        buffers: &mut Vec<Vec<u8>>,
        visit: &mut impl FnMut(&BStr, &EntryRef<'_>),
    ) -> Result<(), gix::Error> {
        if buffers.len() <= depth {
            buffers.push(Vec::new());
        }
        let mut buf = std::mem::take(&mut buffers[depth]);
        let prefix_len = path.len();
        for entry in tree_iter(&self.repo.objects, tree, &mut buf)? {
            let entry = entry?;
            if !path.is_empty() {
                path.push(b'/');
            }
            path.push_str(entry.filename);
            if entry.mode.is_tree() {
                self.walk_at(entry.oid, path, depth + 1, buffers, visit)?;
            } else {
                visit(path.as_bstr(), &entry);
            }
            path.truncate(prefix_len);
        }
        buffers[depth] = buf;
        Ok(())
    }
}

/// The components of a repository-relative path; empty and `.` components are dropped.
fn components(path: &str) -> Vec<&[u8]> {
    path.split('/')
        .filter(|component| !component.is_empty() && *component != ".")
        .map(str::as_bytes)
        .collect()
}

/// The prefixes as components, without those inside another prefix.
fn outermost<'a>(prefixes: &[&'a str]) -> Vec<Vec<&'a [u8]>> {
    let mut all: Vec<Vec<&[u8]>> = prefixes.iter().map(|prefix| components(prefix)).collect();
    all.sort_unstable();
    let mut kept: Vec<Vec<&[u8]>> = Vec::with_capacity(all.len());
    for prefix in all {
        // Sorted, an enclosing prefix comes right before everything inside it.
        if kept.last().is_none_or(|last| !prefix.starts_with(last)) {
            kept.push(prefix);
        }
    }
    kept
}
