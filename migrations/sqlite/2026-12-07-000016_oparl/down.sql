ALTER TABLE attachments DROP COLUMN main;
ALTER TABLE municipality_contacts DROP COLUMN updated_at;
ALTER TABLE municipality_contacts DROP COLUMN created_at;
DROP INDEX municipalities_location_id;
ALTER TABLE municipalities DROP COLUMN location_id;
DROP INDEX meetings_location_id;
ALTER TABLE meetings DROP COLUMN location_id;
DROP INDEX meeting_agenda_items_id;
ALTER TABLE meeting_agenda_items DROP COLUMN id;
