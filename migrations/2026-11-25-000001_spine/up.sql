-- The spine: staff identity, sessions, service accounts, the audit log and the job outbox.

CREATE TABLE teams (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX teams_name_key ON teams (lower(name));

CREATE TABLE staff_accounts (
    id                   uuid PRIMARY KEY,
    login_id             text NOT NULL,
    display_name         text NOT NULL,
    team_id              uuid REFERENCES teams (id) ON DELETE SET NULL,
    permissions          text[] NOT NULL DEFAULT '{}',
    password_hash        text NOT NULL,
    must_change_password boolean NOT NULL DEFAULT false,
    enabled              boolean NOT NULL DEFAULT true,
    -- Base32 TOTP secret once enrolment is confirmed; the pending one while enrolling.
    totp_secret          text,
    totp_pending_secret  text,
    -- Last accepted TOTP time step: a code is never accepted twice.
    totp_last_step       bigint,
    failed_login_count   integer NOT NULL DEFAULT 0,
    locked_until         timestamptz,
    last_login_at        timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_accounts_login_id_key ON staff_accounts (lower(login_id));
CREATE INDEX staff_accounts_team_idx ON staff_accounts (team_id);

CREATE TABLE staff_sessions (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES staff_accounts (id) ON DELETE CASCADE,
    -- 'active', or what the session still has to do: 'totp' (enter a code) or 'enrol' (set up TOTP).
    stage        text NOT NULL CHECK (stage IN ('active', 'totp', 'enrol')),
    second_factor boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    ip           text,
    user_agent   text
);
CREATE INDEX staff_sessions_account_idx ON staff_sessions (account_id) WHERE revoked_at IS NULL;

CREATE TABLE service_accounts (
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    permissions  text[] NOT NULL DEFAULT '{}',
    -- SHA-256 of the token; the token itself is shown once and never stored.
    token_hash   bytea NOT NULL UNIQUE,
    token_hint   text NOT NULL,
    created_by   uuid REFERENCES staff_accounts (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    actor_kind  text NOT NULL CHECK (actor_kind IN ('staff', 'service', 'resident', 'system', 'anonymous')),
    actor_id    uuid,
    actor_label text NOT NULL,
    action      text NOT NULL,
    target_kind text,
    target_id   text,
    summary     jsonb NOT NULL DEFAULT '{}',
    result      text NOT NULL CHECK (result IN ('success', 'failure', 'denied')),
    ip          text,
    user_agent  text,
    request_id  text
);
CREATE INDEX audit_log_time_idx ON audit_log (occurred_at DESC, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, occurred_at DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, occurred_at DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target_kind, target_id);

-- The audit log is append-only: no application path may change or remove a row.
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- Jobs are written here in the transaction that creates their work and pushed
-- to Redis only after commit; rows left behind are pushed by the reconciler.
CREATE TABLE job_outbox (
    id         bigserial PRIMARY KEY,
    queue      text NOT NULL,
    payload    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
