//! What the service remembers about the changes and requests it handled: every change in
//! commit order (revisions, the audit log, the change feed), and the first answers to
//! `POST`s sent with an `Idempotency-Key`, so a script that retries after a lost answer
//! does not create a record twice.

pub mod api;
pub mod cursor;
pub mod feed;
pub mod idempotency;
pub mod keys;
pub mod revisions;
