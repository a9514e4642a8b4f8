-- A batch no longer carries its 500 LINE user ids: it is a position in the
-- run's snapshot (batch `seq` = the snapshot's friends seq·500 … seq·500+499),
-- and the sender reads their LINE user ids when it sends. Expanding a push to
-- 2,000,000 friends then writes 4,000 small rows instead of 66 MB of ids.
-- Friends LINE refused (400 naming `to[i]`) are remembered by friend id so a
-- resend leaves them out.
ALTER TABLE delivery_batches DROP COLUMN user_ids;
ALTER TABLE delivery_batches ADD COLUMN dropped bigint[] NOT NULL DEFAULT '{}';
