-- SQLite has no uuid type; ids stay canonical UUID text. This migration exists so both
-- trees carry the same versions.
SELECT 1;
