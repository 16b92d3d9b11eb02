//! What a user account is as a resource of the pipeline (`crate::resource`): admin only,
//! the password write-only and hashed before the write transaction, and never without an
//! active admin.

use diesel::QueryResult;
use serde_json::Value;

use super::api::{NewUser, User, UserFilter, UserUpdate, check_user};
use super::model::{self, NewUserRow, UserChanges, UserRow};
use crate::auth::{AuthUser, Role, password};
use crate::config::Policy;
use crate::db::query::Paging;
use crate::db::{DbConnection, now};
use crate::error::ApiError;
use crate::history::revisions::Readers;
use crate::http::path_id;
use crate::ids::{MunicipalityId, UserId};
use crate::resource::Resource;

pub struct Users;

impl Resource for Users {
    const NAME: &'static str = "user";
    const COLLECTION: &'static str = "/api/v1/users";

    type Row = UserRow;
    type Details = ();
    type New = NewUser;
    type Input = UserUpdate;
    type Output = User;
    type Filter = UserFilter;
    /// The hash of the password the body sets, if it sets one the policy allows.
    type Prepared = Option<String>;

    /// Accounts are the network office's business alone.
    fn may_read(who: Option<&AuthUser>) -> Result<(), ApiError> {
        who.ok_or_else(|| ApiError::unauthorized("this endpoint needs a bearer token"))?
            .require_admin()
    }

    fn find(conn: &mut DbConnection, key: &str) -> Result<Option<UserRow>, ApiError> {
        Ok(model::find(conn, &path_id(key, Self::NAME)?)?)
    }

    fn details(_: &mut DbConnection, _: &[UserRow]) -> QueryResult<()> {
        Ok(())
    }

    fn show(row: UserRow, _: &(), _: Option<&AuthUser>) -> User {
        User::from(row)
    }

    fn list(
        conn: &mut DbConnection,
        paging: &Paging,
        filter: &UserFilter,
        _: Option<&AuthUser>,
    ) -> Result<(Vec<UserRow>, i64), ApiError> {
        Ok(model::list(conn, paging, filter)?)
    }

    fn input(row: &UserRow, _: &()) -> Result<UserUpdate, ApiError> {
        UserUpdate::from_row(row)
    }

    fn resolve_references(conn: &mut DbConnection, body: &mut Value) -> Result<(), ApiError> {
        crate::municipalities::references::resolve(conn, body)
    }

    /// Hashing takes a noticeable moment by design; it is done before the transaction.
    fn prepare(body: &Value, _: &Policy) -> Result<Option<String>, ApiError> {
        match body.get("password").and_then(Value::as_str) {
            Some(plain) if password::check_policy("password", plain).is_ok() => {
                password::hash(plain).map(Some)
            }
            _ => Ok(None),
        }
    }

    fn insert(
        conn: &mut DbConnection,
        _user: &AuthUser,
        new: &NewUser,
        hash: &Option<String>,
    ) -> Result<UserRow, ApiError> {
        store_account(conn, new, hash.clone())
    }

    fn update(
        conn: &mut DbConnection,
        _user: &AuthUser,
        current: &UserRow,
        _: &(),
        update: &UserUpdate,
        hash: &Option<String>,
    ) -> Result<UserRow, ApiError> {
        check_user(
            &update.name,
            update.role,
            update.municipality_id.as_ref(),
            update.password.as_deref(),
        )
        .finish()?;
        crate::municipalities::require_exists(
            conn,
            "municipality_id",
            update.municipality_id.map(MunicipalityId::from).as_ref(),
        )?;
        let changes = UserChanges {
            email: update.email.to_string(),
            name: update.name.trim().to_owned(),
            role: update.role,
            municipality_id: update.municipality_id.map(MunicipalityId::from),
            active: update.active,
        };
        let keeps_admin = changes.role == Role::Admin && changes.active;
        if current.role == Role::Admin
            && !keeps_admin
            && model::count_other_admins(conn, &current.id)? == 0
        {
            return Err(ApiError::conflict(
                "the last active admin cannot be demoted or deactivated",
            ));
        }
        let hash = update.password.as_ref().and(hash.clone());
        // A new password or a deactivation ends every session of the account at once.
        let ends_sessions = hash.is_some() || !changes.active;
        let row = model::update(conn, &current.id, current.version, &changes, hash)?
            .ok_or_else(ApiError::precondition_failed)?;
        if ends_sessions {
            crate::accounts::sessions::end_all_of_user(conn, &row.id, None)?;
        }
        Ok(row)
    }

    fn may_delete(
        conn: &mut DbConnection,
        user: &AuthUser,
        row: &UserRow,
        _: &(),
    ) -> Result<(), ApiError> {
        user.require_admin()?;
        if row.role == Role::Admin && model::count_other_admins(conn, &row.id)? == 0 {
            return Err(ApiError::conflict(
                "the last active admin cannot be deleted",
            ));
        }
        Ok(())
    }

    /// Accounts are the office's business alone.
    fn readers(_: &UserRow, _: &()) -> Readers {
        Readers::Admins
    }

    fn undelete(
        conn: &mut DbConnection,
        row: &UserRow,
        version: i32,
    ) -> Result<Option<UserRow>, ApiError> {
        Ok(model::undelete(conn, &row.id, row.version, version)?)
    }

    /// A deleted user can no longer log in, nor refresh a session it had.
    fn soft_delete(conn: &mut DbConnection, row: &UserRow) -> Result<bool, ApiError> {
        if !model::soft_delete(conn, &row.id, row.version)? {
            return Ok(false);
        }
        crate::accounts::sessions::end_all_of_user(conn, &row.id, None)?;
        Ok(true)
    }
}

/// Validates, hashes the password and stores a new user from the command line, at bootstrap
/// or as demo data (requests go through the pipeline's `insert`): recorded as the service's
/// doing (`system`).
pub fn create_account(conn: &mut DbConnection, new: NewUser) -> Result<UserRow, ApiError> {
    let row = store_account(conn, &new, None)?;
    crate::resource::recording::record_created::<Users>(conn, row.id.as_str())?;
    Ok(row)
}

/// Stores a new user with the password's `hash` if it was made already.
fn store_account(
    conn: &mut DbConnection,
    new: &NewUser,
    hash: Option<String>,
) -> Result<UserRow, ApiError> {
    check_user(
        &new.name,
        new.role,
        new.municipality_id.as_ref(),
        Some(&new.password),
    )
    .finish()?;
    crate::municipalities::require_exists(
        conn,
        "municipality_id",
        new.municipality_id.map(MunicipalityId::from).as_ref(),
    )?;
    let password_hash = match hash {
        Some(hash) => hash,
        None => password::hash(&new.password)?,
    };
    let at = now();
    let row = NewUserRow {
        id: UserId::new(),
        email: new.email.to_string(),
        name: new.name.trim().to_owned(),
        role: new.role,
        municipality_id: new.municipality_id.map(MunicipalityId::from),
        password_hash,
        active: new.active,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    Ok(model::insert(conn, &row)?)
}
