-- Statements of reasons (DSA Art. 17) and reviewer complaints (Art. 20).
-- Keep in step with ../postgres/0002_statements_complaints.sql.

-- A user who may never claim the item: a complaint's original decider.
ALTER TABLE entities ADD COLUMN excluded_user TEXT;

-- One statement per decision that kept a review off the profile, written in the
-- decision's transaction; immutable. `seq` orders the export's pages.
CREATE TABLE statements (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    decision_id       TEXT NOT NULL UNIQUE,  -- = decisions.id
    review_id         TEXT NOT NULL,
    decided_at        TEXT NOT NULL,         -- RFC 3339 UTC: the export's date range
    reason            TEXT NOT NULL,         -- StatementReason code
    language          TEXT NOT NULL,         -- language of `rendered`
    template_version  TEXT NOT NULL,
    rendered          TEXT NOT NULL,         -- plain text sent to the reviewer
    statement         TEXT NOT NULL,         -- StatementOfReasons JSON
    dsa_record        TEXT NOT NULL          -- DsaSorRecord JSON, the export line
);
CREATE INDEX statements_by_review ON statements (review_id);
CREATE INDEX statements_by_date ON statements (decided_at);
CREATE TRIGGER statements_no_update BEFORE UPDATE ON statements
BEGIN SELECT RAISE(ABORT, 'statements are immutable'); END;
CREATE TRIGGER statements_no_delete BEFORE DELETE ON statements
BEGIN SELECT RAISE(ABORT, 'statements are immutable'); END;

-- One complaint per contested decision, as entered; the case itself lives in
-- `entities` (kind 'complaint') for the feed and claims.
CREATE TABLE complaints (
    id           TEXT PRIMARY KEY NOT NULL,
    decision_id  TEXT NOT NULL UNIQUE,
    review_id    TEXT NOT NULL,
    decision_by  TEXT NOT NULL,
    assigned_to  TEXT,
    entered_by   TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    text         TEXT NOT NULL
);
CREATE TRIGGER complaints_no_update BEFORE UPDATE ON complaints
BEGIN SELECT RAISE(ABORT, 'complaints are immutable'); END;
CREATE TRIGGER complaints_no_delete BEFORE DELETE ON complaints
BEGIN SELECT RAISE(ABORT, 'complaints are immutable'); END;

-- The outcome, recorded with the original decision (and so its statement).
CREATE TABLE complaint_outcomes (
    complaint_id         TEXT PRIMARY KEY NOT NULL,
    decision_id          TEXT NOT NULL,
    outcome              TEXT NOT NULL CHECK (outcome IN ('upheld', 'dismissed')),
    reasons              TEXT NOT NULL,
    decided_by           TEXT NOT NULL,
    decided_at           TEXT NOT NULL,
    publish_decision_id  TEXT            -- the decision that published the review, if upheld
);
CREATE INDEX complaint_outcomes_by_decision ON complaint_outcomes (decision_id);
CREATE TRIGGER complaint_outcomes_no_update BEFORE UPDATE ON complaint_outcomes
BEGIN SELECT RAISE(ABORT, 'complaint outcomes are immutable'); END;
CREATE TRIGGER complaint_outcomes_no_delete BEFORE DELETE ON complaint_outcomes
BEGIN SELECT RAISE(ABORT, 'complaint outcomes are immutable'); END;
