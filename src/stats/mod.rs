//! `/api/v1/stats/membership`: the member count now, by region and by kind, and its
//! timeline, computed from the join and leave dates (a member from `joined_on` inclusive
//! until `left_on` exclusive; deleted municipalities left out).

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::{Db, now};
use crate::error::ApiError;
use crate::http::ApiQuery;
use crate::http::conditional::computed;
use crate::municipalities::model;
use crate::municipalities::values::{Kind, Region};
use crate::openapi::responses::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(membership_stats);
}

/// Membership figures of the network.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipStats {
    /// Members on `on`.
    #[schema(example = 91)]
    pub members: usize,
    /// The day the figures describe (today unless asked otherwise).
    #[schema(example = "2024-01-15")]
    pub on: NaiveDate,
    /// Members on `on` by region (every region listed).
    #[schema(example = json!({"duesseldorf": 20, "koeln": 18, "muenster": 15, "detmold": 14, "arnsberg": 24}))]
    pub by_region: BTreeMap<String, usize>,
    /// Members on `on` by kind (every kind listed).
    #[schema(example = json!({"independent_city": 20, "town": 40, "municipality": 10, "district": 20, "regional_authority": 1}))]
    pub by_kind: BTreeMap<String, usize>,
    /// One point per day on which the member count changed, with the count at the end of it.
    #[schema(example = json!([{"date": "2020-09-25", "members": 72}, {"date": "2024-01-15", "members": 91}]))]
    pub timeline: Vec<TimelinePoint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TimelinePoint {
    /// A day on which the member count changed.
    #[schema(example = "2020-09-25")]
    pub date: NaiveDate,
    /// Members at the end of that day.
    #[schema(example = 72)]
    pub members: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Count the members of this day instead of today (the timeline is always complete).
    #[param(example = "2024-01-15")]
    pub on: Option<NaiveDate>,
}

/// Join and leave dates as a timeline: +1 on each `joined_on`, -1 on each `left_on`, one
/// point per day whose net change is not zero.
pub fn timeline(spans: &[(Option<NaiveDate>, Option<NaiveDate>)]) -> Vec<TimelinePoint> {
    let mut changes: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for (joined, left) in spans {
        let Some(joined) = joined else { continue };
        if left.is_some_and(|left| left <= *joined) {
            continue;
        }
        *changes.entry(*joined).or_default() += 1;
        if let Some(left) = left {
            *changes.entry(*left).or_default() -= 1;
        }
    }
    let mut count = 0;
    changes
        .into_iter()
        .filter(|(_, change)| *change != 0)
        .map(|(date, change)| {
            count += change;
            TimelinePoint {
                date,
                members: count,
            }
        })
        .collect()
}

/// Membership statistics.
#[utoipa::path(
    tag = "municipalities",
    params(StatsQuery),
    responses(
        (status = 200, description = "Member counts and their timeline.", body = MembershipStats, headers(("ETag" = String))),
        NotModified, BadRequest, Unavailable
    )
)]
#[get("/stats/membership")]
async fn membership_stats(
    req: HttpRequest,
    db: web::Data<Db>,
    query: ApiQuery<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let on = query.0.on.unwrap_or_else(|| now().date());
    let stats = db.run(move |conn| Ok(membership(conn, on)?)).await?;
    let body = serde_json::to_vec(&stats).map_err(ApiError::internal)?;
    Ok(computed(&req, "application/json", None, body))
}

/// The membership figures on `on` (the statistics' and the embedded chart's).
pub fn membership(
    conn: &mut crate::db::DbConnection,
    on: NaiveDate,
) -> diesel::QueryResult<MembershipStats> {
    let facts = model::membership_facts(conn)?;
    let mut by_region: BTreeMap<String, usize> =
        Region::ALL.iter().map(|r| (r.to_string(), 0)).collect();
    let mut by_kind: BTreeMap<String, usize> =
        Kind::ALL.iter().map(|k| (k.to_string(), 0)).collect();
    let mut members = 0;
    for (kind, region, joined, left) in &facts {
        if crate::municipalities::values::was_member(on, *joined, *left) {
            members += 1;
            *by_region.entry(region.to_string()).or_default() += 1;
            *by_kind.entry(kind.to_string()).or_default() += 1;
        }
    }
    let spans: Vec<_> = facts
        .iter()
        .map(|(_, _, joined, left)| (*joined, *left))
        .collect();
    Ok(MembershipStats {
        members,
        on,
        by_region,
        by_kind,
        timeline: timeline(&spans),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn timeline_counts_joins_and_leaves() {
        let spans = [
            (Some(d("2020-01-01")), None),
            (Some(d("2020-01-01")), Some(d("2021-01-01"))),
            (Some(d("2021-01-01")), None),
            (Some(d("2022-05-05")), Some(d("2023-01-01"))),
            (None, None),
        ];
        let points: Vec<(String, i64)> = timeline(&spans)
            .into_iter()
            .map(|p| (p.date.to_string(), p.members))
            .collect();
        // 2021-01-01: one leaves, one joins: no change, no point.
        assert_eq!(
            points,
            [
                ("2020-01-01".into(), 2),
                ("2022-05-05".into(), 3),
                ("2023-01-01".into(), 2)
            ]
        );
        assert!(crate::municipalities::values::was_member(
            d("2020-12-31"),
            Some(d("2020-01-01")),
            Some(d("2021-01-01"))
        ));
        assert!(!crate::municipalities::values::was_member(
            d("2021-01-01"),
            Some(d("2020-01-01")),
            Some(d("2021-01-01"))
        ));
    }
}
