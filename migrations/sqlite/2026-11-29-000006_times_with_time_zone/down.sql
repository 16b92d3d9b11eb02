-- SQLite has no time zone type; it keeps ISO 8601 text in UTC. This migration exists so
-- both trees carry the same versions.
SELECT 1;
