//! The `users` table: the rows and the queries that authentication and the users resource
//! share. The list query with its filters is the resource's (`users::model`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Role;
use crate::db::schema::users;
use crate::db::{DbConnection, now};
use crate::ids::{MunicipalityId, UserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub municipality_id: Option<MunicipalityId>,
    pub password_hash: String,
    pub active: bool,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}
crate::impl_record!(UserRow);

#[derive(Debug, Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
pub struct NewUserRow {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub municipality_id: Option<MunicipalityId>,
    pub password_hash: String,
    pub active: bool,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct UserChanges {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub municipality_id: Option<MunicipalityId>,
    pub active: bool,
}

pub fn find(conn: &mut DbConnection, id: &UserId) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// The live, active user with this e-mail, for login.
pub fn find_active_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .filter(users::deleted_at.is_null())
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn count_live(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table
        .filter(users::deleted_at.is_null())
        .count()
        .get_result(conn)
}

/// Active admins other than `except`: the network office must keep at least one.
pub fn count_other_admins(conn: &mut DbConnection, except: &UserId) -> QueryResult<i64> {
    users::table
        .filter(users::deleted_at.is_null())
        .filter(users::active.eq(true))
        .filter(users::role.eq(Role::Admin))
        .filter(users::id.ne(except))
        .count()
        .get_result(conn)
}

pub fn insert(conn: &mut DbConnection, row: &NewUserRow) -> QueryResult<UserRow> {
    diesel::insert_into(users::table)
        .values(row)
        .returning(users::all_columns)
        .get_result(conn)
}

/// Applies `changes` if the row is still at `version`; `None` when someone else was first.
pub fn update(
    conn: &mut DbConnection,
    id: &UserId,
    version: i32,
    changes: &UserChanges,
    password_hash: Option<String>,
) -> QueryResult<Option<UserRow>> {
    diesel::update(users::table.find(id).filter(users::version.eq(version)))
        .set((
            changes,
            password_hash.map(|hash| users::password_hash.eq(hash)),
            users::version.eq(version + 1),
            users::updated_at.eq(now()),
        ))
        .returning(users::all_columns)
        .get_result(conn)
        .optional()
}

/// Deletes the user if it is still at `version`, and forgets its password hash in the same
/// statement: a hash kept for a deleted account is personal data without a purpose, and a
/// restored account must not let the old password in again (an admin sets a new one).
pub fn soft_delete(conn: &mut DbConnection, id: &UserId, version: i32) -> QueryResult<bool> {
    let at = now();
    diesel::update(users::table.find(id).filter(users::version.eq(version)))
        .set((
            users::deleted_at.eq(at),
            users::updated_at.eq(at),
            users::version.eq(version + 1),
            users::password_hash.eq(""),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Brings a deleted user back at `next` if it is still at `version`.
pub fn undelete(
    conn: &mut DbConnection,
    id: &UserId,
    version: i32,
    next: i32,
) -> QueryResult<Option<UserRow>> {
    crate::undelete!(conn, users, id, version, next)
}
