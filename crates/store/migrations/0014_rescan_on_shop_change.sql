-- A shop's reviews are scanned as the shop is configured (ARM on or off, its
-- industries, its employees' names): when that changes, they are scanned again.
CREATE TRIGGER scan_queue_shop AFTER UPDATE OF arm_enabled, industries, employee_names ON shops
WHEN old.arm_enabled IS NOT new.arm_enabled
  OR old.industries IS NOT new.industries
  OR old.employee_names IS NOT new.employee_names
BEGIN
    -- Not OR IGNORE: inside a trigger the outer statement's upsert decides conflicts.
    INSERT INTO scan_queue (review_id)
    SELECT r.id FROM reviews r
    WHERE r.shop_id = new.id AND NOT EXISTS (SELECT 1 FROM scan_queue q WHERE q.review_id = r.id);
END;
