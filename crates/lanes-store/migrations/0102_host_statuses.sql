-- Where a commit's verdicts go back to: the host repositories deliveries named for it, and the
-- outbox of statuses to post there. Not engine events: statuses report lanes, they change none.
CREATE TABLE status_targets (
    commit_id TEXT NOT NULL,
    -- `github`, `gitlab` or `azure-devops`.
    host TEXT NOT NULL,
    -- GitHub `owner/repo`, GitLab the project id, Azure DevOps `organization/project/repository-id`.
    repository TEXT NOT NULL,
    -- The pull (merge) request the delivery was about, if any: Azure DevOps posts its statuses
    -- there, and the commit page links to it.
    pull_request TEXT,
    -- The web address of the repository (for links), when the delivery said it.
    web_url TEXT,
    learned_at INTEGER NOT NULL,
    PRIMARY KEY (commit_id, host, repository)
);

-- Statuses to post, in order per commit: a row is sent only once every earlier row of the same
-- commit and target is sent.
CREATE TABLE status_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    commit_id TEXT NOT NULL,
    host TEXT NOT NULL,
    repository TEXT NOT NULL,
    pull_request TEXT,
    -- `lanes/<component>` or `lanes`.
    context TEXT NOT NULL,
    -- `pending`, `success`, `failure` or `error` (each host's word is chosen when posting).
    state TEXT NOT NULL,
    description TEXT NOT NULL,
    target_url TEXT NOT NULL,
    queued_at INTEGER NOT NULL,
    -- How many posts were tried, and when the next may be (backoff after 429, 5xx, no answer).
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at INTEGER
);

CREATE INDEX status_outbox_unsent ON status_outbox (id) WHERE sent_at IS NULL;
CREATE INDEX status_outbox_latest ON status_outbox (commit_id, host, repository, context, id);
