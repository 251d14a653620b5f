-- Reviews waiting for the ARM filters, kept by triggers, so finding work is a
-- look at a small table instead of a scan of every review (a sync with nothing
-- new must stay cheap at 100,000 reviews).
CREATE TABLE scan_queue (
    review_id TEXT PRIMARY KEY NOT NULL REFERENCES reviews(id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- The rule-pack version the whole store was last queued for.
CREATE TABLE scan_state (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  TEXT NOT NULL
) STRICT;

INSERT INTO scan_queue (review_id)
SELECT r.id FROM reviews r LEFT JOIN review_hits h ON h.review_id = r.id WHERE h.review_id IS NULL;

CREATE TRIGGER scan_queue_new AFTER INSERT ON reviews
BEGIN
    -- Not OR IGNORE: inside a trigger the outer statement's upsert decides conflicts.
    INSERT INTO scan_queue (review_id)
    SELECT new.id WHERE NOT EXISTS (SELECT 1 FROM scan_queue WHERE review_id = new.id);
END;

CREATE TRIGGER scan_queue_text AFTER UPDATE OF text ON reviews
WHEN old.text IS NOT new.text
BEGIN
    -- Not OR IGNORE: inside a trigger the outer statement's upsert decides conflicts.
    INSERT INTO scan_queue (review_id)
    SELECT new.id WHERE NOT EXISTS (SELECT 1 FROM scan_queue WHERE review_id = new.id);
END;

CREATE TRIGGER scan_queue_done_insert AFTER INSERT ON review_hits
BEGIN
    DELETE FROM scan_queue WHERE review_id = new.review_id;
END;

CREATE TRIGGER scan_queue_done_update AFTER UPDATE ON review_hits
BEGIN
    DELETE FROM scan_queue WHERE review_id = new.review_id;
END;
