DROP TABLE erasure_certificates;
DROP TABLE card_settings_versions;
DROP TABLE pass_versions;
DROP TABLE card_name_index;
DROP TABLE card_holders;
DROP SCHEMA keyring CASCADE;
