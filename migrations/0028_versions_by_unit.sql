-- Every read of an account's versions names its unit (the primary key starts with
-- (unit_id, account_id)), so the index on (account_id, state) from 0002 only cost each
-- written version one more index entry: a bulk import of 5,000 rows spent about a
-- tenth of PostgreSQL's own insert time of credential_versions on it (a set-based
-- INSERT … SELECT of 5,000 versions: 66 ms with it, 56 ms without). The four queries
-- that joined versions on account_id alone now join on the unit too.
DROP INDEX credential_versions_state;
