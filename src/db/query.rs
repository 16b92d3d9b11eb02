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
/// overlap. NULLs sort last in both directions, on both backends.
#[macro_export]
macro_rules! apply_sort {
    ($query:ident, $sort:expr, $tiebreak:expr, { $($field:pat => $column:expr),+ $(,)? }) => {{
        let sort = $sort;
        match sort.field {
            $(
                $field => if sort.descending {
                    $query.order_by(($column.is_null().asc(), $column.desc(), $tiebreak.desc()))
                } else {
                    $query.order_by(($column.is_null().asc(), $column.asc(), $tiebreak.asc()))
                },
            )+
        }
    }};
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
