-- Signed-in reads are cached too (src/http/cache.rs), and so is who a signed-in caller is
-- (src/auth/known.rs). What only signed-in callers see, and what decides who a caller is
-- (a session ended, an API token revoked or used, a user's role changed), now tells the
-- other instances of every write as migration 000010 does for what public reads show.
-- Per row, not per statement: the webhook dispatcher's periodic statements that change
-- nothing must not retire every instance's cache.
DO $$
DECLARE
    shown text;
BEGIN
    FOREACH shown IN ARRAY ARRAY[
        'users', 'api_tokens', 'sessions', 'webhooks', 'webhook_deliveries',
        'webhook_attempts', 'privacy_erasures', 'maintenance'
    ] LOOP
        EXECUTE format(
            'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I '
            'FOR EACH ROW EXECUTE FUNCTION notify_change()',
            shown || '_notify', shown
        );
    END LOOP;
END
$$;
