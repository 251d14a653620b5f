-- Central service schema (PostgreSQL). Keep in step with ../sqlite/0001_init.sql.
-- Integers are BIGINT throughout: the Any driver decodes them all as i64.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('moderator', 'auditor', 'mediator', 'admin')),
    token_sha256  TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL
);

CREATE TABLE counters (
    name   TEXT PRIMARY KEY,
    value  BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('change', 0);

CREATE TABLE entities (
    kind         TEXT NOT NULL,
    id           TEXT NOT NULL,
    shop_id      TEXT,
    state        TEXT NOT NULL,
    open         BIGINT NOT NULL,
    language     TEXT,
    categories   TEXT NOT NULL DEFAULT '',
    queue_at     TEXT NOT NULL,
    version      BIGINT NOT NULL,
    change_seq   BIGINT NOT NULL UNIQUE,
    deleted      BIGINT NOT NULL DEFAULT 0,
    claim_id     TEXT,
    claimed_by   TEXT,
    claim_until  BIGINT,
    doc          TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX entities_queue ON entities (kind, open, queue_at, id);
CREATE INDEX entities_claim ON entities (claim_id);
CREATE INDEX entities_shop ON entities (kind, shop_id);

CREATE TABLE mutations (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    entity_kind  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    outcome      TEXT
);

CREATE TABLE decisions (
    id          TEXT PRIMARY KEY,
    review_id   TEXT NOT NULL,
    decided_by  TEXT NOT NULL,
    decided_at  TEXT NOT NULL,
    message     TEXT,
    record      TEXT NOT NULL
);
CREATE INDEX decisions_by_review ON decisions (review_id);

CREATE TABLE audit_trail (
    seq          BIGSERIAL PRIMARY KEY,
    at           TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity_kind  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    mutation_id  TEXT,
    detail       TEXT NOT NULL
);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER decisions_immutable BEFORE UPDATE OR DELETE ON decisions
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_trail_append_only BEFORE UPDATE OR DELETE ON audit_trail
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE claims (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    released    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE evidence (
    sha256        TEXT PRIMARY KEY,
    size          BIGINT NOT NULL,
    content_type  TEXT NOT NULL,
    uploaded_by   TEXT NOT NULL,
    uploaded_at   TEXT NOT NULL
);

CREATE TABLE rule_packs (
    version       TEXT PRIMARY KEY,
    published_at  TEXT NOT NULL,
    content       TEXT NOT NULL
);
