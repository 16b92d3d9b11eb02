DROP TABLE attachments;
DROP TABLE document_links;
DROP TABLE document_municipalities;
DROP TABLE document_topics;
DROP TABLE documents;
