-- Full-text search over review texts (diacritics folded), kept in step with the
-- reviews table by triggers, and indexes for the queue's filters.

CREATE VIRTUAL TABLE reviews_fts USING fts5(
    text,
    content = 'reviews',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO reviews_fts (rowid, text) SELECT rowid, text FROM reviews;

CREATE TRIGGER reviews_fts_insert AFTER INSERT ON reviews BEGIN
    INSERT INTO reviews_fts (rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER reviews_fts_delete AFTER DELETE ON reviews BEGIN
    INSERT INTO reviews_fts (reviews_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
CREATE TRIGGER reviews_fts_update AFTER UPDATE OF text ON reviews BEGIN
    INSERT INTO reviews_fts (reviews_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO reviews_fts (rowid, text) VALUES (new.rowid, new.text);
END;

CREATE INDEX reviews_by_language ON reviews (language);
