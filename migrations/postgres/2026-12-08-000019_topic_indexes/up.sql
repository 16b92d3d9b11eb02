-- Documents of a topic: the count reads the topic's documents from the index alone, a page
-- asks each document of its order whether it has the topic (src/documents/model.rs, `Walk`).
-- The topic's index alone is superseded.
CREATE INDEX document_topics_topic_document ON document_topics (topic, document_id);
DROP INDEX document_topics_topic;
