-- The claims this workstation holds on the server: work no colleague is handed
-- until the lease ends, so offline work does not collide.
CREATE TABLE claims (
    kind        TEXT PRIMARY KEY NOT NULL,
    claim_id    TEXT NOT NULL,
    ids         TEXT NOT NULL,   -- JSON array of entity ids
    expires_at  TEXT NOT NULL
) STRICT;
