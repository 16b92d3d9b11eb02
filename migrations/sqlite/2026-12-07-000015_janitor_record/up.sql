-- The retention janitor's last sweep (any instance's), for /metrics.
ALTER TABLE maintenance ADD COLUMN janitor_at TIMESTAMP;
ALTER TABLE maintenance ADD COLUMN janitor_removed BIGINT NOT NULL DEFAULT 0;
