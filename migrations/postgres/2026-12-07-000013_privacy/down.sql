DROP TABLE privacy_erasures;
ALTER TABLE municipality_contacts ADD COLUMN public BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE municipality_contacts SET public = (publish <> '');
ALTER TABLE municipality_contacts DROP COLUMN consent_withdrawn_at;
ALTER TABLE municipality_contacts DROP COLUMN consent_recorded_by;
ALTER TABLE municipality_contacts DROP COLUMN consent_recorded_by_kind;
ALTER TABLE municipality_contacts DROP COLUMN consent_recorded_at;
ALTER TABLE municipality_contacts DROP COLUMN publish;
