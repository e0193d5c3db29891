-- Paged lists read one keyset page in sort order: give the lists sorted by creation time
-- an index on their sort key (the others already have one: accounts (unit_id, name),
-- units path, users username, memberships and audit_events primary keys).
CREATE INDEX handovers_newest ON handovers (created_at, id);
CREATE INDEX api_tokens_created ON api_tokens (created_at, id);
CREATE INDEX api_tokens_creator ON api_tokens (created_by);
