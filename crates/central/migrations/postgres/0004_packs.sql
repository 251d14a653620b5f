-- Versioned data handed to every workstation (statement templates, the
-- checklist): immutable once published, the newest one is in force. Old
-- versions stay, so a statement built offline with one is still checked
-- against exactly the texts it was built with.
CREATE TABLE packs (
    kind          TEXT NOT NULL,
    version       TEXT NOT NULL,
    published_at  TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    source        TEXT NOT NULL,
    PRIMARY KEY (kind, version)
);
CREATE INDEX packs_newest ON packs (kind, seq);
