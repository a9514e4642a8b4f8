-- Audience: attributes staff define, the receive-item tree, residents'
-- settings, saved segments, and a change log the in-memory indexes follow.

-- Set when the one registration reminder was sent (never more than once).
ALTER TABLE friends ADD COLUMN IF NOT EXISTS registration_reminded_at timestamptz;

CREATE TABLE attributes (
    id          serial PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('single', 'multiple', 'birth_year', 'gender', 'municipality', 'regions', 'free_text')),
    help_text   text NOT NULL DEFAULT '',
    position    integer NOT NULL,
    archived_at timestamptz,
    -- Deleted attributes leave every list; the row stays for flagged segments and the audit log.
    deleted_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE attribute_options (
    id           serial PRIMARY KEY,
    attribute_id integer NOT NULL REFERENCES attributes (id) ON DELETE CASCADE,
    label        text NOT NULL,
    position     integer NOT NULL,
    archived_at  timestamptz,
    -- Deleted options stay as rows so saved segments that name them can be flagged and shown.
    deleted_at   timestamptz
);
CREATE INDEX attribute_options_attribute_idx ON attribute_options (attribute_id, position);

-- Receive items: field › subfield › region (大・中・小カテゴリ).
CREATE TABLE category_nodes (
    id          serial PRIMARY KEY,
    parent_id   integer REFERENCES category_nodes (id) ON DELETE CASCADE,
    name        text NOT NULL,
    level       integer NOT NULL CHECK (level BETWEEN 1 AND 3),
    position    integer NOT NULL,
    archived_at timestamptz
);
CREATE INDEX category_nodes_parent_idx ON category_nodes (parent_id, position);

-- A resident's settings: chosen options and subscribed nodes as integer
-- arrays (one row per friend, cheap to load into bitmaps).
CREATE TABLE friend_settings (
    friend_id     bigint PRIMARY KEY REFERENCES friends (id) ON DELETE CASCADE,
    option_ids    integer[] NOT NULL DEFAULT '{}',
    node_ids      integer[] NOT NULL DEFAULT '{}',
    birth_year    integer CHECK (birth_year BETWEEN 1900 AND 2100),
    free_text     jsonb NOT NULL DEFAULT '{}',
    registered_at timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE segments (
    id            serial PRIMARY KEY,
    name          text NOT NULL,
    expression    jsonb NOT NULL,
    -- Set when an option the expression names is deleted: staff must review who it reaches.
    needs_review  boolean NOT NULL DEFAULT false,
    review_reason text,
    created_by    uuid,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX segments_name_key ON segments (lower(name));

-- Every change to who a friend is (settings, follow state) appends a row;
-- each API replica applies new rows to its in-memory index.
CREATE TABLE audience_changes (
    seq        bigserial PRIMARY KEY,
    friend_id  bigint NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION audience_note_friend_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO audience_changes (friend_id) VALUES (OLD.friend_id);
        RETURN OLD;
    END IF;
    INSERT INTO audience_changes (friend_id) VALUES (NEW.friend_id);
    RETURN NEW;
END;
$$;
CREATE TRIGGER friend_settings_changed AFTER INSERT OR UPDATE OR DELETE ON friend_settings
    FOR EACH ROW EXECUTE FUNCTION audience_note_friend_change();

CREATE FUNCTION audience_note_follow_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status OR NEW.followed_at IS DISTINCT FROM OLD.followed_at THEN
        INSERT INTO audience_changes (friend_id) VALUES (NEW.id);
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER friends_changed AFTER INSERT OR UPDATE ON friends
    FOR EACH ROW EXECUTE FUNCTION audience_note_follow_change();
