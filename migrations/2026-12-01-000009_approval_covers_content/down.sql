ALTER TABLE deliveries DROP COLUMN approved_digest;
