-- Dispute cases, kept like audits: the server's copy and the local copy with
-- pending changes applied. `kind` holds the stage, `due` the next deadline
-- (far future when none), so the list sorts in SQL.
CREATE TABLE disputes (
    id           TEXT PRIMARY KEY NOT NULL,
    shop_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    due          TEXT NOT NULL,
    version      INTEGER NOT NULL,
    server_copy  TEXT NOT NULL,
    local_copy   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX disputes_by_due ON disputes (due, id);
