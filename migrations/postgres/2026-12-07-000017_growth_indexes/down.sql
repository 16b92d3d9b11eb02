DROP INDEX revisions_collection_seq;
DROP INDEX documents_live;
DROP INDEX documents_published_id;
