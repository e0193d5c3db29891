-- Holiday calendars imported with `credgov calendar import FILE` (State Council notices).
-- A year here replaces the calendar embedded in the binary for that year. `document` is
-- the validated file, re-serialised; `revision` grows with every import of that year, so a
-- running server that compares (year, revision) pairs notices a re-import and reloads.
CREATE TABLE holiday_calendars (
    year         BIGINT PRIMARY KEY,
    document     TEXT NOT NULL,
    day_count    BIGINT NOT NULL,
    revision     BIGINT NOT NULL,
    imported_at  BIGINT NOT NULL,
    imported_by  TEXT NOT NULL
);
