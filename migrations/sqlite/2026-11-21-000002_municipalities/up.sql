CREATE TABLE municipalities (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    official_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    ags TEXT,
    region TEXT NOT NULL,
    district_id TEXT REFERENCES municipalities (id),
    population INTEGER,
    website TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    membership_status TEXT NOT NULL,
    council_decision_on DATE,
    declaration_signed_on DATE,
    joined_on DATE,
    left_on DATE,
    office_name TEXT,
    office_url TEXT,
    office_email TEXT,
    office_phone TEXT,
    office_address TEXT,
    volunteer_card TEXT,
    description TEXT,
    search_name TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE UNIQUE INDEX municipalities_slug_unique ON municipalities (slug) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX municipalities_ags_unique ON municipalities (ags) WHERE deleted_at IS NULL;
CREATE INDEX municipalities_updated_at ON municipalities (updated_at);
CREATE INDEX municipalities_name ON municipalities (name);

CREATE TABLE municipality_topics (
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    position INTEGER NOT NULL,
    topic TEXT NOT NULL,
    PRIMARY KEY (municipality_id, position)
);
CREATE INDEX municipality_topics_topic ON municipality_topics (topic);

CREATE TABLE municipality_contacts (
    id TEXT PRIMARY KEY NOT NULL,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    role TEXT,
    email TEXT,
    phone TEXT,
    public BOOLEAN NOT NULL
);
CREATE INDEX municipality_contacts_municipality ON municipality_contacts (municipality_id);

CREATE TABLE membership_events (
    id TEXT PRIMARY KEY NOT NULL,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    status TEXT NOT NULL,
    effective_on DATE NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX membership_events_municipality ON membership_events (municipality_id);
