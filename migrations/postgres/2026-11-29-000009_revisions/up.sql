-- Every committed change, in commit order: the change feed's items, and for municipalities,
-- meetings, documents, surveys and users also their revision (merge patch and snapshot).
-- `seq` is the feed's cursor. Writers take a transaction-level advisory lock right before
-- they insert here and keep it until they commit, so numbers are handed out in commit order
-- and a reader that sees a number has seen every smaller one (see src/history/revisions.rs).
CREATE TABLE revisions (
    seq BIGSERIAL PRIMARY KEY,
    collection TEXT NOT NULL,
    record_id TEXT NOT NULL,
    path TEXT NOT NULL,
    version INTEGER NOT NULL,
    action TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    readers TEXT,
    patch TEXT,
    snapshot TEXT
);
CREATE INDEX revisions_record ON revisions (collection, record_id, seq);
CREATE INDEX revisions_at ON revisions (at);
