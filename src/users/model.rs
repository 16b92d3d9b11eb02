//! The list query of `/api/v1/users`, with its filters and sort orders. The rows and the
//! queries authentication shares live in `accounts::model`.

use diesel::prelude::*;

pub use crate::accounts::model::*;
use crate::db::query::{Paging, Sort};
use crate::db::schema::users;
use crate::db::{DbConnection, MultiBackend};
use crate::ids::MunicipalityId;

use super::api::{UserFilter, UserSort};

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
        query = query.filter(users::municipality_id.eq(MunicipalityId::from(*municipality_id)));
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
