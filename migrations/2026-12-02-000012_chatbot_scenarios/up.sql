-- Scenario bot (seed §2.4(3)ア・オ): versioned graphs staff draw in the
-- console. A published version is never edited: changes make a new draft,
-- publishing points the scenario at it, rollback points it back.
CREATE TABLE chatbot_scenarios (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- What a resident types to start it (compared after folding width and kana).
    triggers TEXT[] NOT NULL DEFAULT '{}',
    live_version INT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX chatbot_scenarios_name_key ON chatbot_scenarios (lower(name));

CREATE TABLE chatbot_scenario_versions (
    scenario_id INT NOT NULL REFERENCES chatbot_scenarios (id) ON DELETE CASCADE,
    version INT NOT NULL,
    graph JSONB NOT NULL,
    created_by UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Set once, when the version first goes live; never cleared.
    published_at TIMESTAMPTZ,
    PRIMARY KEY (scenario_id, version)
);

-- Where a resident is in a scenario (one at a time); gone when it ends or expires.
CREATE TABLE chatbot_sessions (
    line_user_id TEXT PRIMARY KEY,
    scenario_id INT NOT NULL REFERENCES chatbot_scenarios (id) ON DELETE CASCADE,
    version INT NOT NULL,
    node_id TEXT NOT NULL,
    answers JSONB NOT NULL DEFAULT '{}',
    -- A tester trying a draft through the test channel.
    testing BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Residents who asked for a person (a hand-over node): staff see and close them.
CREATE TABLE chatbot_handovers (
    id BIGSERIAL PRIMARY KEY,
    line_user_id TEXT NOT NULL,
    scenario_id INT REFERENCES chatbot_scenarios (id) ON DELETE SET NULL,
    node_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    closed_at TIMESTAMPTZ
);
CREATE INDEX chatbot_handovers_open ON chatbot_handovers (created_at) WHERE closed_at IS NULL;

-- The talk log says which route answered (scenario, keyword, faq, ai,
-- fallback) and, inside a scenario, which node.
ALTER TABLE chatbot_talk_log
    ADD COLUMN route TEXT NOT NULL DEFAULT 'faq',
    ADD COLUMN scenario_id INT REFERENCES chatbot_scenarios (id) ON DELETE SET NULL,
    ADD COLUMN scenario_version INT,
    ADD COLUMN node_id TEXT,
    -- The question sealed (AES-SIV under the talk log's key) instead of in plain text.
    ADD COLUMN question_sealed BYTEA;
CREATE INDEX chatbot_talk_log_node ON chatbot_talk_log (scenario_id, node_id) WHERE scenario_id IS NOT NULL;
