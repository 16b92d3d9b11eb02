//! The mapping of the network's records onto OParl objects (the contract's table): every
//! object of a kind as an [`Entry`], live or as a deletion marker, in a stable order. A
//! contact appears only as its consent allows (`privacy::consent::visible`, for everyone);
//! drafts and internal contacts never appear, not even as markers, unless they were public
//! once.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::Value;

use super::api::{Body, Common, Deleted, Kind, System};
use super::model;
use crate::db::DbConnection;
use crate::error::ApiError;

/// The one Body's key in its URL.
pub const BODY_KEY: &str = "network";

/// Where the interface lives and what it says about itself.
#[derive(Debug, Clone)]
pub struct Site {
    /// `ENGAGIERT_PUBLIC_URL`.
    pub base: String,
    /// The license of the data (`ENGAGIERT_DATA_LICENSE`).
    pub license: String,
}

impl Site {
    pub fn root(&self) -> String {
        format!("{}/oparl/v1", self.base)
    }

    pub fn list(&self, kind: Kind) -> String {
        format!("{}/{}", self.root(), kind.segment())
    }

    pub fn object(&self, kind: Kind, key: &str) -> String {
        format!("{}/{}/{key}", self.root(), kind.segment())
    }

    pub fn body(&self) -> String {
        self.object(Kind::Body, BODY_KEY)
    }
}

/// One object of a list: its times (for the filters and the order) and what it shows.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub created: NaiveDateTime,
    pub modified: NaiveDateTime,
    pub deleted: bool,
    pub object: Value,
}

impl Entry {
    pub(super) fn live(
        common: &Common,
        created: NaiveDateTime,
        modified: NaiveDateTime,
        object: impl Serialize,
    ) -> Result<Self, ApiError> {
        Ok(Entry {
            id: common.id.clone(),
            created,
            modified,
            deleted: false,
            object: serde_json::to_value(object).map_err(ApiError::internal)?,
        })
    }

    pub(super) fn marker(
        kind: Kind,
        id: String,
        created: NaiveDateTime,
        modified: NaiveDateTime,
    ) -> Result<Self, ApiError> {
        let common = Common::new(id, kind, created, modified);
        let object = Deleted {
            common: common.clone(),
            deleted: true,
        };
        Self::live(&common, created, modified, object).map(|entry| Entry {
            deleted: true,
            ..entry
        })
    }
}

/// When a record last changed: its deletion counts as a change.
pub(super) fn changed(
    updated_at: NaiveDateTime,
    deleted_at: Option<NaiveDateTime>,
) -> NaiveDateTime {
    deleted_at.map_or(updated_at, |at| at.max(updated_at))
}

pub(super) fn grouped<K: std::hash::Hash + Eq, V>(pairs: Vec<(K, V)>) -> HashMap<K, Vec<V>> {
    let mut map: HashMap<K, Vec<V>> = HashMap::new();
    for (key, value) in pairs {
        map.entry(key).or_default().push(value);
    }
    map
}

/// Every object of `kind`, in a stable order (created, then id).
pub fn entries(conn: &mut DbConnection, site: &Site, kind: Kind) -> Result<Vec<Entry>, ApiError> {
    let mut entries = match kind {
        Kind::Body => vec![body(conn, site)?],
        Kind::Organization => super::members::organizations(conn, site)?,
        Kind::Person | Kind::Membership => super::members::people(conn, site, kind)?,
        Kind::Meeting | Kind::AgendaItem => super::meetings::meetings(conn, site, kind)?,
        Kind::Paper | Kind::File => super::papers::papers(conn, site, kind)?,
        Kind::Location => locations(conn, site)?,
        Kind::LegislativeTerm | Kind::System => Vec::new(),
    };
    entries.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
    Ok(entries)
}

/// When the network's data began and last changed: the System's and the Body's times.
fn span(conn: &mut DbConnection) -> Result<(NaiveDateTime, NaiveDateTime), ApiError> {
    let (first, last) = model::span(conn)?;
    let created = first.unwrap_or_else(crate::db::now);
    Ok((created, last.unwrap_or(created).max(created)))
}

pub fn system(conn: &mut DbConnection, site: &Site) -> Result<Value, ApiError> {
    let (created, modified) = span(conn)?;
    let system = System {
        common: Common::new(
            format!("{}/system", site.root()),
            Kind::System,
            created,
            modified,
        ),
        oparl_version: super::api::OPARL_VERSION,
        body: site.list(Kind::Body),
        name: "Kommunen-Netzwerk: engagiert in NRW".into(),
        website: format!("{}/", site.base),
        vendor: format!("{}/", site.base),
        product: format!("{}/docs/", site.base),
        license: site.license.clone(),
    };
    serde_json::to_value(system).map_err(ApiError::internal)
}

fn body(conn: &mut DbConnection, site: &Site) -> Result<Entry, ApiError> {
    let (created, modified) = span(conn)?;
    let common = Common::new(site.body(), Kind::Body, created, modified);
    let body = Body {
        common: common.clone(),
        system: format!("{}/system", site.root()),
        name: "Kommunen-Netzwerk: engagiert in NRW".into(),
        short_name: "engagiert in NRW".into(),
        website: format!("{}/", site.base),
        license: site.license.clone(),
        classification: "Kommunales Netzwerk",
        organization: site.list(Kind::Organization),
        person: site.list(Kind::Person),
        meeting: site.list(Kind::Meeting),
        paper: site.list(Kind::Paper),
        agenda_item: site.list(Kind::AgendaItem),
        file: site.list(Kind::File),
        membership: site.list(Kind::Membership),
        location_list: site.list(Kind::Location),
        legislative_term_list: site.list(Kind::LegislativeTerm),
        legislative_term: Vec::new(),
    };
    Entry::live(&common, created, modified, body)
}

/// Meeting venues and municipalities' coordinates; those of deleted records as markers.
fn locations(conn: &mut DbConnection, site: &Site) -> Result<Vec<Entry>, ApiError> {
    let venues = model::meetings(conn)?.into_iter().filter_map(|row| {
        let location = super::meetings::venue(site, &row)?;
        Some((location, row.created_at, row.updated_at, row.deleted_at))
    });
    let places = model::municipalities(conn)?.into_iter().filter_map(|row| {
        let location = super::members::municipality_location(site, &row)?;
        Some((location, row.created_at, row.updated_at, row.deleted_at))
    });
    venues
        .chain(places)
        .map(|(location, created, updated, deleted)| {
            let modified = changed(updated, deleted);
            match deleted {
                Some(_) => Entry::marker(Kind::Location, location.common.id, created, modified),
                None => Entry::live(&location.common.clone(), created, modified, location),
            }
        })
        .collect()
}

/// The fields of each kind that embed other objects, left out with `omit_internal`.
pub fn embedded(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Organization => &["location"],
        Kind::Person => &["membership"],
        Kind::Meeting => &["location", "agendaItem"],
        Kind::Paper => &["mainFile", "auxiliaryFile"],
        _ => &[],
    }
}
