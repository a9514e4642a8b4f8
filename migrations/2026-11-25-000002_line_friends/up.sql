-- The LINE boundary: received webhook events, friends and their history, settings.

CREATE TABLE line_webhook_events (
    id               bigserial PRIMARY KEY,
    -- LINE's ULID; the same event delivered twice is stored once.
    webhook_event_id text NOT NULL UNIQUE,
    event_type       text NOT NULL,
    mode             text NOT NULL,
    source_user_id   text,
    occurred_at      timestamptz NOT NULL,
    payload          jsonb NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    -- received → processing → processed | failed. A worker claims an event by
    -- moving it to processing; claims older than five minutes are abandoned.
    status           text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'processing', 'processed', 'failed')),
    claimed_at       timestamptz,
    processed_at     timestamptz,
    error            text
);
-- The reconciler looks for events left unprocessed.
CREATE INDEX line_webhook_events_pending_idx ON line_webhook_events (received_at) WHERE status IN ('received', 'processing');

CREATE TABLE friends (
    id                bigserial PRIMARY KEY,
    line_user_id      text NOT NULL UNIQUE,
    status            text NOT NULL CHECK (status IN ('following', 'blocked')),
    first_followed_at timestamptz NOT NULL,
    followed_at       timestamptz NOT NULL,
    blocked_at        timestamptz,
    -- Time of the LINE event that set the status: older events arriving late change nothing.
    status_event_at   timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX friends_status_idx ON friends (status, followed_at);

CREATE TABLE friend_events (
    id          bigserial PRIMARY KEY,
    friend_id   bigint NOT NULL REFERENCES friends (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('follow', 'unfollow')),
    occurred_at timestamptz NOT NULL
);
CREATE INDEX friend_events_time_idx ON friend_events (occurred_at);

CREATE TABLE app_settings (
    key        text PRIMARY KEY,
    value      jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid
);
