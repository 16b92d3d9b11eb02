DROP TABLE revisions;
DROP FUNCTION revisions_in_commit_order();
DROP SEQUENCE revisions_seq;
