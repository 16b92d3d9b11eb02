DROP INDEX revisions_collection_seq;
DROP INDEX documents_live;
