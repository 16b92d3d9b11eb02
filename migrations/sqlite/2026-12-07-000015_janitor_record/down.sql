ALTER TABLE maintenance DROP COLUMN janitor_removed;
ALTER TABLE maintenance DROP COLUMN janitor_at;
