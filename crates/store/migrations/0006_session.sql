-- Who this workstation is signed in as, and where. The token is never stored
-- here: it lives in the OS keyring (crates/sync).
CREATE TABLE session (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    server        TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    user_name     TEXT NOT NULL,
    role          TEXT NOT NULL,
    signed_in_at  TEXT NOT NULL,
    last_sync_at  TEXT
) STRICT;
