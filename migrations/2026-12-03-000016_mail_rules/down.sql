DROP TABLE mail_outcomes;
DROP INDEX inbound_mails_received_at;
ALTER TABLE inbound_mails DROP COLUMN auth, DROP COLUMN headers;
DROP TABLE mail_rules;
