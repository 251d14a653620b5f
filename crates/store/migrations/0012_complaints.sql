-- Reviewer complaints (DSA Art. 20), kept like the other cases: the server's
-- copy and the local copy with the pending decision applied. `kind` holds the
-- status, `due` when the complaint arrived (oldest first).
CREATE TABLE complaints (
    id           TEXT PRIMARY KEY NOT NULL,
    shop_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    due          TEXT NOT NULL,
    version      INTEGER NOT NULL,
    server_copy  TEXT NOT NULL,
    local_copy   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX complaints_by_due ON complaints (due, id);
-- A review's history lists its complaints.
CREATE INDEX complaints_by_review ON complaints (json_extract(server_copy, '$.review_id'));

-- Earlier versions skipped complaint entities in the feed: read it again from
-- the start once, so none that arrived before this version is missing.
DELETE FROM sync_state;
