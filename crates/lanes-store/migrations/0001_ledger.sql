-- The ledger of lanes and its projections.
--
-- `events` is the truth: every event of the engine, in the order it was recorded, never updated
-- or deleted. Every other table is a projection of it, written in the same transaction as the
-- events that change it, for people and dashboards to query with plain SQL. Times are
-- milliseconds since the Unix epoch. Stage numbers are 0-based positions in the manifest's
-- `stages` list. Commits are in `commit_id` columns (`commit` is a keyword of SQL).

-- One lane: a component's walk through the stages for one commit. Never changes once written.
CREATE TABLE lanes (
    id INTEGER PRIMARY KEY,
    commit_id TEXT NOT NULL,
    component TEXT NOT NULL,
    -- The version the lane carries.
    fingerprint TEXT NOT NULL,
    -- `Name <email>` of the change's author.
    author TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (commit_id, component)
);

CREATE INDEX lanes_by_component ON lanes (component, id);

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The lane the event is about.
    lane INTEGER REFERENCES lanes (id),
    -- `lane_created`, `attempt_started`, ... (the `event` field of `body`).
    kind TEXT NOT NULL,
    -- The event as JSON: what the engine replays.
    body TEXT NOT NULL,
    -- When the store wrote it (the event's own `at` is when it happened).
    recorded_at INTEGER NOT NULL
);

CREATE INDEX events_by_lane ON events (lane, id);

-- One stage of one lane, where it stands now.
CREATE TABLE stage_runs (
    lane INTEGER NOT NULL REFERENCES lanes (id),
    stage INTEGER NOT NULL,
    name TEXT NOT NULL,
    -- pending, running, waiting, succeeded, failed, unchanged, interrupted, canceled.
    state TEXT NOT NULL,
    -- Why it waits, failed, was canceled or is unchanged.
    reason TEXT,
    -- For `unchanged`: the commit whose lane passed this stage with the same version.
    provenance TEXT,
    -- 1 when it passed only on a retry.
    flaky INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    PRIMARY KEY (lane, stage)
);

CREATE INDEX stage_runs_by_state ON stage_runs (state);

-- One try at running a stage's steps.
CREATE TABLE attempts (
    lane INTEGER NOT NULL,
    stage INTEGER NOT NULL,
    -- 1, 2, ...
    number INTEGER NOT NULL,
    -- Fencing token: a result reported with another token is stale.
    token INTEGER NOT NULL,
    -- 1 while its deploy runs.
    deploying INTEGER NOT NULL,
    -- passed, failed or abandoned; NULL while it runs.
    outcome_kind TEXT,
    -- The outcome as JSON, with its details.
    outcome TEXT,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    PRIMARY KEY (lane, stage, number),
    FOREIGN KEY (lane, stage) REFERENCES stage_runs (lane, stage)
);

-- One step of an attempt: its deploy (step 0 of a stage that deploys) or one of its commands.
CREATE TABLE steps (
    lane INTEGER NOT NULL,
    stage INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    step INTEGER NOT NULL,
    command TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    -- `exit 0`, `exit 2`, `signal 9`, `timed out`, `canceled`, once finished.
    result TEXT,
    passed INTEGER,
    PRIMARY KEY (lane, stage, attempt, step),
    FOREIGN KEY (lane, stage, attempt) REFERENCES attempts (lane, stage, number)
);

-- Built components: a lane's first stage passing builds its version. Built once: the first
-- lane that built a fingerprint keeps the row.
CREATE TABLE versions (
    component TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    built_by_lane INTEGER NOT NULL REFERENCES lanes (id),
    built_by_commit TEXT NOT NULL,
    built_at INTEGER NOT NULL,
    PRIMARY KEY (component, fingerprint)
);

-- What each environment instance holds now, by component: the version vectors.
CREATE TABLE deployments (
    environment TEXT NOT NULL,
    -- `shared`, or the component's own instance in a `per-component` environment.
    instance TEXT NOT NULL,
    component TEXT NOT NULL,
    lane INTEGER NOT NULL REFERENCES lanes (id),
    commit_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (environment, instance, component)
);

-- Every version that became last known good in an environment, numbered from 1; the highest
-- `sequence` is the current one (see the `current_last_known_good` view).
CREATE TABLE last_known_good (
    environment TEXT NOT NULL,
    component TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    lane INTEGER NOT NULL REFERENCES lanes (id),
    commit_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (environment, component, sequence)
);

CREATE VIEW current_last_known_good AS
SELECT environment, component, sequence, lane, commit_id, fingerprint, at
FROM last_known_good AS lkg
WHERE sequence = (
    SELECT MAX(sequence)
    FROM last_known_good AS newer
    WHERE newer.environment = lkg.environment AND newer.component = lkg.component
);

-- The lane deploying a component to an environment now.
CREATE TABLE locks (
    environment TEXT NOT NULL,
    component TEXT NOT NULL,
    lane INTEGER NOT NULL REFERENCES lanes (id),
    acquired_at INTEGER NOT NULL,
    PRIMARY KEY (environment, component)
);

-- Approvals of one version at one gated stage, one row per `approved` event.
CREATE TABLE approvals (
    event INTEGER PRIMARY KEY REFERENCES events (id),
    lane INTEGER NOT NULL REFERENCES lanes (id),
    stage INTEGER NOT NULL,
    component TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    approver TEXT NOT NULL,
    at INTEGER NOT NULL
);

CREATE INDEX approvals_by_version ON approvals (component, stage, fingerprint);

-- One row per `lanes run` invocation: a row without `finished_at` whose process is gone is a
-- crash to recover from.
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    commit_id TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER
);

CREATE INDEX runs_unfinished ON runs (id) WHERE finished_at IS NULL;
