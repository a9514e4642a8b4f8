-- Alert mails received (seed §2.4(4)シ): who may send them, and each mail
-- as text (attachments are never stored), kept before the SMTP listener
-- answers 250 so an accepted mail is never lost.
CREATE TABLE mail_senders (
    id SERIAL PRIMARY KEY,
    -- address | domain
    kind TEXT NOT NULL CHECK (kind IN ('address', 'domain')),
    -- Lowercase: bousai@pref.example.jp, or pref.example.jp.
    pattern TEXT NOT NULL UNIQUE,
    note TEXT NOT NULL DEFAULT '',
    created_by UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE inbound_mails (
    id BIGSERIAL PRIMARY KEY,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- smtp | http
    via TEXT NOT NULL,
    envelope_from TEXT NOT NULL,
    recipients TEXT[] NOT NULL,
    message_id TEXT,
    digest TEXT NOT NULL,
    from_header TEXT,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    attachments INT NOT NULL DEFAULT 0,
    size_bytes INT NOT NULL,
    -- received | duplicate
    status TEXT NOT NULL DEFAULT 'received',
    duplicate_of BIGINT REFERENCES inbound_mails (id) ON DELETE SET NULL
);
CREATE INDEX inbound_mails_message_id ON inbound_mails (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX inbound_mails_digest ON inbound_mails (digest, received_at);
