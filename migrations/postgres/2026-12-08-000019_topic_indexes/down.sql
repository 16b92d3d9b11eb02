CREATE INDEX document_topics_topic ON document_topics (topic);
DROP INDEX document_topics_topic_document;
