-- A batch no longer carries its 500 LINE user ids: it is a position in the
-- run's snapshot (batch `seq` = the snapshot's friends seq·500 … seq·500+499),
-- and the sender reads their LINE user ids when it sends. Expanding a push to
-- 2,000,000 friends then writes 4,000 small rows instead of 66 MB of ids.
-- Friends LINE refused (400 naming `to[i]`) are remembered by friend id so a
-- resend leaves them out.
ALTER TABLE delivery_batches DROP COLUMN user_ids;
ALTER TABLE delivery_batches ADD COLUMN dropped bigint[] NOT NULL DEFAULT '{}';

-- A batch's result in one round trip (thousands a second during a push):
-- counts it only on its first transition out of `queued`, and tells whether
-- that was the delivery's last open batch (the caller then records the run's
-- final figures). The commit need not wait for the disk: a result lost in a
-- crash means the batch is sent again under the same retry key, LINE answers
-- 409, and that is recorded as accepted.
CREATE FUNCTION record_batch_result(batch bigint, new_status text, sent integer,
                                    failed_now integer, why text)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    d bigint;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    UPDATE delivery_batches
       SET status = new_status, accepted = sent, failed = failed + failed_now,
           error = why, updated_at = now()
     WHERE id = batch AND status = 'queued'
    RETURNING delivery_id INTO d;
    IF d IS NULL THEN
        RETURN false;
    END IF;
    RETURN EXISTS (
        SELECT 1 FROM delivery_runs r
         WHERE r.delivery_id = d AND r.finished_at IS NULL
           AND r.batches_written >= r.batches_total
           AND NOT EXISTS (SELECT 1 FROM delivery_batches b
                            WHERE b.delivery_id = d AND b.status = 'queued'));
END
$$;
