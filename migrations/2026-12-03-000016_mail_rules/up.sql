-- Mail rules (seed §2.4(4)シ): which kept mails become which delivery.
-- Rules are tried in `position` order; the first that matches acts, the
-- rest are recorded as matching too, so one alert never reaches a resident
-- twice.
CREATE TABLE mail_rules (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    enabled BOOLEAN NOT NULL DEFAULT true,
    position INT NOT NULL DEFAULT 0,
    -- all | any: how the conditions combine
    match_mode TEXT NOT NULL CHECK (match_mode IN ('all', 'any')),
    -- [{field: sender|subject|body, kind: keywords|regex, words, mode: all|any, pattern}]
    conditions JSONB NOT NULL,
    -- [{kind: strip_signature|cut_from|drop_lines|keep_section, text, end}]
    rewrites JSONB NOT NULL DEFAULT '[]',
    extract_municipalities BOOLEAN NOT NULL DEFAULT true,
    -- skip | base: what happens when the mail names no municipality
    fallback TEXT NOT NULL CHECK (fallback IN ('skip', 'base')),
    base_segment_id INT REFERENCES segments (id) ON DELETE RESTRICT,
    -- and | or: how the base segment joins the mail's condition
    combine TEXT NOT NULL CHECK (combine IN ('and', 'or')),
    receive_node_id INT REFERENCES category_nodes (id) ON DELETE RESTRICT,
    template TEXT NOT NULL,
    -- send | draft
    mode TEXT NOT NULL CHECK (mode IN ('send', 'draft')),
    disaster_mode BOOLEAN NOT NULL DEFAULT false,
    -- Who created and changed it is in the audit log.
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- What a relay said of the mail, kept with it.
ALTER TABLE inbound_mails
    ADD COLUMN headers TEXT NOT NULL DEFAULT '',
    -- {spf, dkim}: verdicts from Authentication-Results / Received-SPF
    ADD COLUMN auth JSONB NOT NULL DEFAULT '{}';
CREATE INDEX inbound_mails_received_at ON inbound_mails (received_at);

-- What became of each kept mail (one row once it has been processed).
CREATE TABLE mail_outcomes (
    mail_id BIGINT PRIMARY KEY REFERENCES inbound_mails (id) ON DELETE CASCADE,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- no_rule | sent | drafted | skipped | failed
    outcome TEXT NOT NULL,
    -- {rules: [{id, name, matched, acted, reasons}], municipalities, note}
    decision JSONB NOT NULL,
    rule_id INT REFERENCES mail_rules (id) ON DELETE SET NULL,
    delivery_id BIGINT REFERENCES deliveries (id) ON DELETE SET NULL
);
