//! Database failures mapped to problems once: unique violations become 409, a lost
//! database 503, anything unexpected 500 with the cause logged but never sent.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::{ApiError, Cause, Code, FieldError};

impl From<DieselError> for ApiError {
    fn from(error: DieselError) -> Self {
        match &error {
            DieselError::NotFound => Self::not_found("no such resource"),
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                let field = unique_field(info.table_name(), info.constraint_name(), info.message());
                let message = "is already taken by another record";
                Self::conflict(format!("{field} {message}")).with_errors(vec![FieldError::new(
                    field,
                    Code::Duplicate,
                    message,
                )])
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                Self::conflict(
                    "the change refers to a record that does not exist or is still referenced",
                )
            }
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => Self::unavailable_from(&error),
            DieselError::DatabaseError(_, info) if is_connection_lost(info.message()) => {
                Self::unavailable_from(&error)
            }
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Self::conflict("a concurrent change interfered; try again")
                    .because(Cause::Retryable)
            }
            DieselError::DatabaseError(_, info) if info.message().contains("deadlock detected") => {
                Self::conflict("a concurrent change interfered; try again")
                    .because(Cause::Retryable)
            }
            DieselError::DatabaseError(_, info) if is_sqlite_busy(info.message()) => {
                Self::busy(&error)
            }
            _ => Self::internal(&error),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        Self::unavailable_from(error)
    }
}

/// PostgreSQL's words when the server ended the session (a restart, `pg_terminate_backend`)
/// or the socket broke, for the cases libpq does not classify as a closed connection.
fn is_connection_lost(message: &str) -> bool {
    [
        "terminating connection",
        "server closed the connection",
        "could not receive data from server",
        "could not send data to server",
        "no connection to the server",
        "connection to server",
        "the database system is shutting down",
        "the database system is starting up",
    ]
    .iter()
    .any(|words| message.contains(words))
}

fn is_sqlite_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database is busy")
}

/// The column behind a unique violation: indexes are named `<table>_<column>_unique`
/// (PostgreSQL reports the name), SQLite says `UNIQUE constraint failed: table.column`.
fn unique_field(table: Option<&str>, constraint: Option<&str>, message: &str) -> String {
    if let (Some(table), Some(name)) = (table, constraint.and_then(|c| c.strip_suffix("_unique")))
        && let Some(column) = name.strip_prefix(table).and_then(|n| n.strip_prefix('_'))
    {
        return column.to_owned();
    }
    message
        .rsplit_once('.')
        .map(|(_, column)| column.trim().to_owned())
        .unwrap_or_else(|| "value".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_field_from_either_backend() {
        assert_eq!(
            unique_field(Some("users"), Some("users_email_unique"), ""),
            "email"
        );
        let sqlite = "UNIQUE constraint failed: users.email";
        assert_eq!(unique_field(None, None, sqlite), "email");
        assert_eq!(unique_field(None, None, "no dot here"), "value");
    }
}
