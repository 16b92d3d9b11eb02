-- Every committed change, in commit order: the change feed's items, and for municipalities,
-- meetings, documents, surveys and users also their revision (merge patch and snapshot).
--
-- `seq` is the feed's cursor and must be handed out in commit order: a plain sequence is not
-- (a transaction that drew a lower number can commit after one with a higher number was
-- read, and a follower past that one would never see it). So the row's number is drawn by
-- the trigger below only after the writer took a transaction-level advisory lock, which it
-- holds until it commits: a reader that sees a number has seen every smaller one. The
-- revision is the last statement of a write transaction, so writers queue only for the
-- moment between it and their commit. The same statement tells the instances listening
-- for changes (`wait=`) that one is coming.
CREATE SEQUENCE revisions_seq;
CREATE TABLE revisions (
    seq BIGINT PRIMARY KEY,
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

CREATE FUNCTION revisions_in_commit_order() RETURNS trigger AS $$
BEGIN
    -- "engagier" in ASCII: the feed's turn.
    PERFORM pg_advisory_xact_lock(7308892913313342834);
    NEW.seq := nextval('revisions_seq');
    -- The channel of src/db/commits.rs.
    PERFORM pg_notify('engagiert_changes', current_schema());
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER revisions_in_commit_order BEFORE INSERT ON revisions
    FOR EACH ROW EXECUTE FUNCTION revisions_in_commit_order();
