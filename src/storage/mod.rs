//! Where the service's data lives beyond the tables: the attachment store (a directory or
//! S3-compatible storage behind one interface, `attachments`) and backups and restores of
//! the database (`backup`).

pub mod attachments;
pub mod backup;
