-- Who sees which rich menu, and what residents tapped (seed §2.4(1)).

-- The per-resident links tenohira has made on LINE (segment menus, and
-- the disaster menu over them while disaster mode is on). Kept so the
-- links follow residents in and out of segments, and so disaster mode can
-- give each resident their own menu back.
CREATE TABLE rich_menu_links (
    friend_id BIGINT PRIMARY KEY REFERENCES friends (id) ON DELETE CASCADE,
    -- The segment menu the resident belongs to.
    menu_id INT NOT NULL REFERENCES rich_menus (id) ON DELETE CASCADE,
    -- The LINE rich menu the resident is linked to now.
    line_menu_id TEXT NOT NULL,
    linked_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX rich_menu_links_menu ON rich_menu_links (menu_id);

-- Each switch of disaster mode, on or off, is a job; the newest row is the mode.
CREATE TABLE rich_menu_disaster_switches (
    id BIGSERIAL PRIMARY KEY,
    turn_on BOOLEAN NOT NULL,
    -- queued | running | done | failed
    state TEXT NOT NULL DEFAULT 'queued',
    step TEXT NOT NULL DEFAULT '',
    -- LINE's batch operation (its request id) while one runs.
    line_request_id TEXT,
    -- Residents whose own links were moved (a progress figure for the console).
    residents_moved INT NOT NULL DEFAULT 0,
    residents_total INT NOT NULL DEFAULT 0,
    problem TEXT,
    created_by UUID,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    claimed_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX rich_menu_disaster_one_running ON rich_menu_disaster_switches ((true)) WHERE state IN ('queued', 'running');

-- Taps per area and JST day: counts only, no resident.
CREATE TABLE rich_menu_taps (
    menu_id INT NOT NULL REFERENCES rich_menus (id) ON DELETE CASCADE,
    version INT NOT NULL,
    page SMALLINT NOT NULL,
    area SMALLINT NOT NULL,
    day DATE NOT NULL,
    taps BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (menu_id, version, page, area, day)
);
