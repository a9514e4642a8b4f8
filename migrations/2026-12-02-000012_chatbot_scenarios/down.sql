DROP INDEX IF EXISTS chatbot_talk_log_node;
ALTER TABLE chatbot_talk_log
    DROP COLUMN route, DROP COLUMN scenario_id, DROP COLUMN scenario_version,
    DROP COLUMN node_id, DROP COLUMN question_sealed;
DROP TABLE chatbot_handovers;
DROP TABLE chatbot_sessions;
DROP TABLE chatbot_scenario_versions;
DROP TABLE chatbot_scenarios;
