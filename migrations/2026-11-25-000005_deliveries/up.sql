-- Segment delivery (seed 2.4(4)ア, カ, キ, ケ, コ; DESIGN.md 4.2).

-- A team may require a second person's approval before its deliveries go out.
ALTER TABLE teams ADD COLUMN delivery_requires_approval boolean NOT NULL DEFAULT false;

CREATE TABLE deliveries (
    id                bigserial PRIMARY KEY,
    title             text NOT NULL,
    -- Our message objects (text / image / video with media ids), 1–5.
    messages          jsonb NOT NULL,
    -- "all" | {"segment": 3} | {"expression": {...}} | {"friends": [1, 2]}
    target            jsonb NOT NULL,
    -- draft → scheduled → sending → completed; cancelled from draft/scheduled.
    status            text NOT NULL DEFAULT 'draft'
                      CHECK (status IN ('draft', 'scheduled', 'sending', 'completed', 'cancelled')),
    team_id           uuid REFERENCES teams (id) ON DELETE SET NULL,
    requires_approval boolean NOT NULL DEFAULT false,
    approved_by       uuid,
    approved_at       timestamptz,
    created_by        uuid,
    created_by_label  text NOT NULL,
    scheduled_at      timestamptz,
    -- customAggregationUnits sent with every batch, to join LINE's insight later.
    aggregation_unit  text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- The dispatch of a delivery: one row from the moment it starts sending.
CREATE TABLE delivery_runs (
    delivery_id       bigint PRIMARY KEY REFERENCES deliveries (id) ON DELETE CASCADE,
    started_at        timestamptz NOT NULL DEFAULT now(),
    -- Friend ids fixed at send time (a serialized roaring bitmap): batches are
    -- cut from it deterministically, so expansion can resume after a crash.
    snapshot          bytea NOT NULL,
    recipients        integer NOT NULL,
    batches_total     integer NOT NULL,
    batches_written   integer NOT NULL DEFAULT 0,
    batches_done      integer NOT NULL DEFAULT 0,
    accepted          integer NOT NULL DEFAULT 0,
    failed            integer NOT NULL DEFAULT 0,
    finished_at       timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delivery_runs_open ON delivery_runs (updated_at) WHERE finished_at IS NULL;
CREATE INDEX deliveries_due ON deliveries (scheduled_at) WHERE status = 'scheduled';
CREATE INDEX deliveries_created ON deliveries (created_at DESC);

CREATE TABLE delivery_batches (
    id           bigserial PRIMARY KEY,
    delivery_id  bigint NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    seq          integer NOT NULL,
    -- Derived from (delivery, seq, attempt generation): the same batch always
    -- carries the same key, so LINE answers 409 to a repeat instead of sending twice.
    retry_key    uuid NOT NULL,
    user_ids     text[] NOT NULL,
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'accepted', 'failed')),
    accepted     integer NOT NULL DEFAULT 0,
    failed       integer NOT NULL DEFAULT 0,
    attempts     integer NOT NULL DEFAULT 0,
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (delivery_id, seq)
);
-- Open batches of a delivery ("is anything left?" after each result; the reconciler).
CREATE INDEX delivery_batches_open ON delivery_batches (delivery_id, updated_at) WHERE status = 'queued';

-- Staff members' own LINE accounts that receive test sends (seed 2.4(4)キ).
CREATE TABLE delivery_testers (
    staff_account_id uuid PRIMARY KEY REFERENCES staff_accounts (id) ON DELETE CASCADE,
    line_user_id     text NOT NULL,
    linked_at        timestamptz NOT NULL DEFAULT now()
);

-- One-time codes a staff member sends from LINE to link it as their tester account.
CREATE TABLE delivery_tester_codes (
    code             text PRIMARY KEY,
    staff_account_id uuid NOT NULL REFERENCES staff_accounts (id) ON DELETE CASCADE,
    expires_at       timestamptz NOT NULL
);

-- Uploaded images and videos, served to LINE at /media/{id} (and /preview).
-- The bytes live in the media store (filesystem by default); this is the index.
CREATE TABLE media (
    id               uuid PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('image', 'video')),
    content_type     text NOT NULL,
    size             bigint NOT NULL,
    preview_type     text,
    preview_size     bigint,
    file_name        text NOT NULL DEFAULT '',
    created_by       uuid,
    created_at       timestamptz NOT NULL DEFAULT now()
);
