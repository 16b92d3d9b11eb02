-- One row of what the service keeps about itself. `feed_epoch` names the change feed's
-- history (rule 37): a restored backup gets a new one, so cursors of the old history are
-- told apart from the new history's numbers. `last_backup_at`: the last `engagiert backup`.
CREATE TABLE maintenance (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    feed_epoch TEXT NOT NULL,
    feed_epoch_at TIMESTAMPTZ NOT NULL,
    last_backup_at TIMESTAMPTZ
);
INSERT INTO maintenance (id, feed_epoch, feed_epoch_at)
VALUES (1, substr(md5(random()::text || clock_timestamp()::text), 1, 16), now());
