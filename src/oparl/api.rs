//! The OParl 1.1 objects as they go on the wire (schema.oparl.org/1.1): optional fields
//! without a value are left out, never `null`; timestamps are `yyyy-mm-ddThh:mm:ss+00:00`
//! and dates `yyyy-mm-dd`. Vendor fields are prefixed `engagiert:`.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

/// The OParl version this interface speaks.
pub const OPARL_VERSION: &str = "https://schema.oparl.org/1.1/";

/// A timestamp as the contract writes it for OParl.
pub fn timestamp(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// What every object has: its URL, its type and when it was made and last changed.
#[derive(Debug, Clone, Serialize)]
pub struct Common {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created: String,
    pub modified: String,
}

impl Common {
    pub fn new(id: String, kind: Kind, created: NaiveDateTime, modified: NaiveDateTime) -> Self {
        Self {
            id,
            kind: kind.type_url(),
            created: timestamp(created),
            modified: timestamp(modified),
        }
    }
}

/// The kinds of object this interface serves, each with its list's path segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    System,
    Body,
    Organization,
    Person,
    Membership,
    Meeting,
    AgendaItem,
    Paper,
    File,
    Location,
    LegislativeTerm,
}

impl Kind {
    /// Every kind that has a list of its own (the Body's lists, and the Body's own list).
    pub const LISTED: [Kind; 10] = [
        Kind::Body,
        Kind::Organization,
        Kind::Person,
        Kind::Membership,
        Kind::Meeting,
        Kind::AgendaItem,
        Kind::Paper,
        Kind::File,
        Kind::Location,
        Kind::LegislativeTerm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::System => "System",
            Kind::Body => "Body",
            Kind::Organization => "Organization",
            Kind::Person => "Person",
            Kind::Membership => "Membership",
            Kind::Meeting => "Meeting",
            Kind::AgendaItem => "AgendaItem",
            Kind::Paper => "Paper",
            Kind::File => "File",
            Kind::Location => "Location",
            Kind::LegislativeTerm => "LegislativeTerm",
        }
    }

    pub fn type_url(self) -> String {
        format!("{OPARL_VERSION}{}", self.name())
    }

    /// The path segment of the kind's list (`/oparl/v1/<segment>`).
    pub fn segment(self) -> &'static str {
        match self {
            Kind::System => "system",
            Kind::Body => "bodies",
            Kind::Organization => "organizations",
            Kind::Person => "persons",
            Kind::Membership => "memberships",
            Kind::Meeting => "meetings",
            Kind::AgendaItem => "agenda-items",
            Kind::Paper => "papers",
            Kind::File => "files",
            Kind::Location => "locations",
            Kind::LegislativeTerm => "legislative-terms",
        }
    }

    pub fn from_segment(segment: &str) -> Option<Kind> {
        Kind::LISTED.into_iter().find(|k| k.segment() == segment)
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct System {
    #[serde(flatten)]
    pub common: Common,
    pub oparl_version: &'static str,
    pub body: String,
    pub name: String,
    pub website: String,
    pub vendor: String,
    pub product: String,
    pub license: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Body {
    #[serde(flatten)]
    pub common: Common,
    pub system: String,
    pub name: String,
    pub short_name: String,
    pub website: String,
    pub license: String,
    pub classification: &'static str,
    pub organization: String,
    pub person: String,
    pub meeting: String,
    pub paper: String,
    pub agenda_item: String,
    pub file: String,
    pub membership: String,
    pub location_list: String,
    pub legislative_term_list: String,
    /// Required by the schema; the network has no legislative terms.
    pub legislative_term: Vec<serde_json::Value>,
}

/// A place: a meeting's venue or a municipality's coordinates.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    #[serde(flatten)]
    pub common: Common,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A GeoJSON Feature with a Point, as OParl asks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geojson: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub organizations: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub meetings: Vec<String>,
}

/// One period of membership in the network (`engagiert:membershipPeriods`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    pub start_date: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
}

/// A municipality of the network (members, applicants and former members).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    #[serde(flatten)]
    pub common: Common,
    pub body: String,
    pub name: String,
    pub short_name: String,
    pub organization_type: &'static str,
    pub classification: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub membership: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keyword: Vec<String>,
    #[serde(rename = "engagiert:ags", skip_serializing_if = "Option::is_none")]
    pub ags: Option<String>,
    #[serde(rename = "engagiert:region")]
    pub region: String,
    #[serde(rename = "engagiert:kind")]
    pub municipality_kind: String,
    #[serde(rename = "engagiert:membershipStatus")]
    pub membership_status: String,
    #[serde(rename = "engagiert:membershipPeriods")]
    pub membership_periods: Vec<Period>,
}

/// A published contact person.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    #[serde(flatten)]
    pub common: Common,
    pub body: String,
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub email: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phone: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub membership: Vec<Membership>,
}

/// A contact person's place in their municipality.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    #[serde(flatten)]
    pub common: Common,
    pub person: String,
    pub organization: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Meeting {
    #[serde(flatten)]
    pub common: Common,
    pub name: String,
    pub meeting_state: &'static str,
    pub cancelled: bool,
    pub start: String,
    pub end: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub organization: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub agenda_item: Vec<AgendaItem>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keyword: Vec<String>,
    #[serde(rename = "engagiert:kind")]
    pub meeting_kind: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgendaItem {
    #[serde(flatten)]
    pub common: Common,
    pub meeting: String,
    pub number: String,
    pub order: i32,
    pub name: String,
    pub public: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct File {
    #[serde(flatten)]
    pub common: Common,
    pub name: String,
    pub file_name: String,
    pub mime_type: String,
    pub size: i64,
    pub access_url: String,
    pub download_url: String,
    pub date: NaiveDate,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paper: Vec<String>,
    #[serde(rename = "engagiert:sha256")]
    pub sha256: String,
}

/// A published best-practice document.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Paper {
    #[serde(flatten)]
    pub common: Common,
    pub body: String,
    pub name: String,
    pub reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    pub paper_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main_file: Option<File>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub auxiliary_file: Vec<File>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub originator_organization: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keyword: Vec<String>,
}

/// What a deleted or unpublished object's URL answers, and how lists with
/// `modified_since` show it.
#[derive(Debug, Clone, Serialize)]
pub struct Deleted {
    #[serde(flatten)]
    pub common: Common,
    pub deleted: bool,
}

/// A page of a list.
#[derive(Debug, Clone, Serialize)]
pub struct ListPage {
    pub data: Vec<serde_json::Value>,
    pub pagination: Pagination,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub total_elements: u64,
    pub elements_per_page: u64,
    pub current_page: u64,
    pub total_pages: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Links {
    pub first: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    pub last: String,
    #[serde(rename = "self")]
    pub this: String,
}
