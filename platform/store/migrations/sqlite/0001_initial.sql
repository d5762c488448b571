-- Runs, reports, the audit log, descriptor backups and store settings.
-- Times are integer microseconds since the Unix epoch, UTC.

CREATE TABLE runs (
    id            TEXT    NOT NULL PRIMARY KEY,
    kind          TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
    progress      REAL    NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
    progress_text TEXT    NOT NULL DEFAULT '',
    error         TEXT    NOT NULL DEFAULT '',
    input         BLOB,
    summary       BLOB,
    actor         TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    finished_at   INTEGER
) STRICT;

CREATE INDEX runs_created_idx ON runs (created_at DESC, id DESC);
CREATE INDEX runs_kind_created_idx ON runs (kind, created_at DESC, id DESC);

CREATE TABLE reports (
    run_id       TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    format       TEXT    NOT NULL CHECK (format IN ('json', 'csv', 'html')),
    content_type TEXT    NOT NULL,
    content      BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (run_id, format)
) STRICT;

CREATE TABLE audit_records (
    id         TEXT    NOT NULL PRIMARY KEY,
    time       INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    result     TEXT    NOT NULL CHECK (result IN ('ok', 'denied', 'error')),
    detail     TEXT    NOT NULL,
    request_id TEXT    NOT NULL
) STRICT;

CREATE INDEX audit_time_idx ON audit_records (time DESC, id DESC);
CREATE INDEX audit_actor_time_idx ON audit_records (actor, time DESC, id DESC);
CREATE INDEX audit_action_time_idx ON audit_records (action, time DESC, id DESC);

-- The audit log is append-only.
CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
BEGIN
    SELECT RAISE(ABORT, 'audit_records is append-only');
END;

CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
BEGIN
    SELECT RAISE(ABORT, 'audit_records is append-only');
END;

-- Backups outlive the runs that took them, so run_id is not a foreign key.
-- dn_key is the DN folded to lower case: AD compares DNs case-insensitively.
CREATE TABLE descriptor_backups (
    id         TEXT    NOT NULL PRIMARY KEY,
    dn         TEXT    NOT NULL,
    dn_key     TEXT    NOT NULL,
    domain     TEXT    NOT NULL,
    attribute  TEXT    NOT NULL,
    value      BLOB    NOT NULL,
    sddl       TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    run_id     TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX descriptor_backups_created_idx ON descriptor_backups (created_at DESC, id DESC);
CREATE INDEX descriptor_backups_dn_created_idx ON descriptor_backups (dn_key, created_at DESC, id DESC);

-- Values the store itself keeps, such as the page-token signing key.
CREATE TABLE store_settings (
    name  TEXT NOT NULL PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;
