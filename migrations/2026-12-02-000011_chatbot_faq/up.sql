-- The chatbot's FAQ (seed §2.4(3)): entries staff maintain, synonym groups
-- for 表記ゆれ, and the talk log its statistics are computed from.
CREATE TABLE faq_entries (
    id SERIAL PRIMARY KEY,
    question TEXT NOT NULL,
    -- Other ways residents ask the same thing; matched like the question.
    variants TEXT[] NOT NULL DEFAULT '{}',
    answer TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT '',
    keywords TEXT[] NOT NULL DEFAULT '{}',
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    valid_from TIMESTAMPTZ,
    valid_to TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_from < valid_to)
);

-- Words residents write differently for one thing (粗大ごみ・粗大ゴミ・大型ごみ):
-- each group's terms are read as its first.
CREATE TABLE faq_synonyms (
    id SERIAL PRIMARY KEY,
    terms TEXT[] NOT NULL CHECK (cardinality(terms) >= 2),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every process keeps the FAQ index in memory; one number says whether its
-- copy is current (bumped by any change to entries or synonyms).
CREATE TABLE faq_revision (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    revision BIGINT NOT NULL
);
INSERT INTO faq_revision (revision) VALUES (1);

CREATE FUNCTION faq_bump_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE faq_revision SET revision = revision + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER faq_entries_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON faq_entries
    FOR EACH STATEMENT EXECUTE FUNCTION faq_bump_revision();
CREATE TRIGGER faq_synonyms_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON faq_synonyms
    FOR EACH STATEMENT EXECUTE FUNCTION faq_bump_revision();

-- One row per resident message the bot handled: what it decided and why.
-- Kept for the statistics (a retention setting prunes it) and deleted with
-- the resident's data.
CREATE TABLE chatbot_talk_log (
    id BIGSERIAL PRIMARY KEY,
    line_user_id TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    question TEXT NOT NULL,
    -- answered | suggested | unanswered | notice
    decision TEXT NOT NULL,
    faq_entry_id INT REFERENCES faq_entries (id) ON DELETE SET NULL,
    confidence REAL,
    -- 解決しましたか？: true, false, or not answered
    resolved BOOLEAN,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX chatbot_talk_log_occurred ON chatbot_talk_log (occurred_at);
CREATE INDEX chatbot_talk_log_user ON chatbot_talk_log (line_user_id);
