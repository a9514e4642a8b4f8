ALTER TABLE line_webhook_events DROP COLUMN raw;
