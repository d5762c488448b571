-- API tokens. Only a SHA-256 hash of each token's secret is kept: the token itself is shown once,
-- when it is created. A token is valid until expires_at (NULL: no expiry) and until revoked.

CREATE TABLE api_tokens (
    id           TEXT    NOT NULL PRIMARY KEY,
    name         TEXT    NOT NULL,
    role         TEXT    NOT NULL CHECK (role IN ('reader', 'operator')),
    secret_hash  BLOB    NOT NULL CHECK (length(secret_hash) = 32),
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    expires_at   INTEGER,
    revoked_at   INTEGER
) STRICT;

CREATE INDEX api_tokens_created_idx ON api_tokens (created_at DESC, id DESC);
