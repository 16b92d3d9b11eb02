-- Ids are native `uuid` on PostgreSQL: 16 bytes instead of 36 characters, checked by the
-- database, and compared as what they are. Every stored id is a UUID in canonical text.
DO $$
DECLARE
    fk record;
    col record;
BEGIN
    -- Foreign keys are dropped while both of their sides change type, then made again.
    CREATE TEMP TABLE saved_foreign_keys ON COMMIT DROP AS
        SELECT conrelid::regclass AS tbl, conname, pg_get_constraintdef(oid) AS def
        FROM pg_constraint
        WHERE contype = 'f' AND connamespace = current_schema()::regnamespace;
    FOR fk IN SELECT * FROM saved_foreign_keys LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tbl, fk.conname);
    END LOOP;
    FOR col IN SELECT * FROM (VALUES
        ('users', 'id'),
        ('users', 'municipality_id'),
        ('refresh_tokens', 'id'),
        ('refresh_tokens', 'family_id'),
        ('refresh_tokens', 'user_id'),
        ('api_tokens', 'id'),
        ('api_tokens', 'municipality_id'),
        ('api_tokens', 'created_by'),
        ('municipalities', 'id'),
        ('municipalities', 'district_id'),
        ('municipality_topics', 'municipality_id'),
        ('municipality_contacts', 'id'),
        ('municipality_contacts', 'municipality_id'),
        ('membership_events', 'id'),
        ('membership_events', 'municipality_id'),
        ('documents', 'id'),
        ('documents', 'meeting_id'),
        ('document_topics', 'document_id'),
        ('document_municipalities', 'document_id'),
        ('document_municipalities', 'municipality_id'),
        ('document_links', 'document_id'),
        ('attachments', 'id'),
        ('attachments', 'document_id'),
        ('meetings', 'id'),
        ('meetings', 'host_municipality_id'),
        ('meeting_agenda_items', 'meeting_id'),
        ('meeting_topics', 'meeting_id'),
        ('meeting_documents', 'meeting_id'),
        ('meeting_documents', 'document_id'),
        ('meeting_registrations', 'id'),
        ('meeting_registrations', 'meeting_id'),
        ('meeting_registrations', 'municipality_id'),
        ('surveys', 'id'),
        ('survey_questions', 'id'),
        ('survey_questions', 'survey_id'),
        ('survey_options', 'id'),
        ('survey_options', 'question_id'),
        ('survey_options', 'survey_id'),
        ('survey_participations', 'id'),
        ('survey_participations', 'survey_id'),
        ('survey_participations', 'municipality_id'),
        ('survey_responses', 'survey_id'),
        ('survey_answers', 'survey_id'),
        ('survey_answers', 'question_id'),
        ('survey_answers', 'option_id')
    ) AS c(table_name, column_name) LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE uuid USING %I::uuid',
            col.table_name, col.column_name, col.column_name);
    END LOOP;
    FOR fk IN SELECT * FROM saved_foreign_keys LOOP
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk.tbl, fk.conname, fk.def);
    END LOOP;
END
$$;
