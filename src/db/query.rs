//! The query helpers every model uses: paging and sync parameters, sort orders with a stable
//! tie-breaker, and the sync filters (`updated_since`, tombstones). Soft deletion and the
//! 404/410 rule are in `record`.

use chrono::NaiveDateTime;

/// Checked paging and sync parameters, ready for a query.
#[derive(Debug, Clone)]
pub struct Paging {
    pub limit: i64,
    pub offset: i64,
    pub updated_since: Option<NaiveDateTime>,
    pub include_deleted: bool,
}

/// A sort order over the fields `F` names: `field` ascending, `-field` descending.
#[derive(Debug, Clone, Copy)]
pub struct Sort<F> {
    pub field: F,
    pub descending: bool,
}

/// The fields a list can be sorted by (a `text_enum`).
pub trait SortField: Copy + std::str::FromStr<Err = String> + 'static {
    fn names() -> Vec<&'static str>;
}

/// Applies a `Sort` to a boxed diesel query, with the id as tie-breaker so that pages never
/// overlap. NULLs sort last in both directions, on both backends (see `order`).
#[macro_export]
macro_rules! apply_sort {
    ($query:ident, $sort:expr, $tiebreak:expr, { $($field:pat => $column:expr),+ $(,)? }) => {{
        let sort = $sort;
        match sort.field {
            $(
                $field => $query.order_by($crate::db::query::order($column, $tiebreak, sort.descending)),
            )+
        }
    }};
}

/// Whether a column's type admits NULL, known from its diesel type.
pub trait Nullability {
    const NULLABLE: bool;
}

impl Nullability for diesel::sql_types::is_nullable::IsNullable {
    const NULLABLE: bool = true;
}

impl Nullability for diesel::sql_types::is_nullable::NotNull {
    const NULLABLE: bool = false;
}

/// `ORDER BY column, tiebreak` in one direction, written so that both databases can walk an
/// index instead of sorting every row (a list's page then costs the same at any size). A
/// column that cannot be NULL needs nothing more. A nullable one keeps its NULLs last: that
/// is SQLite's own order when descending and PostgreSQL's when ascending, and the other
/// direction says `NULLS LAST` (PostgreSQL has indexes in that order; on SQLite an
/// ascending sort of a nullable column sorts). Names only: they are the schema's, never a
/// client's.
pub fn order<C, T>(
    _column: C,
    _tiebreak: T,
    descending: bool,
) -> diesel::expression::SqlLiteral<diesel::sql_types::Integer>
where
    C: diesel::Column,
    C::SqlType: diesel::sql_types::SqlType,
    <C::SqlType as diesel::sql_types::SqlType>::IsNull: Nullability,
    T: diesel::Column,
{
    let nullable = <<C::SqlType as diesel::sql_types::SqlType>::IsNull as Nullability>::NULLABLE;
    let (direction, nulls) = match (descending, nullable) {
        (true, true) => ("DESC", " NULLS LAST"),
        (true, false) => ("DESC", ""),
        (false, true) => ("ASC", " NULLS LAST"),
        (false, false) => ("ASC", ""),
    };
    diesel::dsl::sql(&format!(
        "{column} {direction}{nulls}, {tiebreak} {direction}",
        column = C::NAME,
        tiebreak = T::NAME,
    ))
}

/// Adds the sync filters (`updated_since`, tombstones unless `include_deleted`) to a boxed
/// query on a table with the standard columns.
#[macro_export]
macro_rules! sync_filters {
    ($query:ident, $paging:expr, $table:ident) => {{
        let paging: &$crate::db::query::Paging = $paging;
        if !paging.include_deleted {
            $query = $query.filter($table::deleted_at.is_null());
        }
        if let Some(since) = paging.updated_since {
            $query = $query.filter($table::updated_at.ge(since));
        }
    }};
}
