-- Documents of a topic: the count reads both indexes only (the topic's documents, then each
-- one's id, deletion and status), a page asks each document of its order whether it has the
-- topic (src/documents/model.rs, `Walk`). The topic's index alone is superseded.
CREATE INDEX document_topics_topic_document ON document_topics (topic, document_id);
DROP INDEX document_topics_topic;
CREATE INDEX documents_id_live ON documents (id, deleted_at, status);
