//! The accounts that authentication stands on: users with their roles and password hashes,
//! and the API tokens issued to integration scripts. Below `auth` and every resource, so no
//! import runs in a circle: `auth` asks here who someone is, the `users` and `/api-tokens`
//! resources manage them.

pub mod api_tokens;
pub mod model;
pub mod password;
pub mod sessions;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use self::model::UserRow;
use crate::db::utc;
use crate::error::{Checks, Code};

crate::text_enum! {
    /// `admin`: the network office, may do everything. `editor`: staff of one member
    /// municipality, may act for that municipality only. `reader`: an integration script or
    /// intranet page that reads what signed-in callers see and writes nothing.
    pub enum Role {
        Admin = "admin",
        Editor = "editor",
        Reader = "reader",
    }
}

impl Role {
    /// An editor works for one municipality, the other roles for none.
    pub fn check_municipality(self, checks: &mut Checks, has_municipality: bool) {
        match (self, has_municipality) {
            (Role::Editor, false) => checks.add(
                "municipality_id",
                Code::Required,
                "is required for an editor",
            ),
            (Role::Editor, true) | (_, false) => {}
            (_, true) => checks.add(
                "municipality_id",
                Code::InvalidValue,
                format!("must be null for the role {self}"),
            ),
        }
    }
}

/// A person who can log in: staff of the network office (`admin`), of a member
/// municipality (`editor`), or someone who only reads (`reader`). The password is never
/// returned.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e")]
    pub id: String,
    #[schema(example = "ehrenamt@unna.de")]
    pub email: String,
    #[schema(example = "Erika Mustermann")]
    pub name: String,
    pub role: Role,
    /// The municipality an editor works for; null for admins.
    pub municipality_id: Option<String>,
    /// Inactive users cannot log in.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Grows by one with every change.
    #[schema(example = 1)]
    pub version: i32,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        Self {
            id: row.id.into(),
            email: row.email,
            name: row.name,
            role: row.role,
            municipality_id: row.municipality_id.map(Into::into),
            active: row.active,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
            version: row.version,
        }
    }
}
