-- Every moment is stored as `timestamptz`: an instant, not a wall-clock reading whose zone
-- lives only in the application. The values were written in UTC, so that is how they are
-- read. The service sets its sessions to UTC, so the timestamps it binds mean the same.
DO $$
DECLARE
    col record;
BEGIN
    FOR col IN
        SELECT table_name, column_name
        FROM information_schema.columns
        WHERE table_schema = current_schema()
          AND data_type = 'timestamp without time zone'
          AND table_name NOT LIKE '\_\_diesel%'
    LOOP
        EXECUTE format(
            'ALTER TABLE %I ALTER COLUMN %I TYPE timestamptz USING %I AT TIME ZONE ''UTC''',
            col.table_name, col.column_name, col.column_name
        );
    END LOOP;
END
$$;
