//! Database failures mapped to problems once: unique violations become 409, a lost
//! database 503, anything unexpected 500 with the cause logged but never sent. What is
//! logged holds no stored values (see `loggable`).

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
            ) => Self::unavailable_from(loggable(&error)),
            DieselError::DatabaseError(_, info) if is_connection_lost(info.message()) => {
                Self::unavailable_from(loggable(&error))
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
                Self::busy(loggable(&error))
            }
            _ => Self::internal(loggable(&error)),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        Self::unavailable_from(error)
    }
}

/// What a log line may say of a database error: its kind, the schema names involved, and
/// its text with every quoted part and every word with an `@` left out. PostgreSQL quotes
/// the value it could not take (`invalid input syntax for type uuid: "…"`), and a
/// conversion error may quote the value it read; a violation's detail, which holds the row's
/// values (`Key (email)=(…) already exists`), is never part of the text.
fn loggable(error: &DieselError) -> String {
    let mut text = without_values(&error.to_string());
    if let DieselError::DatabaseError(kind, info) = error {
        text = format!("{kind:?}: {text}");
        let names = [
            ("table", info.table_name()),
            ("column", info.column_name()),
            ("constraint", info.constraint_name()),
        ];
        for (name, value) in names {
            if let Some(value) = value {
                text.push_str(&format!(", {name} {value}"));
            }
        }
    }
    text
}

/// `text` with each double-quoted part written as `"…"` and each word holding an `@` as `…`.
/// An unclosed quote hides the rest.
fn without_values(text: &str) -> String {
    let mut unquoted = String::with_capacity(text.len());
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            if !quoted {
                unquoted.push_str("\"…\"");
            }
            quoted = !quoted;
        } else if !quoted {
            unquoted.push(c);
        }
    }
    unquoted
        .split(' ')
        .map(|word| if word.contains('@') { "…" } else { word })
        .collect::<Vec<_>>()
        .join(" ")
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

    #[test]
    fn logged_errors_hold_no_values() {
        let error = DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new(String::from(
                r#"invalid input syntax for type uuid: "jane@example.org""#,
            )),
        );
        assert_eq!(
            loggable(&error),
            r#"Unknown: invalid input syntax for type uuid: "…""#
        );
        assert_eq!(
            without_values("mail to jane@example.org failed"),
            "mail to … failed"
        );
        assert_eq!(
            without_values(r#"relation "x" does not exist"#),
            r#"relation "…" does not exist"#
        );
        assert_eq!(without_values(r#"cut "off here"#), r#"cut "…""#);
        let sqlite = "UNIQUE constraint failed: users.email";
        assert_eq!(without_values(sqlite), sqlite);
    }
}
