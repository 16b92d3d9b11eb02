DROP FUNCTION notify_change() CASCADE;
