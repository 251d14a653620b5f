-- A review the server deleted while a local decision on it was outstanding: kept
-- (with its decisions marked as conflicts) until the user resolves them.
ALTER TABLE reviews ADD COLUMN server_deleted INTEGER NOT NULL DEFAULT 0;
