-- Indexes in the order the lists sort by (`db::query::order`), so that a page is read from
-- the index instead of sorting every row, and the counts beside them (growth benchmark).
-- Newest documents first with NULLs (drafts) last, as `order` writes it. PostgreSQL walks
-- this index in order only without a leading `deleted_at` (an `IS NULL` condition does not
-- fix a column for ordering), so the live documents get an index of their own: a list's
-- `total` is then counted from the index alone.
CREATE INDEX documents_published_id ON documents (published_at DESC NULLS LAST, id DESC);
CREATE INDEX documents_live ON documents (deleted_at, status);
-- The audit log of one collection, newest first.
CREATE INDEX revisions_collection_seq ON revisions (collection, seq);
