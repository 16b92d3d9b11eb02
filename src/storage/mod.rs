//! Where the service's data lives beyond the tables: backups and restores of the database
//! (`backup`). The attachment store (a directory or S3-compatible storage behind one
//! interface) moves here too.

pub mod backup;
