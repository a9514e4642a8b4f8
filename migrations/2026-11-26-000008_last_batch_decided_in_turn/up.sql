-- Two batches that finished at the same moment each saw the other still
-- queued (neither had committed), so neither completed the delivery and it
-- waited for the reconciler (seen as a 1.7 s gap between the last result and
-- "completed" in bench-delivery). The results of one delivery now decide
-- "was that the last?" in turn: after its update each takes the delivery's
-- transaction-level advisory lock and only then looks, with a fresh snapshot.
-- Whoever held the lock before has committed by then, so of the last two
-- the second sees the first. The lock is held only for that look and the
-- commit (which does not wait for the disk), so results hardly queue for it.

-- The look itself, in one place: every batch of the delivery's open run is
-- written and none is still queued (the partial index answers "any left?").
-- Also asked after the fact by the worker and the reconciler. PL/pgSQL, not
-- SQL: its body has a sub-select, so PostgreSQL would not inline a SQL
-- function and would plan it again in every transaction; PL/pgSQL keeps the
-- plan for the connection.
CREATE FUNCTION delivery_ready_to_finish(d bigint) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (
        SELECT 1 FROM delivery_runs r
         WHERE r.delivery_id = d AND r.finished_at IS NULL
           AND r.batches_written >= r.batches_total
           AND NOT EXISTS (SELECT 1 FROM delivery_batches b
                            WHERE b.delivery_id = d AND b.status = 'queued'));
END
$$;

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
    -- Key space: (the class of "a delivery's results", the delivery id folded
    -- into 31 bits); two deliveries folding together only share turns.
    PERFORM pg_advisory_xact_lock(1684828274, (d % 2147483648)::integer);
    RETURN delivery_ready_to_finish(d);
END
$$;
