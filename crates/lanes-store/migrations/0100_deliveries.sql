-- Webhook deliveries from git hosts, recorded before they are acknowledged. Not engine events:
-- a delivery asks for lanes to run, the lanes it starts are recorded as events.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- `github`, `gitlab` or `azure-devops`.
    host TEXT NOT NULL,
    -- The host's id of the delivery (a redelivery carries the same one).
    delivery TEXT NOT NULL,
    -- `push`, `pull_request.opened`, `git.pullrequest.merged`, ...
    event TEXT NOT NULL,
    -- The commit whose lanes the delivery asks for; NULL when lanes does not act on it.
    commit_id TEXT,
    -- The branch or tag it is about.
    ref_name TEXT,
    -- Why lanes runs it, or why not.
    reason TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    -- When lanes finished with it (its lanes ran until done or waiting); NULL while pending.
    handled_at INTEGER,
    -- What came of it: `ran`, `failed: ...`.
    outcome TEXT,
    UNIQUE (host, delivery)
);

CREATE INDEX deliveries_pending ON deliveries (id) WHERE commit_id IS NOT NULL AND handled_at IS NULL;
