-- Runs, reports, the audit log, descriptor backups and store settings.
-- Identifiers use the "C" collation: keyset pagination orders by them and
-- must compare them byte by byte on every server.

CREATE TABLE runs (
    id            text COLLATE "C" NOT NULL PRIMARY KEY,
    kind          text             NOT NULL,
    state         text             NOT NULL CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
    progress      double precision NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
    progress_text text             NOT NULL DEFAULT '',
    error         text             NOT NULL DEFAULT '',
    -- json, not jsonb: the document is returned byte for byte as written.
    input         json,
    summary       json,
    actor         text             NOT NULL DEFAULT '',
    created_at    timestamptz      NOT NULL,
    updated_at    timestamptz      NOT NULL,
    finished_at   timestamptz
);

CREATE INDEX runs_created_idx ON runs (created_at DESC, id DESC);
CREATE INDEX runs_kind_created_idx ON runs (kind, created_at DESC, id DESC);

CREATE TABLE reports (
    run_id       text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    format       text        NOT NULL CHECK (format IN ('json', 'csv', 'html')),
    content_type text        NOT NULL,
    content      bytea       NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (run_id, format)
);

CREATE TABLE audit_records (
    id         text COLLATE "C" NOT NULL PRIMARY KEY,
    time       timestamptz NOT NULL,
    actor      text        NOT NULL,
    action     text        NOT NULL,
    target     text        NOT NULL,
    result     text        NOT NULL CHECK (result IN ('ok', 'denied', 'error')),
    detail     text        NOT NULL,
    request_id text        NOT NULL
);

CREATE INDEX audit_time_idx ON audit_records (time DESC, id DESC);
CREATE INDEX audit_actor_time_idx ON audit_records (actor, time DESC, id DESC);
CREATE INDEX audit_action_time_idx ON audit_records (action, time DESC, id DESC);

-- The audit log is append-only.
CREATE FUNCTION audit_records_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_records is append-only';
END
$$;

CREATE TRIGGER audit_records_no_change BEFORE UPDATE OR DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_records_append_only();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
    FOR EACH STATEMENT EXECUTE FUNCTION audit_records_append_only();

-- Backups outlive the runs that took them, so run_id is not a foreign key.
-- dn_key is the DN folded to lower case: AD compares DNs case-insensitively.
CREATE TABLE descriptor_backups (
    id         text COLLATE "C" NOT NULL PRIMARY KEY,
    dn         text        NOT NULL,
    dn_key     text        NOT NULL,
    domain     text        NOT NULL,
    attribute  text        NOT NULL,
    value      bytea       NOT NULL,
    sddl       text        NOT NULL,
    reason     text        NOT NULL,
    run_id     text        NOT NULL,
    actor      text        NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE INDEX descriptor_backups_created_idx ON descriptor_backups (created_at DESC, id DESC);
CREATE INDEX descriptor_backups_dn_created_idx ON descriptor_backups (dn_key, created_at DESC, id DESC);

-- Values the store itself keeps, such as the page-token signing key.
CREATE TABLE store_settings (
    name  text  NOT NULL PRIMARY KEY,
    value bytea NOT NULL
);
