-- Measured fairness: blind second opinions and their calibration.
-- Identical for SQLite and PostgreSQL (keep the two files in step).

-- A decided review drawn for a second opinion. `id` is the sample's own id: the
-- second moderator sees `doc`, a pending copy of the review under that id, and
-- decides it like any review; the review itself never changes by it.
CREATE TABLE second_opinions (
    id               TEXT PRIMARY KEY NOT NULL,
    review_id        TEXT NOT NULL,
    language         TEXT NOT NULL,
    stars            INTEGER NOT NULL,
    first_decision   TEXT NOT NULL,          -- decisions.id
    first_by         TEXT NOT NULL,          -- user id
    first_outcome    TEXT NOT NULL,          -- 'publish', 'reject:insult', 'request_evidence'
    created_at       TEXT NOT NULL,
    assigned_to      TEXT,                   -- the second moderator, once handed out
    second_by        TEXT,
    second_outcome   TEXT,
    second_at        TEXT,
    second_mutation  TEXT,
    settled_outcome  TEXT,                   -- the calibration answer, for disagreements
    settled_by       TEXT,
    settled_at       TEXT,
    doc              TEXT NOT NULL
);
CREATE INDEX second_opinions_by_assignee ON second_opinions (assigned_to, second_outcome);
CREATE INDEX second_opinions_by_first ON second_opinions (first_by);

-- The bias guard reads decisions over a sliding window.
CREATE INDEX decisions_by_time ON decisions (decided_at);
