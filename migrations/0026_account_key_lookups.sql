-- Keeps PostgreSQL's foreign-key checks on `accounts` to one key lookup.
--
-- The tables keyed (unit_id, account_id) check their account with
-- `WHERE unit_id = $1 AND id = $2`. Before `accounts` has statistics (a new
-- installation's first import, all in one transaction), the planner rates every index
-- that starts with `unit_id` as cheap as the primary key. It then takes the newest one
-- and filters the unit's accounts one by one. Each inserted credential version scanned
-- every account of its unit, so 5,000 imported rows spent 1.3 s in these checks, and the
-- cost grows with the square of the rows. After this migration only the primary key
-- starts with `unit_id`:
-- * `accounts_unit_status` (0024) goes. The risk ranking reads the counters of 0025
--   instead.
-- * The per-unit name uniqueness is kept, with `name` first.
-- tests/api/schema.rs checks the plan of this lookup.
DROP INDEX accounts_unit_status;
DROP INDEX accounts_unit_name;
CREATE UNIQUE INDEX accounts_name_unit ON accounts (name, unit_id);
