-- Back to deciding without taking turns (migration 000007's function).
CREATE OR REPLACE FUNCTION record_batch_result(batch bigint, new_status text, sent integer,
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
DROP FUNCTION delivery_ready_to_finish(bigint);
