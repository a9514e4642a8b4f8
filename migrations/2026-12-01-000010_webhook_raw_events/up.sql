-- A signed event whose text PostgreSQL's jsonb cannot hold (U+0000, a lone
-- surrogate) is stored with those characters replaced by U+FFFD in `payload`
-- and its bytes exactly as received here, so nothing LINE sent is lost.
ALTER TABLE line_webhook_events ADD COLUMN raw bytea;
