-- SQLite is one instance: its writers are all in this process (nothing to notify).
SELECT 1;
