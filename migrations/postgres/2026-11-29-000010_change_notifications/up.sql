-- Every write to what public reads show tells the other instances, in the writing
-- transaction (delivered when it commits): their response caches then drop what they hold
-- (src/http/cache.rs, src/db/commits.rs). Statement-level, so a write of many rows
-- notifies once, and PostgreSQL folds equal notifications of one transaction into one.
-- A table added later that public reads show needs its trigger here too.
CREATE FUNCTION notify_change() RETURNS trigger AS $$
BEGIN
    -- The channel of src/db/commits.rs.
    PERFORM pg_notify('engagiert_changes', current_schema());
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

DO $$
DECLARE
    shown text;
BEGIN
    FOREACH shown IN ARRAY ARRAY[
        'municipalities', 'municipality_topics', 'municipality_contacts', 'membership_events',
        'documents', 'document_topics', 'document_municipalities', 'document_links',
        'attachments', 'meetings', 'meeting_agenda_items', 'meeting_topics',
        'meeting_documents', 'meeting_registrations', 'surveys', 'survey_questions',
        'survey_options', 'survey_participations', 'survey_responses', 'survey_answers'
    ] LOOP
        EXECUTE format(
            'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
            'FOR EACH STATEMENT EXECUTE FUNCTION notify_change()',
            shown || '_notify', shown
        );
    END LOOP;
END
$$;
