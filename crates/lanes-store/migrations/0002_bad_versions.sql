-- Versions marked bad by a rollback: they are never promoted again.
CREATE TABLE bad_versions (
    component   TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    lane        INTEGER NOT NULL REFERENCES lanes (id),
    reason      TEXT    NOT NULL,
    marked_by   TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (component, fingerprint)
);
