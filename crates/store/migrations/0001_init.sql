-- The workstation's local database. Server copies are replaced wholesale by sync;
-- local decisions live in the outbox until the server acknowledges them.

CREATE TABLE shops (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL,
    country         TEXT NOT NULL,
    languages       TEXT NOT NULL,  -- JSON array of ISO 639-1 codes
    industries      TEXT NOT NULL,  -- JSON array of industry codes
    arm_enabled     INTEGER NOT NULL,
    employee_names  TEXT NOT NULL   -- JSON array
) STRICT;

CREATE TABLE reviews (
    id                  TEXT PRIMARY KEY NOT NULL,
    shop_id             TEXT NOT NULL REFERENCES shops(id),
    order_reference     TEXT NOT NULL,
    reviewer_reference  TEXT NOT NULL,
    stars               INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    text                TEXT NOT NULL,
    language            TEXT NOT NULL,
    experience_date     TEXT NOT NULL,  -- YYYY-MM-DD
    submitted_at        TEXT NOT NULL,  -- RFC 3339 UTC, sorts lexically
    source              TEXT NOT NULL,
    state               TEXT NOT NULL,  -- server state name, for filtering
    status              TEXT NOT NULL,  -- JSON ReviewStatus
    flags               TEXT NOT NULL,  -- JSON ReviewFlags
    version             INTEGER NOT NULL
) STRICT;
CREATE INDEX reviews_by_time ON reviews (submitted_at DESC, id);
CREATE INDEX reviews_by_shop ON reviews (shop_id);

-- Local decisions not yet acknowledged by the server, in the order they were made.
CREATE TABLE outbox (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id   TEXT NOT NULL UNIQUE,
    entity_kind   TEXT NOT NULL,
    entity_id     TEXT NOT NULL,
    base_version  INTEGER NOT NULL,
    payload       TEXT NOT NULL,  -- JSON decision record
    local_state   TEXT NOT NULL,  -- state name after the decision (overlay)
    local_status  TEXT NOT NULL,  -- JSON status after the decision (overlay)
    created_at    TEXT NOT NULL,
    delivery      TEXT NOT NULL DEFAULT 'pending' CHECK (delivery IN ('pending', 'conflict', 'rejected')),
    server_code     TEXT,
    server_message  TEXT,
    server_copy     TEXT
) STRICT;
CREATE INDEX outbox_by_entity ON outbox (entity_id, seq);

-- Append-only history of what happened on this workstation.
CREATE TABLE journal (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    entity_kind  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    event        TEXT NOT NULL,
    mutation_id  TEXT,
    payload      TEXT NOT NULL
) STRICT;
CREATE INDEX journal_by_entity ON journal (entity_id, seq);
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;

-- Where each change feed stopped.
CREATE TABLE sync_state (
    feed        TEXT PRIMARY KEY NOT NULL,
    cursor      TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
