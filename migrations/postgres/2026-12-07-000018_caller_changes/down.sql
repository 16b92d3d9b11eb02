DO $$
DECLARE
    shown text;
BEGIN
    FOREACH shown IN ARRAY ARRAY[
        'users', 'api_tokens', 'sessions', 'webhooks', 'webhook_deliveries',
        'webhook_attempts', 'privacy_erasures', 'maintenance'
    ] LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', shown || '_notify', shown);
    END LOOP;
END
$$;
