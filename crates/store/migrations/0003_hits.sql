-- ARM filter hits per review, with the rule-pack version that produced them.
-- A changed text makes its hits stale, so they are dropped with it.

CREATE TABLE review_hits (
    review_id          TEXT PRIMARY KEY NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
    rule_pack_version  TEXT NOT NULL,
    hits               TEXT NOT NULL  -- JSON array of ArmHit
) STRICT;

CREATE TRIGGER review_hits_stale AFTER UPDATE OF text ON reviews
WHEN old.text IS NOT new.text
BEGIN
    DELETE FROM review_hits WHERE review_id = new.id;
END;
