-- What the OParl interface needs and the tables lacked: stable ids of their own for agenda
-- items and for the places of meetings and municipalities (OParl Location), the times a
-- contact was added and last changed (OParl Person's created/modified), and which attachment
-- is a document's main file (OParl Paper's mainFile; the first one unless one is marked).
-- Existing rows get random (version 4) UUIDs; new ones get theirs from the service.
ALTER TABLE meeting_agenda_items ADD COLUMN id TEXT NOT NULL DEFAULT '';
UPDATE meeting_agenda_items SET id = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)));
CREATE UNIQUE INDEX meeting_agenda_items_id ON meeting_agenda_items (id);

ALTER TABLE meetings ADD COLUMN location_id TEXT NOT NULL DEFAULT '';
UPDATE meetings SET location_id = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)));
CREATE UNIQUE INDEX meetings_location_id ON meetings (location_id);

ALTER TABLE municipalities ADD COLUMN location_id TEXT NOT NULL DEFAULT '';
UPDATE municipalities SET location_id = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)));
CREATE UNIQUE INDEX municipalities_location_id ON municipalities (location_id);

ALTER TABLE municipality_contacts ADD COLUMN created_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
ALTER TABLE municipality_contacts ADD COLUMN updated_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE municipality_contacts SET
    created_at = (SELECT m.created_at FROM municipalities m WHERE m.id = municipality_contacts.municipality_id),
    updated_at = (SELECT m.updated_at FROM municipalities m WHERE m.id = municipality_contacts.municipality_id);

ALTER TABLE attachments ADD COLUMN main BOOLEAN NOT NULL DEFAULT FALSE;
