-- Per-unit policy settings. A unit inherits the policy of the units above it; a row
-- here may name a preset and override single values of the account_password, rotation
-- and generator sections, each only where stricter than what is inherited (floors).
-- overrides is a JSON object: section -> key -> value.
CREATE TABLE unit_policies (
    unit_id     TEXT PRIMARY KEY REFERENCES units (id),
    preset      TEXT,
    overrides   TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT
);
