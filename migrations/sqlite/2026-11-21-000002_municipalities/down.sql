DROP TABLE membership_events;
DROP TABLE municipality_contacts;
DROP TABLE municipality_topics;
DROP TABLE municipalities;
