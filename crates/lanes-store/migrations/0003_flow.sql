-- The path through git: the acceptance queue, release merges, deploy tags and hotfixes.

-- One change submitted to the acceptance queue, where it stands now.
CREATE TABLE changes (
    id INTEGER PRIMARY KEY,
    branch TEXT NOT NULL,
    head TEXT NOT NULL,
    author TEXT NOT NULL,
    -- JSON array of the affected components.
    components TEXT NOT NULL,
    -- The first change of its batch.
    batch INTEGER NOT NULL,
    -- queued, merged, evicted.
    state TEXT NOT NULL,
    -- The intermediate commit and branch it is accepted on.
    candidate TEXT,
    candidate_branch TEXT,
    -- The default branch's commit holding it, once merged.
    merged_commit TEXT,
    -- Why it was evicted.
    reason TEXT,
    submitted_at INTEGER NOT NULL,
    finished_at INTEGER
);

CREATE INDEX changes_by_state ON changes (state, id);

-- A commit merged into the release branch after its lanes passed the stage that asks for it.
CREATE TABLE release_merges (
    commit_id TEXT PRIMARY KEY,
    branch TEXT NOT NULL,
    release_commit TEXT NOT NULL,
    at INTEGER NOT NULL
);

-- A git tag `lanes/<environment>/<component>/<n>` on a deployed commit.
CREATE TABLE tags (
    tag TEXT PRIMARY KEY,
    lane INTEGER NOT NULL REFERENCES lanes (id),
    component TEXT NOT NULL,
    environment TEXT NOT NULL,
    commit_id TEXT NOT NULL,
    at INTEGER NOT NULL
);

-- A hotfix branch cut from a production tag.
CREATE TABLE hotfixes (
    component TEXT NOT NULL,
    number INTEGER NOT NULL,
    branch TEXT NOT NULL,
    tag TEXT NOT NULL,
    base TEXT NOT NULL,
    -- JSON array of the commits that ran as the hotfix.
    commits TEXT NOT NULL,
    -- JSON array of the environments it was deployed to.
    deployed_to TEXT NOT NULL,
    -- The cherry-picked commit on its way to the default branch, and its change.
    forward_port_commit TEXT,
    forward_port_change INTEGER,
    -- JSON array of conflicting files when the cherry-pick failed.
    forward_port_conflict TEXT,
    cut_at INTEGER NOT NULL,
    PRIMARY KEY (component, number)
);
