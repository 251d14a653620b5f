-- Statements of reasons (DSA Art. 17) and reviewer complaints (Art. 20).
-- Keep in step with ../sqlite/0002_statements_complaints.sql.

ALTER TABLE entities ADD COLUMN excluded_user TEXT;

CREATE TABLE statements (
    seq               BIGSERIAL PRIMARY KEY,
    decision_id       TEXT NOT NULL UNIQUE,
    review_id         TEXT NOT NULL,
    decided_at        TEXT NOT NULL,
    reason            TEXT NOT NULL,
    language          TEXT NOT NULL,
    template_version  TEXT NOT NULL,
    rendered          TEXT NOT NULL,
    statement         TEXT NOT NULL,
    dsa_record        TEXT NOT NULL
);
CREATE INDEX statements_by_review ON statements (review_id);
CREATE INDEX statements_by_date ON statements (decided_at);

CREATE TABLE complaints (
    id           TEXT PRIMARY KEY,
    decision_id  TEXT NOT NULL UNIQUE,
    review_id    TEXT NOT NULL,
    decision_by  TEXT NOT NULL,
    assigned_to  TEXT,
    entered_by   TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    text         TEXT NOT NULL
);

CREATE TABLE complaint_outcomes (
    complaint_id         TEXT PRIMARY KEY,
    decision_id          TEXT NOT NULL,
    outcome              TEXT NOT NULL CHECK (outcome IN ('upheld', 'dismissed')),
    reasons              TEXT NOT NULL,
    decided_by           TEXT NOT NULL,
    decided_at           TEXT NOT NULL,
    publish_decision_id  TEXT
);
CREATE INDEX complaint_outcomes_by_decision ON complaint_outcomes (decision_id);

-- refuse_change() comes from 0001.
CREATE TRIGGER statements_immutable BEFORE UPDATE OR DELETE ON statements
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER complaints_immutable BEFORE UPDATE OR DELETE ON complaints
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER complaint_outcomes_immutable BEFORE UPDATE OR DELETE ON complaint_outcomes
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
