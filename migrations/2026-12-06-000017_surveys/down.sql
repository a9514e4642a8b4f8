DROP TABLE survey_answers;
DROP TABLE survey_grants;
DROP TABLE survey_versions;
DROP TABLE surveys;
