-- An approval covers exactly the content it was given for: the digest of the
-- title, messages and target at approval time. The start compares it with
-- the content being sent, in the transaction that starts the delivery.
ALTER TABLE deliveries ADD COLUMN approved_digest bytea;
-- Approvals given before this column existed name no content: they must be given again.
UPDATE deliveries SET approved_by = NULL, approved_at = NULL
 WHERE approved_by IS NOT NULL AND status IN ('draft', 'scheduled');
