-- Central service schema (SQLite). Keep in step with ../postgres/0001_init.sql:
-- same tables, columns and meaning; only types and triggers differ.

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('moderator', 'auditor', 'mediator', 'admin')),
    token_sha256  TEXT NOT NULL UNIQUE,  -- hex SHA-256 of the bearer token; the token itself is never kept
    created_at    TEXT NOT NULL
);

-- One row per named counter. Incrementing 'change' inside a writing transaction
-- locks the row until commit, so change sequence numbers become visible in order.
CREATE TABLE counters (
    name   TEXT PRIMARY KEY NOT NULL,
    value  INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('change', 0);

-- Every shop, review, audit and dispute: the domain value as JSON plus the columns
-- that queues, claims and the change feed select on.
CREATE TABLE entities (
    kind         TEXT NOT NULL,
    id           TEXT NOT NULL,
    shop_id      TEXT,
    state        TEXT NOT NULL,             -- review state, audit outcome, dispute stage
    open         INTEGER NOT NULL,          -- 1 while the item is work someone may claim
    language     TEXT,
    categories   TEXT NOT NULL DEFAULT '',  -- ',insult,bank_details,' from the ingestion scan
    queue_at     TEXT NOT NULL,             -- queue order (RFC 3339 UTC sorts lexically)
    version      INTEGER NOT NULL,
    change_seq   INTEGER NOT NULL UNIQUE,   -- position in the change feed
    deleted      INTEGER NOT NULL DEFAULT 0,
    claim_id     TEXT,
    claimed_by   TEXT,
    claim_until  INTEGER,                   -- unix microseconds
    doc          TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX entities_queue ON entities (kind, open, queue_at, id);
CREATE INDEX entities_claim ON entities (claim_id);
CREATE INDEX entities_shop ON entities (kind, shop_id);

-- Idempotency: one row per mutation id ever received, with the result it got.
CREATE TABLE mutations (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL,
    entity_kind  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    outcome      TEXT
);

-- Review decision records with their grounds; immutable once written.
CREATE TABLE decisions (
    id          TEXT PRIMARY KEY NOT NULL,
    review_id   TEXT NOT NULL,
    decided_by  TEXT NOT NULL,
    decided_at  TEXT NOT NULL,
    message     TEXT,
    record      TEXT NOT NULL
);
CREATE INDEX decisions_by_review ON decisions (review_id);
CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decision records are immutable'); END;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decision records are immutable'); END;

-- Who changed what, when, through which mutation. Append-only.
CREATE TABLE audit_trail (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity_kind  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    mutation_id  TEXT,
    detail       TEXT NOT NULL
);
CREATE TRIGGER audit_trail_no_update BEFORE UPDATE ON audit_trail
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_trail_no_delete BEFORE DELETE ON audit_trail
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;

CREATE TABLE claims (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,  -- unix microseconds
    released    INTEGER NOT NULL DEFAULT 0
);

-- Metadata of content-addressed files; the bytes live under DATA_DIR/evidence/.
CREATE TABLE evidence (
    sha256        TEXT PRIMARY KEY NOT NULL,
    size          INTEGER NOT NULL,
    content_type  TEXT NOT NULL,
    uploaded_by   TEXT NOT NULL,
    uploaded_at   TEXT NOT NULL
);

CREATE TABLE rule_packs (
    version       TEXT PRIMARY KEY NOT NULL,
    published_at  TEXT NOT NULL,
    content       TEXT NOT NULL
);
