//! The `users` table and its queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::Role;
use crate::db::schema::users;
use crate::db::{DbConnection, MultiBackend, now};
use crate::http::list::{Paging, Sort};

use super::api::{UserFilter, UserSort};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub municipality_id: Option<String>,
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
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub municipality_id: Option<String>,
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
    pub municipality_id: Option<String>,
    pub active: bool,
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<UserRow>> {
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

/// Id, role and municipality of a live, active user: what a token may act as.
pub fn active_subject(
    conn: &mut DbConnection,
    id: &str,
) -> QueryResult<Option<(String, Role, Option<String>)>> {
    users::table
        .find(id)
        .filter(users::deleted_at.is_null())
        .filter(users::active.eq(true))
        .select((users::id, users::role, users::municipality_id))
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
pub fn count_other_admins(conn: &mut DbConnection, except: &str) -> QueryResult<i64> {
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
    id: &str,
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

pub fn soft_delete(conn: &mut DbConnection, id: &str, version: i32) -> QueryResult<bool> {
    crate::soft_delete!(conn, users, id, version)
}

fn filtered(paging: &Paging, filter: &UserFilter) -> users::BoxedQuery<'static, MultiBackend> {
    let mut query = users::table.into_boxed();
    crate::sync_filters!(query, paging, users);
    if let Some(values) = &filter.role {
        query = query.filter(users::role.eq_any(values.0.clone()));
    }
    if let Some(active) = filter.active {
        query = query.filter(users::active.eq(active));
    }
    if let Some(municipality_id) = &filter.municipality_id {
        query = query.filter(users::municipality_id.eq(municipality_id.to_string()));
    }
    query
}

pub fn list(
    conn: &mut DbConnection,
    paging: &Paging,
    filter: &UserFilter,
) -> QueryResult<(Vec<UserRow>, i64)> {
    let total = filtered(paging, filter).count().get_result(conn)?;
    let query = filtered(paging, filter);
    let sort = filter.sort.map_or(
        Sort {
            field: UserSort::Email,
            descending: false,
        },
        |order| order.0,
    );
    let query = crate::apply_sort!(query, sort, users::id, {
        UserSort::Email => users::email,
        UserSort::Name => users::name,
        UserSort::CreatedAt => users::created_at,
        UserSort::UpdatedAt => users::updated_at,
    });
    let rows = query
        .select(UserRow::as_select())
        .limit(paging.limit)
        .offset(paging.offset)
        .load(conn)?;
    Ok((rows, total))
}
