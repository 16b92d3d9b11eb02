//! Request and response types of `/api/v1/users`.

use crate::http::Many;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::accounts::model::UserRow;
use crate::auth::Role;
use crate::error::Checks;
use crate::types::Email;

pub use crate::accounts::User;

/// A new user.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: Email,
    #[schema(example = "Erika Mustermann", min_length = 1, max_length = 200)]
    pub name: String,
    pub role: Role,
    /// Required for editors, absent for admins: the municipality's UUID, AGS or slug.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "unna")]
    pub municipality_id: Option<Uuid>,
    /// At least 10 characters. Write-only.
    #[schema(
        example = "ein langes Passwort",
        min_length = 10,
        max_length = 256,
        write_only
    )]
    pub password: String,
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// The writable fields of a user, as `PUT` replaces them and `PATCH` merges into them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    pub email: Email,
    #[schema(example = "Erika Mustermann", min_length = 1, max_length = 200)]
    pub name: String,
    pub role: Role,
    /// Required for editors: the municipality's UUID, AGS or slug.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "unna")]
    pub municipality_id: Option<Uuid>,
    pub active: bool,
    /// A new password (optional). Write-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 10, max_length = 256, write_only)]
    pub password: Option<String>,
}

impl UserUpdate {
    pub fn from_row(row: &UserRow) -> Result<Self, crate::error::ApiError> {
        Ok(Self {
            email: Email::parse(&row.email).map_err(crate::error::ApiError::internal)?,
            name: row.name.clone(),
            role: row.role,
            municipality_id: row
                .municipality_id
                .as_deref()
                .and_then(|id| Uuid::parse_str(id).ok()),
            active: row.active,
            password: None,
        })
    }
}

/// The rules a user's fields obey, whether created or changed.
pub fn check_user(
    name: &str,
    role: Role,
    municipality_id: Option<&Uuid>,
    password: Option<&str>,
) -> Checks {
    let mut checks = Checks::new();
    checks.text("name", name, 200);
    role.check_municipality(&mut checks, municipality_id.is_some());
    if let Some(password) = password
        && let Err(error) = crate::accounts::password::check_policy("password", password)
    {
        checks.push(error);
    }
    checks
}

crate::sort_fields!(UserOrder over UserSort {
    Email = "email",
    Name = "name",
    CreatedAt = "created_at",
    UpdatedAt = "updated_at",
});

/// Filters of the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Only users of this role.
    /// One or more values, repeated or comma-separated (any matches).
    #[param(value_type = Option<Vec<Role>>, style = Form, explode = true)]
    pub role: Option<Many<Role>>,
    /// Only active (or inactive) users.
    pub active: Option<bool>,
    /// Only editors of this municipality.
    pub municipality_id: Option<Uuid>,
    /// Sort order (default `email`): `email`, `name`, `created_at`, `updated_at`, each
    /// optionally prefixed with `-` for descending.
    #[param(inline)]
    pub sort: Option<UserOrder>,
}
