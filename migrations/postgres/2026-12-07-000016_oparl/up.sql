-- What the OParl interface needs and the tables lacked: stable ids of their own for agenda
-- items and for the places of meetings and municipalities (OParl Location), the times a
-- contact was added and last changed (OParl Person's created/modified), and which attachment
-- is a document's main file (OParl Paper's mainFile; the first one unless one is marked).
ALTER TABLE meeting_agenda_items ADD COLUMN id UUID NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE meeting_agenda_items ALTER COLUMN id DROP DEFAULT;
CREATE UNIQUE INDEX meeting_agenda_items_id ON meeting_agenda_items (id);

ALTER TABLE meetings ADD COLUMN location_id UUID NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE meetings ALTER COLUMN location_id DROP DEFAULT;
CREATE UNIQUE INDEX meetings_location_id ON meetings (location_id);

ALTER TABLE municipalities ADD COLUMN location_id UUID NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE municipalities ALTER COLUMN location_id DROP DEFAULT;
CREATE UNIQUE INDEX municipalities_location_id ON municipalities (location_id);

ALTER TABLE municipality_contacts ADD COLUMN created_at TIMESTAMPTZ;
ALTER TABLE municipality_contacts ADD COLUMN updated_at TIMESTAMPTZ;
UPDATE municipality_contacts c SET created_at = m.created_at, updated_at = m.updated_at
    FROM municipalities m WHERE m.id = c.municipality_id;
ALTER TABLE municipality_contacts ALTER COLUMN created_at SET NOT NULL;
ALTER TABLE municipality_contacts ALTER COLUMN updated_at SET NOT NULL;

ALTER TABLE attachments ADD COLUMN main BOOLEAN NOT NULL DEFAULT FALSE;
