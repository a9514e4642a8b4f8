-- Rich menus (seed §2.4(1)): a menu is one page or a tab set of 2–4 pages.
-- As with scenarios, a version that has been live is never edited: a change
-- makes a new draft; publishing creates new LINE menus for it (LINE cannot
-- change a menu's image) and moves the aliases and the default to them.
CREATE TABLE rich_menus (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    -- none | default | segment | disaster: who sees it once it is live.
    audience TEXT NOT NULL DEFAULT 'none',
    segment_id INT REFERENCES segments (id) ON DELETE RESTRICT,
    live_version INT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (audience IN ('none', 'default', 'segment', 'disaster')),
    CHECK ((audience = 'segment') = (segment_id IS NOT NULL))
);
CREATE UNIQUE INDEX rich_menus_name_key ON rich_menus (lower(name));
-- One default menu and one disaster menu at a time.
CREATE UNIQUE INDEX rich_menus_one_default ON rich_menus (audience) WHERE audience IN ('default', 'disaster');

CREATE TABLE rich_menu_versions (
    menu_id INT NOT NULL REFERENCES rich_menus (id) ON DELETE CASCADE,
    version INT NOT NULL,
    -- { pages: [{ name, width, height, chatBarText, image, areas: [...] }] }
    definition JSONB NOT NULL,
    created_by UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Set once, when the version first goes live; never cleared.
    published_at TIMESTAMPTZ,
    -- The LINE rich-menu ids publishing created, one per page (null: not on LINE).
    line_menu_ids TEXT[],
    PRIMARY KEY (menu_id, version)
);

-- Each publish (or rollback) is a job; staff follow its progress here.
CREATE TABLE rich_menu_publishes (
    id BIGSERIAL PRIMARY KEY,
    menu_id INT NOT NULL REFERENCES rich_menus (id) ON DELETE CASCADE,
    version INT NOT NULL,
    -- queued | running | done | failed
    state TEXT NOT NULL DEFAULT 'queued',
    -- What it is doing now (shown in the console).
    step TEXT NOT NULL DEFAULT '',
    -- LINE's (or our) refusals, field by field: [{field, message}].
    problems JSONB NOT NULL DEFAULT '[]',
    created_by UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- When a worker took it (a crashed worker's claim is taken over after 5 minutes).
    claimed_at TIMESTAMPTZ,
    -- LINE menus it created (LINE allows 100 creations an hour).
    created_menus INT NOT NULL DEFAULT 0,
    finished_at TIMESTAMPTZ
);
-- One publish of a menu at a time.
CREATE UNIQUE INDEX rich_menu_publishes_one_running ON rich_menu_publishes (menu_id) WHERE state IN ('queued', 'running');
