-- Tokens of the HTTP API: who calls, and what they may do. Only a SHA-256 digest of each token
-- is kept; the token itself is shown once, when it is made.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The identity the server acts as: who approved, who rolled back.
    name TEXT NOT NULL UNIQUE,
    -- viewer, developer, approver or admin.
    role TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
