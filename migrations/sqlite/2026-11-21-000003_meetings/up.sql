CREATE TABLE meetings (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    format TEXT NOT NULL,
    venue_name TEXT,
    venue_address TEXT,
    venue_postal_code TEXT,
    venue_city TEXT,
    online_url TEXT,
    host_municipality_id TEXT REFERENCES municipalities (id),
    status TEXT NOT NULL,
    registration_deadline TIMESTAMP,
    capacity INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX meetings_starts_at ON meetings (starts_at);
CREATE INDEX meetings_updated_at ON meetings (updated_at);
CREATE INDEX meetings_host ON meetings (host_municipality_id);

CREATE TABLE meeting_agenda_items (
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    speaker TEXT,
    PRIMARY KEY (meeting_id, position)
);

CREATE TABLE meeting_topics (
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    position INTEGER NOT NULL,
    topic TEXT NOT NULL,
    PRIMARY KEY (meeting_id, position)
);
CREATE INDEX meeting_topics_topic ON meeting_topics (topic);

CREATE TABLE meeting_documents (
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    position INTEGER NOT NULL,
    document_id TEXT NOT NULL,
    PRIMARY KEY (meeting_id, position)
);
CREATE INDEX meeting_documents_document ON meeting_documents (document_id);

CREATE TABLE meeting_registrations (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    attendees INTEGER NOT NULL DEFAULT 1,
    note TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
-- One live registration per municipality and meeting; a withdrawn one (a tombstone) does not
-- stand in the way of registering again.
CREATE UNIQUE INDEX meeting_registrations_municipality_id_unique
    ON meeting_registrations (meeting_id, municipality_id) WHERE deleted_at IS NULL;
CREATE INDEX meeting_registrations_meeting ON meeting_registrations (meeting_id);
CREATE INDEX meeting_registrations_updated_at ON meeting_registrations (updated_at);
