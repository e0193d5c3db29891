-- At most one root unit, even with two servers initialising one PostgreSQL database at
-- once: the second `credgov init` / first-run `serve` fails on this index instead of
-- creating a second tree. Partial expression index; accepted by SQLite and PostgreSQL.
CREATE UNIQUE INDEX units_one_root ON units ((parent_id IS NULL)) WHERE parent_id IS NULL;
