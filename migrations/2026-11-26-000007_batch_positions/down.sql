DROP FUNCTION record_batch_result(bigint, text, integer, integer, text);
ALTER TABLE delivery_batches DROP COLUMN dropped;
ALTER TABLE delivery_batches ADD COLUMN user_ids text[] NOT NULL DEFAULT '{}';
