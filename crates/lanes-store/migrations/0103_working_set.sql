-- What opening the ledger reads instead of every event: the world's working set (see
-- `World::retire`) as of an event, and the lookups that read a retired lane or commit back.

-- The newest snapshot of each shape (`SNAPSHOT_FORMAT`): the world folded from the events up
-- to `last_event`, as JSON. A cache: dropping a row costs one replay of the ledger, nothing
-- else; the events stay the truth.
CREATE TABLE snapshots (
    format INTEGER PRIMARY KEY,
    last_event INTEGER NOT NULL,
    body TEXT NOT NULL,
    written_at INTEGER NOT NULL
);

-- The lanes of one version of a component: whether it passed a stage before, and since when
-- it is red.
CREATE INDEX lanes_by_version ON lanes (component, fingerprint);

-- The `commit_recorded` event of a commit.
CREATE INDEX events_recording_commit ON events (json_extract(body, '$.commit'))
WHERE kind = 'commit_recorded';
