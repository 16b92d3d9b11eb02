-- Nothing to do on SQLite: every writer is in one process, whose commits are counted
-- (src/db/commits.rs). The PostgreSQL migration of this name notifies other instances.
SELECT 1;
