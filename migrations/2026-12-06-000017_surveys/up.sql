-- Surveys and application forms (seed §2.4(5)ア–イ). The form being edited
-- is `form`; publishing freezes a copy as the next version, and answers keep
-- the version they were given against. Answers are residents' personal
-- data: sealed with the survey's own data key (keyring), deleted with the
-- resident (identified ones, by friend) or with the survey (its key destroyed).
CREATE TABLE surveys (
    id SERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    -- {sections: [{key, title, description, questions: [...], jumps: [...]}]}
    form JSONB NOT NULL,
    -- {opensAt, closesAt, identified, onePerResident, quota, thankYou, textLimit}
    settings JSONB NOT NULL,
    -- Only residents in this saved segment may answer (NULL: every friend).
    segment_id INT REFERENCES segments (id) ON DELETE RESTRICT,
    -- Results are visible to the creator, their team and granted accounts.
    team_id UUID,
    created_by UUID,
    created_by_label TEXT NOT NULL,
    live_version INT,
    data_key_id UUID NOT NULL,
    -- Closed early (by staff, or when the quota filled).
    closed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE survey_versions (
    survey_id INT NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    version INT NOT NULL,
    form JSONB NOT NULL,
    published_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_by TEXT NOT NULL,
    PRIMARY KEY (survey_id, version)
);

-- Staff or service accounts outside the owning team who may see results.
CREATE TABLE survey_grants (
    survey_id INT NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    account_id UUID NOT NULL,
    granted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (survey_id, account_id)
);

CREATE TABLE survey_answers (
    id BIGSERIAL PRIMARY KEY,
    survey_id INT NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    version INT NOT NULL,
    -- Identified surveys only; an anonymous answer names no one.
    friend_id BIGINT REFERENCES friends (id) ON DELETE CASCADE,
    -- A keyed hash of (survey, resident): one answer per resident without
    -- storing who answered an anonymous survey.
    respondent BYTEA NOT NULL,
    -- Whether this survey took one answer per resident when it was given.
    only_one BOOLEAN NOT NULL,
    -- The answers as JSON, sealed with the survey's data key.
    sealed BYTEA NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('liff', 'chat')),
    submitted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (survey_id, version) REFERENCES survey_versions (survey_id, version)
);
CREATE UNIQUE INDEX survey_answers_one_per_resident ON survey_answers (survey_id, respondent) WHERE only_one;
CREATE INDEX survey_answers_by_respondent ON survey_answers (survey_id, respondent);
CREATE INDEX survey_answers_by_survey ON survey_answers (survey_id, id);
CREATE INDEX survey_answers_by_friend ON survey_answers (friend_id) WHERE friend_id IS NOT NULL;
