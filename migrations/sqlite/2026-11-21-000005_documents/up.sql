CREATE TABLE documents (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT,
    body TEXT,
    language TEXT NOT NULL,
    meeting_id TEXT,
    status TEXT NOT NULL,
    published_at TIMESTAMP,
    search_title TEXT NOT NULL,
    search_summary TEXT NOT NULL,
    search_body TEXT NOT NULL,
    search_topics TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX documents_updated_at ON documents (updated_at);
CREATE INDEX documents_published_at ON documents (published_at);

CREATE TABLE document_topics (
    document_id TEXT NOT NULL REFERENCES documents (id),
    position INTEGER NOT NULL,
    topic TEXT NOT NULL,
    PRIMARY KEY (document_id, position)
);
CREATE INDEX document_topics_topic ON document_topics (topic);

CREATE TABLE document_municipalities (
    document_id TEXT NOT NULL REFERENCES documents (id),
    position INTEGER NOT NULL,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    PRIMARY KEY (document_id, position)
);
CREATE INDEX document_municipalities_municipality ON document_municipalities (municipality_id);

CREATE TABLE document_links (
    document_id TEXT NOT NULL REFERENCES documents (id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    PRIMARY KEY (document_id, position)
);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY NOT NULL,
    document_id TEXT NOT NULL REFERENCES documents (id),
    filename TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX attachments_document ON attachments (document_id);
CREATE INDEX attachments_sha256 ON attachments (sha256);
