-- Registration forms built by staff (seed 2.4(4)オ): which attributes appear,
-- in which order, required or optional, with which help text, and which parts
-- of the receive-item tree. Each publication is a new, immutable version.
CREATE TABLE registration_forms (
    version           serial PRIMARY KEY,
    -- [{"attributeId": 1, "required": true, "helpText": "…"}, …] in display order
    items             jsonb NOT NULL,
    -- Roots of the receive-item subtrees shown (empty: no receive items).
    category_root_ids integer[] NOT NULL DEFAULT '{}',
    created_by        uuid,
    created_at        timestamptz NOT NULL DEFAULT now()
);
