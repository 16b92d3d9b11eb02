//! What the service remembers about the requests and changes it handled. For now: the first
//! answers to `POST`s sent with an `Idempotency-Key`, so a script that retries after a lost
//! answer does not create a record twice.

pub mod idempotency;
pub mod keys;
