DROP TABLE meeting_registrations;
DROP TABLE meeting_documents;
DROP TABLE meeting_topics;
DROP TABLE meeting_agenda_items;
DROP TABLE meetings;
