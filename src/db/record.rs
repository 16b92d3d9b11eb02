//! What every stored resource has in common: an id, a version that grows by one with each
//! change, timestamps, and a soft-delete mark. The list, tombstone, 410 and ETag machinery
//! is written against this trait.

use chrono::NaiveDateTime;

use crate::error::ApiError;

pub trait Record {
    fn id(&self) -> &str;
    fn version(&self) -> i32;
    fn updated_at(&self) -> NaiveDateTime;
    fn deleted_at(&self) -> Option<NaiveDateTime>;
}

/// Implements `Record` for a row struct with the standard columns.
#[macro_export]
macro_rules! impl_record {
    ($row:ty) => {
        impl $crate::db::record::Record for $row {
            fn id(&self) -> &str {
                &self.id
            }
            fn version(&self) -> i32 {
                self.version
            }
            fn updated_at(&self) -> chrono::NaiveDateTime {
                self.updated_at
            }
            fn deleted_at(&self) -> Option<chrono::NaiveDateTime> {
                self.deleted_at
            }
        }
    };
}

/// Turns the row `$id` of `$table` into a tombstone if it is still at `$version` (the
/// version grows, so sync scripts see the deletion); `Ok(false)` when someone changed it first.
#[macro_export]
macro_rules! soft_delete {
    ($conn:expr, $table:ident, $id:expr, $version:expr) => {{
        let at = $crate::db::now();
        let version: i32 = $version;
        diesel::update($table::table.find($id).filter($table::version.eq(version)))
            .set((
                $table::deleted_at.eq(at),
                $table::updated_at.eq(at),
                $table::version.eq(version + 1),
            ))
            .execute($conn)
            .map(|n| n == 1)
    }};
}

/// Brings the tombstone `$id` of `$table` back at `$next` if it is still at `$version`
/// (restore); `Ok(None)` when someone changed it first.
#[macro_export]
macro_rules! undelete {
    ($conn:expr, $table:ident, $id:expr, $version:expr, $next:expr) => {{
        let version: i32 = $version;
        let next: i32 = $next;
        diesel::update($table::table.find($id).filter($table::version.eq(version)))
            .set((
                $table::deleted_at.eq(None::<chrono::NaiveDateTime>),
                $table::updated_at.eq($crate::db::now()),
                $table::version.eq(next),
            ))
            .returning($table::all_columns)
            .get_result($conn)
            .optional()
    }};
}

/// A row as a single-resource read sees it: absent is 404, soft-deleted is 410.
pub fn live<R: Record>(row: Option<R>, what: &str) -> Result<R, ApiError> {
    match row {
        None => Err(ApiError::not_found(format!("no such {what}"))),
        Some(row) if row.deleted_at().is_some() => {
            Err(ApiError::gone(format!("this {what} has been deleted")))
        }
        Some(row) => Ok(row),
    }
}
