-- The Maitama pass and the Papa-Mama card (seed 2.5, 2.6; DESIGN.md 4.5).

-- Data keys live in their own schema so that backups of the application data
-- (`pg_dump --exclude-schema=keyring`) never hold a key: destroying a key here
-- makes every copy of that resident's data unreadable (crypto-shredding).
CREATE SCHEMA keyring;

-- One data key per owner ("resident:<LINE user id>", "system:blind-index"),
-- wrapped by the key-encryption key (KEK) named in kek_id. `wrapped` is NULL
-- once the key is destroyed.
CREATE TABLE keyring.data_keys (
    id            uuid PRIMARY KEY,
    owner         text NOT NULL UNIQUE,
    wrapped       bytea,
    kek_id        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    rewrapped_at  timestamptz,
    destroyed_at  timestamptz,
    CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL))
);
CREATE INDEX data_keys_kek ON keyring.data_keys (kek_id) WHERE wrapped IS NOT NULL;

-- KEK rotations: all data keys re-wrapped, resumable, progress kept here.
CREATE TABLE keyring.kek_rotations (
    id           bigserial PRIMARY KEY,
    to_kek_id    text NOT NULL,
    total        integer NOT NULL,
    done         integer NOT NULL DEFAULT 0,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);

-- Registered Papa-Mama card holders. Every personal value is sealed with
-- AES-SIV under the resident's data key, bound to (owner, field).
CREATE TABLE card_holders (
    line_user_id       text PRIMARY KEY,
    data_key_id        uuid NOT NULL,
    holder_name        bytea NOT NULL,
    relation           bytea NOT NULL,
    -- JSON list of {name, birthDate}, 0–5 (the first required unless pregnant).
    children           bytea NOT NULL,
    -- JSON {expectedDate, grandparent}.
    household          bytea NOT NULL,
    -- Derived, kept in clear so the daily job finds lapsed cards without
    -- decrypting everyone: the last day anything keeps the household eligible.
    eligible_until     date,
    lapse_notified_at  timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX card_holders_eligible_until ON card_holders (eligible_until);

-- Keyed blind index of holder and children names (HMAC, never the names):
-- staff search by exact name or name part without decrypting every row.
CREATE TABLE card_name_index (
    line_user_id  text NOT NULL REFERENCES card_holders (line_user_id) ON DELETE CASCADE,
    token         bytea NOT NULL,
    PRIMARY KEY (token, line_user_id)
);
CREATE INDEX card_name_index_holder ON card_name_index (line_user_id);

-- The Maitama pass, versioned; the newest version is what residents see.
CREATE TABLE pass_versions (
    id                bigserial PRIMARY KEY,
    image_ids         uuid[] NOT NULL,
    body              text NOT NULL DEFAULT '',
    link_url          text,
    created_by_label  text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);

-- Card appearance and rules, versioned; the newest version applies.
CREATE TABLE card_settings_versions (
    id                     bigserial PRIMARY KEY,
    card_image_id          uuid,
    notice                 text NOT NULL DEFAULT '',
    barcode_value          text,
    barcode_image_id       uuid,
    pregnancy_grace_days   integer NOT NULL DEFAULT 365 CHECK (pregnancy_grace_days BETWEEN 0 AND 1000),
    lapse_notice           text NOT NULL DEFAULT '',
    created_by_label       text NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now()
);

-- Erasure certificates (seed 2.3(4)): what was destroyed, when, by whom.
CREATE TABLE erasure_certificates (
    id           uuid PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('resident', 'kek')),
    key_ids      text[] NOT NULL,
    operator     text NOT NULL,
    erased_at    timestamptz NOT NULL DEFAULT now(),
    certificate  jsonb NOT NULL
);
