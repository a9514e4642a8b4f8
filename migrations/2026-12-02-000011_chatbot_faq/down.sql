DROP TABLE chatbot_talk_log;
DROP TABLE faq_revision;
DROP TABLE faq_synonyms;
DROP TABLE faq_entries;
DROP FUNCTION faq_bump_revision();
