DROP TABLE media;
DROP TABLE delivery_tester_codes;
DROP TABLE delivery_testers;
DROP TABLE delivery_batches;
DROP TABLE delivery_runs;
DROP TABLE deliveries;
ALTER TABLE teams DROP COLUMN delivery_requires_approval;
