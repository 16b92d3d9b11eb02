//! Request and response types of `/api/v1/municipalities`, and the rules a municipality's
//! fields obey.

use crate::http::Many;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::values::{Ags, Kind, MembershipStatus, Region, Slug, VolunteerCard};
use crate::error::{Checks, Code};
use crate::privacy::consent::{ContactField, RecordedBy};
use crate::types::{Email, HttpUrl};

/// The bounding box of North Rhine-Westphalia, with a little margin.
pub const NRW_LATITUDE: (f64, f64) = (50.3, 52.6);
pub const NRW_LONGITUDE: (f64, f64) = (5.8, 9.5);

/// A point in WGS 84.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"lat": 51.5348, "lon": 7.6889}))]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Latitude, within North Rhine-Westphalia (50.3 to 52.6).
    #[schema(example = 51.5348, minimum = 50.3, maximum = 52.6)]
    pub lat: f64,
    /// Longitude, within North Rhine-Westphalia (5.8 to 9.5).
    #[schema(example = 7.6889, minimum = 5.8, maximum = 9.5)]
    pub lon: f64,
}

/// The membership in the network and its dates, in this order: council decision ≤ signing
/// of the joint declaration ≤ joining ≤ leaving.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "member", "council_decision_on": "2023-12-07", "declaration_signed_on": "2024-01-15", "joined_on": "2024-01-15", "left_on": null}))]
pub struct Membership {
    /// The current status.
    #[schema(example = "member")]
    pub status: MembershipStatus,
    /// The council decision (Ratsbeschluss) to join.
    #[serde(default)]
    #[schema(example = "2023-12-07")]
    pub council_decision_on: Option<NaiveDate>,
    /// The signing of the joint declaration (Gemeinsame Erklärung).
    #[serde(default)]
    #[schema(example = "2024-01-15")]
    pub declaration_signed_on: Option<NaiveDate>,
    /// First day of membership; required for members.
    #[serde(default)]
    #[schema(example = "2024-01-15")]
    pub joined_on: Option<NaiveDate>,
    /// First day no longer a member; required for former members.
    #[serde(default)]
    #[schema(example = "2030-12-31")]
    pub left_on: Option<NaiveDate>,
}

impl Default for Membership {
    fn default() -> Self {
        Self {
            status: MembershipStatus::Applicant,
            council_decision_on: None,
            declaration_signed_on: None,
            joined_on: None,
            left_on: None,
        }
    }
}

/// The local contact point for volunteering (Ehrenamtsagentur, Anlaufstelle).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Ehrenamtsagentur Unna", "url": "https://www.unna.de/ehrenamt", "email": "ehrenamt@unna.de", "phone": "+49 2303 103-0", "address": "Rathausplatz 1, 59423 Unna"}))]
pub struct EngagementOffice {
    /// Its name.
    #[schema(example = "Ehrenamtsagentur Unna", min_length = 1, max_length = 200)]
    pub name: String,
    /// Its web page.
    #[serde(default)]
    #[schema(example = "https://www.unna.de/ehrenamt")]
    pub url: Option<HttpUrl>,
    /// Its e-mail address.
    #[serde(default)]
    #[schema(example = "ehrenamt@unna.de")]
    pub email: Option<Email>,
    /// Its phone number.
    #[serde(default)]
    #[schema(example = "+49 2303 103-0", max_length = 50)]
    pub phone: Option<String>,
    /// Its postal address, one line.
    #[serde(default)]
    #[schema(
        example = "Rathausplatz 1, 59423 Unna",
        min_length = 1,
        max_length = 300
    )]
    pub address: Option<String>,
}

/// A contact person, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// The id of an existing contact to keep; omitted for a new one.
    #[serde(default)]
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6f")]
    pub id: Option<Uuid>,
    /// Full name.
    #[schema(example = "Erika Mustermann", min_length = 1, max_length = 200)]
    pub name: String,
    /// Function or title.
    #[serde(default)]
    #[schema(example = "Ehrenamtskoordinatorin", min_length = 1, max_length = 200)]
    pub role: Option<String>,
    /// E-mail address.
    #[serde(default)]
    #[schema(example = "ehrenamt@unna.de")]
    pub email: Option<Email>,
    /// Phone number.
    #[serde(default)]
    #[schema(example = "+49 2303 103-123", max_length = 50)]
    pub phone: Option<String>,
    /// The fields the person agreed to show to everyone (`[]`: internal only). A list that
    /// is not empty must hold `name`. Omitted: an existing contact (matched by `id`) keeps
    /// its list, a new one starts with `[]`. A change of name or e-mail resets it to `[]`
    /// (another person holds the role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(["name", "role", "email", "phone"]))]
    pub publish: Option<Vec<ContactField>>,
    /// Deprecated: use `publish`. Without `publish`, `false` means `[]`, and `true` keeps a
    /// contact's list that is not empty, or means all four fields for one that had none.
    #[serde(default, skip_serializing)]
    #[schema(deprecated, write_only, example = true)]
    pub public: Option<bool>,
    /// Read-only (the service records consent); accepted back as `GET` showed it, and
    /// ignored.
    #[serde(default, skip_serializing)]
    #[schema(read_only, value_type = Option<Consent>, example = json!({"recorded_at": "2024-01-15T09:30:00Z", "recorded_by": {"kind": "user", "id": "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e"}, "withdrawn_at": null}))]
    pub consent: Option<serde_json::Value>,
}

/// A contact person as shown. Admins and the editors of the contact's municipality see every
/// contact whole; everyone else sees only contacts whose `publish` holds `name`, with only
/// their published fields (the others are `null`) and without `consent`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contact {
    /// The contact's id.
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6f")]
    pub id: String,
    /// Full name.
    #[schema(example = "Erika Mustermann")]
    pub name: String,
    /// Function or title.
    #[schema(example = "Ehrenamtskoordinatorin")]
    pub role: Option<String>,
    /// E-mail address.
    #[schema(example = "ehrenamt@unna.de")]
    pub email: Option<String>,
    /// Phone number.
    #[schema(example = "+49 2303 103-123")]
    pub phone: Option<String>,
    /// The fields the person agreed to show to everyone (`[]`: internal only).
    #[schema(example = json!(["name", "role", "email", "phone"]))]
    pub publish: Vec<ContactField>,
    /// The record of the consent (Art. 7(1) DSGVO); `null` for those who see only the
    /// published fields.
    #[schema(example = json!({"recorded_at": "2024-01-15T09:30:00Z", "recorded_by": {"kind": "user", "id": "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e"}, "withdrawn_at": null}))]
    pub consent: Option<Consent>,
}

/// The record of a contact's consent to publication, kept by the service.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"recorded_at": "2024-01-15T09:30:00Z", "recorded_by": {"kind": "user", "id": "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e"}, "withdrawn_at": null}))]
pub struct Consent {
    /// When the person's consent to the current `publish` was recorded (`null`: never).
    #[schema(example = json!("2024-01-15T09:30:00Z"))]
    pub recorded_at: Option<DateTime<Utc>>,
    /// Who recorded it.
    pub recorded_by: Option<RecordedBy>,
    /// When it was withdrawn (`publish` became `[]`).
    #[schema(example = json!(null))]
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// One change of membership status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MembershipEvent {
    /// The status from then on.
    #[schema(example = "member")]
    pub status: MembershipStatus,
    /// The day the status took effect.
    #[schema(example = "2024-01-15")]
    pub on: NaiveDate,
    /// When the change was recorded.
    #[schema(example = json!("2024-01-15T09:30:00Z"))]
    pub recorded_at: DateTime<Utc>,
}

/// The writable fields of a municipality: the body of `POST` and `PUT`, and what `PATCH`
/// merges into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MunicipalityInput {
    /// Derived from the name when omitted.
    #[serde(default)]
    #[schema(example = "unna")]
    pub slug: Option<Slug>,
    /// The short name.
    #[schema(example = "Unna", min_length = 1, max_length = 200)]
    pub name: String,
    /// The full name; the name when omitted.
    #[serde(default)]
    #[schema(example = "Kreisstadt Unna", min_length = 1, max_length = 300)]
    pub official_name: Option<String>,
    /// What kind of body it is.
    #[schema(example = "town")]
    pub kind: Kind,
    /// 8 digits for cities and municipalities, 5 for districts, null for regional authorities.
    #[serde(default)]
    #[schema(example = "05978036")]
    pub ags: Option<Ags>,
    /// Derived from the AGS when omitted; must agree with it.
    #[serde(default)]
    #[schema(example = "arnsberg")]
    pub region: Option<Region>,
    /// The district of a town or municipality; with an AGS, the district whose key begins it.
    /// Its UUID, AGS or slug (answers carry the UUID).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "kreis-unna")]
    pub district_id: Option<Uuid>,
    /// Inhabitants.
    #[serde(default)]
    #[schema(example = 58633, minimum = 0)]
    pub population: Option<u32>,
    /// The official website.
    #[serde(default)]
    #[schema(example = "https://www.unna.de")]
    pub website: Option<HttpUrl>,
    /// The town hall or centre, within North Rhine-Westphalia.
    #[serde(default)]
    #[schema(example = json!({"lat": 51.5348, "lon": 7.6889}))]
    pub location: Option<Location>,
    /// Membership and its dates (network office only).
    #[serde(default)]
    #[schema(example = json!({"status": "member", "council_decision_on": "2023-12-07", "declaration_signed_on": "2024-01-15", "joined_on": "2024-01-15", "left_on": null}))]
    pub membership: Membership,
    /// The local contact point for volunteering.
    #[serde(default)]
    #[schema(example = json!({"name": "Ehrenamtsagentur Unna", "url": "https://www.unna.de/ehrenamt", "email": "ehrenamt@unna.de", "phone": "+49 2303 103-0", "address": "Rathausplatz 1, 59423 Unna"}))]
    pub engagement_office: Option<EngagementOffice>,
    /// Contact persons; an `id` keeps an existing one.
    #[serde(default)]
    #[schema(example = json!([{"name": "Erika Mustermann", "role": "Ehrenamtskoordinatorin", "email": "ehrenamt@unna.de", "phone": "+49 2303 103-123", "publish": ["name", "role", "email", "phone"]}]))]
    pub contacts: Vec<ContactInput>,
    /// Participation in the Ehrenamtskarte NRW (network office only).
    #[serde(default)]
    #[schema(example = "yes")]
    pub volunteer_card: Option<VolunteerCard>,
    /// Profile text in Markdown.
    #[serde(default)]
    #[schema(
        example = "Die Kreisstadt Unna fördert das Ehrenamt mit einer eigenen **Ehrenamtsagentur**.",
        max_length = 20000
    )]
    pub description: Option<String>,
    /// Topic tags.
    #[serde(default)]
    #[schema(example = json!(["ehrenamtskarte", "engagementstrategie"]))]
    pub topics: Vec<String>,
}

/// What may be known of a municipality's district when checking a town against it.
pub struct DistrictFacts {
    pub kind: Kind,
    pub ags: Option<String>,
}

/// The fields only the network office may change: who the municipality is and its
/// membership. An editor's change to one of them is a 403 naming it; the names come from this
/// type, so a field added here is guarded without another list to keep.
#[derive(Debug, PartialEq, Serialize)]
pub struct OfficeFields {
    pub slug: Option<Slug>,
    pub name: String,
    pub kind: Kind,
    pub ags: Option<Ags>,
    pub region: Option<Region>,
    pub district_id: Option<Uuid>,
    pub membership: Membership,
    pub volunteer_card: Option<VolunteerCard>,
}

impl OfficeFields {
    /// The office fields of an input, slug and region as they will be stored.
    pub fn of(input: &MunicipalityInput) -> Self {
        Self {
            slug: input.resolved_slug(),
            name: input.name.clone(),
            kind: input.kind,
            ags: input.ags.clone(),
            region: input.resolved_region(),
            district_id: input.district_id,
            membership: input.membership.clone(),
            volunteer_card: input.volunteer_card,
        }
    }

    /// The names of the fields that differ between `self` and `other`.
    pub fn changed(&self, other: &Self) -> Vec<String> {
        let (Ok(serde_json::Value::Object(before)), Ok(after)) =
            (serde_json::to_value(self), serde_json::to_value(other))
        else {
            return Vec::new();
        };
        before
            .into_iter()
            .filter(|(field, value)| after.get(field) != Some(value))
            .map(|(field, _)| field)
            .collect()
    }
}

impl MunicipalityInput {
    /// The region the input names or its AGS implies.
    pub fn resolved_region(&self) -> Option<Region> {
        self.region.or_else(|| self.ags.as_ref().map(Ags::region))
    }

    pub fn resolved_slug(&self) -> Option<Slug> {
        self.slug
            .clone()
            .or_else(|| Slug::from_name(&self.name).ok())
    }

    /// Every rule of a municipality that the input alone (and its district) can decide.
    pub fn check(&self, district: Option<&DistrictFacts>) -> Checks {
        let mut checks = Checks::new();
        checks.text("name", &self.name, 200);
        checks.optional_text("official_name", self.official_name.as_deref(), 300);
        if self.slug.is_none()
            && !self.name.trim().is_empty()
            && Slug::from_name(&self.name).is_err()
        {
            checks.add(
                "slug",
                Code::InvalidValue,
                "cannot be derived from the name; give one",
            );
        }
        match (self.kind.ags_length(), &self.ags) {
            (Some(length), Some(ags)) if ags.as_str().len() != length => checks.add(
                "ags",
                Code::InvalidFormat,
                format!("must have {length} digits for a {}", self.kind),
            ),
            (None, Some(_)) => checks.add(
                "ags",
                Code::InvalidValue,
                "must be null for a regional authority",
            ),
            _ => {}
        }
        match (&self.region, &self.ags) {
            (Some(region), Some(ags)) if *region != ags.region() => checks.add(
                "region",
                Code::InvalidValue,
                format!(
                    "does not agree with the AGS, which lies in {}",
                    ags.region()
                ),
            ),
            (None, None) => {
                checks.add("region", Code::Required, "is required when there is no AGS")
            }
            _ => {}
        }
        self.check_district(district, &mut checks);
        if let Some(location) = &self.location {
            let (lat_min, lat_max) = NRW_LATITUDE;
            let (lon_min, lon_max) = NRW_LONGITUDE;
            checks.require(
                (lat_min..=lat_max).contains(&location.lat),
                "location.lat",
                Code::OutOfRange,
                "must lie within North Rhine-Westphalia (50.3 to 52.6)",
            );
            checks.require(
                (lon_min..=lon_max).contains(&location.lon),
                "location.lon",
                Code::OutOfRange,
                "must lie within North Rhine-Westphalia (5.8 to 9.5)",
            );
        }
        check_membership(&self.membership, &mut checks);
        if let Some(office) = &self.engagement_office {
            checks.text("engagement_office.name", &office.name, 200);
            check_phone(
                &mut checks,
                "engagement_office.phone",
                office.phone.as_deref(),
            );
            checks.optional_text("engagement_office.address", office.address.as_deref(), 300);
        }
        checks.require(
            self.contacts.len() <= 50,
            "contacts",
            Code::TooLong,
            "must hold at most 50 contacts",
        );
        for (i, contact) in self.contacts.iter().enumerate() {
            checks.text(&format!("contacts[{i}].name"), &contact.name, 200);
            checks.optional_text(&format!("contacts[{i}].role"), contact.role.as_deref(), 200);
            check_phone(
                &mut checks,
                &format!("contacts[{i}].phone"),
                contact.phone.as_deref(),
            );
            let publish = contact.publish.as_deref().unwrap_or_default();
            checks.require(
                publish.is_empty() || publish.contains(&ContactField::Name),
                &format!("contacts[{i}].publish"),
                Code::InvalidValue,
                "must hold `name` when it is not empty: a contact is published with its name",
            );
        }
        if let Some(description) = &self.description {
            checks.require(
                description.chars().count() <= 20_000,
                "description",
                Code::TooLong,
                "must be at most 20000 characters long",
            );
        }
        checks.topics(&self.topics);
        checks
    }

    fn check_district(&self, district: Option<&DistrictFacts>, checks: &mut Checks) {
        if self.district_id.is_none() {
            return;
        }
        if !self.kind.has_district() {
            checks.add(
                "district_id",
                Code::InvalidValue,
                "only towns and municipalities belong to a district",
            );
            return;
        }
        let Some(district) = district else {
            checks.add("district_id", Code::NotFound, "names no municipality");
            return;
        };
        if district.kind != Kind::District {
            checks.add(
                "district_id",
                Code::InvalidValue,
                "must name a district (Kreis)",
            );
            return;
        }
        if let (Some(ags), Some(district_ags)) = (&self.ags, &district.ags)
            && ags.district_key() != Some(district_ags.as_str())
        {
            checks.add(
                "district_id",
                Code::InvalidValue,
                format!(
                    "must be the district whose key begins the AGS ({})",
                    &ags.as_str()[..5]
                ),
            );
        }
    }
}

fn check_membership(membership: &Membership, checks: &mut Checks) {
    let dates = [
        (
            "membership.council_decision_on",
            membership.council_decision_on,
        ),
        (
            "membership.declaration_signed_on",
            membership.declaration_signed_on,
        ),
        ("membership.joined_on", membership.joined_on),
        ("membership.left_on", membership.left_on),
    ];
    let mut latest: Option<(&str, NaiveDate)> = None;
    for (field, date) in dates {
        let Some(date) = date else { continue };
        if let Some((earlier_field, earlier)) = latest
            && date < earlier
        {
            let earlier_name = earlier_field.trim_start_matches("membership.");
            checks.add(
                field,
                Code::OutOfRange,
                format!("must not be before {earlier_name} ({earlier})"),
            );
        }
        if latest.is_none_or(|(_, d)| date >= d) {
            latest = Some((field, date));
        }
    }
    match membership.status {
        MembershipStatus::Member => {
            checks.require(
                membership.joined_on.is_some(),
                "membership.joined_on",
                Code::Required,
                "is required for a member",
            );
            checks.require(
                membership.left_on.is_none(),
                "membership.left_on",
                Code::InvalidValue,
                "must be null for a member",
            );
        }
        MembershipStatus::Former => {
            checks.require(
                membership.joined_on.is_some(),
                "membership.joined_on",
                Code::Required,
                "is required for a former member",
            );
            checks.require(
                membership.left_on.is_some(),
                "membership.left_on",
                Code::Required,
                "is required for a former member",
            );
        }
        MembershipStatus::Applicant => {
            checks.require(
                membership.joined_on.is_none() && membership.left_on.is_none(),
                "membership.status",
                Code::InvalidValue,
                "an applicant has neither joined nor left; set the status to member or former",
            );
        }
    }
}

fn check_phone(checks: &mut Checks, field: &str, phone: Option<&str>) {
    if let Some(phone) = phone {
        let allowed = phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-/()".contains(c));
        checks.require(
            allowed && phone.chars().any(|c| c.is_ascii_digit()) && phone.len() <= 50,
            field,
            Code::InvalidFormat,
            "must be a phone number (digits, spaces and + - / ( ), at most 50 characters)",
        );
    }
}

/// A member municipality, district or authority of the network.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Municipality {
    /// The municipality's id (UUID).
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e")]
    pub id: String,
    /// A URL-friendly unique name, usable instead of the id in paths.
    #[schema(example = "unna")]
    pub slug: String,
    /// The short name.
    #[schema(example = "Unna")]
    pub name: String,
    /// The full official name.
    #[schema(example = "Kreisstadt Unna")]
    pub official_name: String,
    /// What kind of body it is.
    #[schema(example = "town")]
    pub kind: Kind,
    /// Amtlicher Gemeindeschlüssel; null for regional authorities.
    #[schema(example = "05978036")]
    pub ags: Option<String>,
    /// The Regierungsbezirk (from the AGS's third digit).
    #[schema(example = "arnsberg")]
    pub region: Region,
    /// The district a town or municipality belongs to.
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6d")]
    pub district_id: Option<String>,
    /// Inhabitants.
    #[schema(example = 58633)]
    pub population: Option<i32>,
    /// The official website.
    #[schema(example = "https://www.unna.de")]
    pub website: Option<String>,
    /// The town hall or centre, for maps.
    #[schema(example = json!({"lat": 51.5348, "lon": 7.6889}))]
    pub location: Option<Location>,
    /// Membership in the network and its dates.
    #[schema(example = json!({"status": "member", "council_decision_on": "2023-12-07", "declaration_signed_on": "2024-01-15", "joined_on": "2024-01-15", "left_on": null}))]
    pub membership: Membership,
    /// The local contact point for volunteering.
    #[schema(example = json!({"name": "Ehrenamtsagentur Unna", "url": "https://www.unna.de/ehrenamt", "email": "ehrenamt@unna.de", "phone": "+49 2303 103-0", "address": "Rathausplatz 1, 59423 Unna"}))]
    pub engagement_office: Option<EngagementOffice>,
    /// Contact persons, as their consent allows (see `Contact`).
    #[schema(example = json!([{"id": "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6f", "name": "Erika Mustermann", "role": "Ehrenamtskoordinatorin", "email": "ehrenamt@unna.de", "phone": "+49 2303 103-123", "publish": ["name", "role", "email", "phone"], "consent": {"recorded_at": "2024-01-15T09:30:00Z", "recorded_by": {"kind": "user", "id": "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e"}, "withdrawn_at": null}}]))]
    pub contacts: Vec<Contact>,
    /// Participation in the Ehrenamtskarte NRW.
    #[schema(example = "yes")]
    pub volunteer_card: Option<VolunteerCard>,
    /// Profile text in Markdown.
    #[schema(
        example = "Die Kreisstadt Unna fördert das Ehrenamt mit einer eigenen **Ehrenamtsagentur**."
    )]
    pub description: Option<String>,
    /// `description` rendered as safe HTML, ready to include in a web page (read-only;
    /// CommonMark with tables; raw HTML is shown as text, an image as its description, links
    /// only to http(s) and mailto targets, with `rel="noopener nofollow"`).
    #[schema(
        example = "<p>Die Kreisstadt Unna fördert das Ehrenamt mit einer eigenen <strong>Ehrenamtsagentur</strong>.</p>\n"
    )]
    pub description_html: Option<String>,
    /// Topic tags.
    #[schema(example = json!(["ehrenamtskarte", "engagementstrategie"]))]
    pub topics: Vec<String>,
    /// Every change of membership status, oldest first (read-only).
    #[schema(example = json!([{"status": "member", "on": "2024-01-15", "recorded_at": "2024-01-15T09:30:00Z"}]))]
    pub membership_history: Vec<MembershipEvent>,
    /// When it was added.
    #[schema(example = json!("2024-01-15T09:30:00Z"))]
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    #[schema(example = json!("2024-01-15T09:30:00Z"))]
    pub updated_at: DateTime<Utc>,
    /// Grows by one with every change.
    #[schema(example = 1)]
    pub version: i32,
}

crate::sort_fields!(MunicipalityOrder over MunicipalitySort {
    Name = "name",
    Population = "population",
    JoinedOn = "joined_on",
    UpdatedAt = "updated_at",
});

/// Filters of the municipality list and its exports.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MunicipalityFilter {
    /// One or more values, repeated or comma-separated (any matches).
    #[param(value_type = Option<Vec<Kind>>, style = Form, explode = true)]
    pub kind: Option<Many<Kind>>,
    /// One or more values, repeated or comma-separated (any matches).
    #[param(value_type = Option<Vec<Region>>, style = Form, explode = true)]
    pub region: Option<Many<Region>>,
    /// Membership status.
    /// One or more values, repeated or comma-separated (any matches).
    #[param(value_type = Option<Vec<MembershipStatus>>, style = Form, explode = true)]
    pub status: Option<Many<MembershipStatus>>,
    /// Only the towns and municipalities of this district: its UUID, AGS or slug.
    #[param(value_type = Option<String>, example = "05978")]
    pub district_id: Option<crate::municipalities::references::MunicipalityRef>,
    /// Only those with this topic tag.
    #[param(example = "ehrenamtskarte")]
    pub topic: Option<String>,
    /// Name search, case-insensitive and folding umlauts (`koeln` finds `Köln`).
    #[param(example = "unna")]
    pub q: Option<String>,
    /// Only the one with this AGS.
    #[param(value_type = Option<String>, example = "05978036")]
    pub ags: Option<Ags>,
    /// Only those that were members on this day (joined on or before it, not yet left).
    #[param(example = "2020-09-25")]
    pub member_on: Option<NaiveDate>,
    /// Sort order (default `name`); prefix `-` for descending.
    #[param(inline)]
    pub sort: Option<MunicipalityOrder>,
}
