-- The data packs in force as last fetched from the server (statement
-- templates, the checklist): one row per kind, replaced whole. Without a row
-- the release's built-in version applies.
CREATE TABLE packs (
    kind        TEXT PRIMARY KEY NOT NULL,
    version     TEXT NOT NULL,
    source      TEXT NOT NULL,
    fetched_at  TEXT NOT NULL
) STRICT;
