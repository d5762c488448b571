-- API tokens. Only a SHA-256 hash of each token's secret is kept: the token itself is shown once,
-- when it is created. A token is valid until expires_at (NULL: no expiry) and until revoked.

CREATE TABLE api_tokens (
    id           text COLLATE "C" NOT NULL PRIMARY KEY,
    name         text        NOT NULL,
    role         text        NOT NULL CHECK (role IN ('reader', 'operator')),
    secret_hash  bytea       NOT NULL CHECK (length(secret_hash) = 32),
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    expires_at   timestamptz,
    revoked_at   timestamptz
);

CREATE INDEX api_tokens_created_idx ON api_tokens (created_at DESC, id DESC);
