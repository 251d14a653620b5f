-- The overlay, kept on the review row by triggers on the outbox, so the queue can
-- filter, sort and count 100,000 reviews through an index instead of looking up
-- the outbox row by row. Derived data only: the outbox stays the truth.

ALTER TABLE reviews ADD COLUMN local_state TEXT;
ALTER TABLE reviews ADD COLUMN local_status TEXT;
ALTER TABLE reviews ADD COLUMN local_decision TEXT;
ALTER TABLE reviews ADD COLUMN pending_decisions INTEGER NOT NULL DEFAULT 0;

UPDATE reviews SET
    local_state = (SELECT o.local_state FROM outbox o WHERE o.entity_id = reviews.id ORDER BY o.seq DESC LIMIT 1),
    local_status = (SELECT o.local_status FROM outbox o WHERE o.entity_id = reviews.id ORDER BY o.seq DESC LIMIT 1),
    local_decision = (SELECT o.mutation_id FROM outbox o WHERE o.entity_id = reviews.id ORDER BY o.seq DESC LIMIT 1),
    pending_decisions = (SELECT COUNT(*) FROM outbox o WHERE o.entity_id = reviews.id);

CREATE TRIGGER outbox_overlay_insert AFTER INSERT ON outbox BEGIN
    UPDATE reviews SET
        local_state = new.local_state,
        local_status = new.local_status,
        local_decision = new.mutation_id,
        pending_decisions = pending_decisions + 1
    WHERE id = new.entity_id;
END;

CREATE TRIGGER outbox_overlay_delete AFTER DELETE ON outbox BEGIN
    UPDATE reviews SET
        local_state = (SELECT o.local_state FROM outbox o WHERE o.entity_id = old.entity_id ORDER BY o.seq DESC LIMIT 1),
        local_status = (SELECT o.local_status FROM outbox o WHERE o.entity_id = old.entity_id ORDER BY o.seq DESC LIMIT 1),
        local_decision = (SELECT o.mutation_id FROM outbox o WHERE o.entity_id = old.entity_id ORDER BY o.seq DESC LIMIT 1),
        pending_decisions = pending_decisions - 1
    WHERE id = old.entity_id;
END;

CREATE INDEX reviews_by_effective_state ON reviews (COALESCE(local_state, state), submitted_at DESC, id);
