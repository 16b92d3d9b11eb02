//! Personal data (DSGVO): the catalogue of every place that can hold it, the one rule of
//! what anyone sees of a contact (consent), subject access (Art. 15), erasure (Art. 17),
//! the retention janitor and the record of processing (Art. 30).

pub mod access;
pub mod api;
pub mod catalogue;
pub mod consent;
pub mod erasure;
pub mod matching;
pub mod retention;
mod routes;

pub use self::routes::routes;

/// What erased personal data is replaced with, everywhere.
pub const ERASED: &str = "[gelöscht]";
