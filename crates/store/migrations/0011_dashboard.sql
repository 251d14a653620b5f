-- Figures for the dashboard. `decision_facts` is kept by triggers from the
-- journal (one row per decision made here, withdrawn when undone or replaced),
-- so that counting 100,000 decisions needs no JSON parsing at read time.
CREATE TABLE decision_facts (
    mutation_id  TEXT PRIMARY KEY NOT NULL,
    decided_at   TEXT NOT NULL,     -- RFC 3339 UTC with microseconds, sorts lexically
    decision     TEXT NOT NULL,     -- 'publish', 'reject:insult', 'request_evidence', ...
    stars        INTEGER NOT NULL,
    withdrawn    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX decision_facts_by_time ON decision_facts (decided_at);
-- Covers the decisions-by-stars count, so it reads the index only.
CREATE INDEX decision_facts_by_label ON decision_facts (decision, stars) WHERE withdrawn = 0;

CREATE TRIGGER journal_decision_fact AFTER INSERT ON journal
WHEN NEW.event = 'decision_recorded'
BEGIN
    INSERT OR IGNORE INTO decision_facts (mutation_id, decided_at, decision, stars)
    VALUES (
        NEW.mutation_id,
        NEW.at,
        CASE json_extract(NEW.payload, '$.action.action')
            WHEN 'reject' THEN 'reject:' || json_extract(NEW.payload, '$.action.reason')
            ELSE json_extract(NEW.payload, '$.action.action')
        END,
        json_extract(NEW.payload, '$.stars')
    );
END;

CREATE TRIGGER journal_decision_withdrawn AFTER INSERT ON journal
WHEN NEW.event IN ('decision_undone', 'conflict_accepted_theirs', 'conflict_kept_mine')
BEGIN
    UPDATE decision_facts SET withdrawn = 1 WHERE mutation_id = NEW.mutation_id;
END;

INSERT OR IGNORE INTO decision_facts (mutation_id, decided_at, decision, stars)
SELECT mutation_id, at,
       CASE json_extract(payload, '$.action.action')
           WHEN 'reject' THEN 'reject:' || json_extract(payload, '$.action.reason')
           ELSE json_extract(payload, '$.action.action')
       END,
       json_extract(payload, '$.stars')
FROM journal WHERE event = 'decision_recorded' AND mutation_id IS NOT NULL;
UPDATE decision_facts SET withdrawn = 1 WHERE mutation_id IN (
    SELECT mutation_id FROM journal
    WHERE event IN ('decision_undone', 'conflict_accepted_theirs', 'conflict_kept_mine'));

-- The server's team figures as last fetched, shown offline with their age.
CREATE TABLE figures_cache (
    name        TEXT PRIMARY KEY NOT NULL,
    fetched_at  TEXT NOT NULL,
    body        TEXT NOT NULL
) STRICT;
