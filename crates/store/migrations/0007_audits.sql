-- Audit cases: the server's copy and the local copy with pending changes
-- applied (what the auditor sees; autosaved on every change).
CREATE TABLE audits (
    id           TEXT PRIMARY KEY NOT NULL,
    shop_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    due          TEXT NOT NULL,
    version      INTEGER NOT NULL,
    server_copy  TEXT NOT NULL,
    local_copy   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX audits_by_due ON audits (due, id);

-- Outbox for audit (and later dispute) changes, in the order they were made.
-- `change` is the domain change; the sync client turns it into a mutation.
CREATE TABLE case_outbox (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id    TEXT NOT NULL UNIQUE,
    entity_kind    TEXT NOT NULL,
    entity_id      TEXT NOT NULL,
    base_version   INTEGER NOT NULL,
    change         TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    delivery       TEXT NOT NULL DEFAULT 'pending' CHECK (delivery IN ('pending', 'conflict', 'rejected')),
    server_code    TEXT,
    server_message TEXT,
    server_copy    TEXT
) STRICT;
CREATE INDEX case_outbox_by_entity ON case_outbox (entity_id, seq);
