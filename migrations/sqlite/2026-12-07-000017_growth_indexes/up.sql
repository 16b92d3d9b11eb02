-- Indexes in the order the lists sort by (`db::query::order`), so that a page is read from
-- the index instead of sorting every row, and the counts beside them (growth benchmark).
-- The live documents, newest first with NULLs (drafts) last, as `order` writes it; the
-- status lets a list's `total` be counted from the index alone. Leading with `deleted_at`
-- keeps the planner from choosing a filter index and sorting every live row.
CREATE INDEX documents_live ON documents (deleted_at, published_at, id, status);
-- The audit log of one collection, newest first.
CREATE INDEX revisions_collection_seq ON revisions (collection, seq);
