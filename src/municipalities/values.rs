//! The value types of a municipality: the AGS and the slug as parsing newtypes, and the
//! enumerations of the contract.

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};

use crate::text::fold;

crate::text_enum! {
    /// `independent_city` (kreisfreie Stadt), `town` (kreisangehörige Stadt), `municipality`
    /// (Gemeinde), `district` (Kreis), `regional_authority` (Bezirksregierung).
    pub enum Kind {
        IndependentCity = "independent_city",
        Town = "town",
        Municipality = "municipality",
        District = "district",
        RegionalAuthority = "regional_authority",
    }
}

crate::text_enum! {
    /// Regierungsbezirk: Düsseldorf (AGS 051), Köln (053), Münster (055), Detmold (057),
    /// Arnsberg (059).
    pub enum Region {
        Duesseldorf = "duesseldorf",
        Koeln = "koeln",
        Muenster = "muenster",
        Detmold = "detmold",
        Arnsberg = "arnsberg",
    }
}

crate::text_enum! {
    /// `applicant` (council decision or application under way), `member`, `former`.
    pub enum MembershipStatus {
        Applicant = "applicant",
        Member = "member",
        Former = "former",
    }
}

crate::text_enum! {
    /// Participation in the Ehrenamtskarte NRW: `yes`, `planned`, `equivalent` (an
    /// equivalent local card), `no`.
    pub enum VolunteerCard {
        Yes = "yes",
        Planned = "planned",
        Equivalent = "equivalent",
        No = "no",
    }
}

impl Kind {
    /// How many digits its AGS has; `None` when it has none.
    pub fn ags_length(self) -> Option<usize> {
        match self {
            Kind::IndependentCity | Kind::Town | Kind::Municipality => Some(8),
            Kind::District => Some(5),
            Kind::RegionalAuthority => None,
        }
    }

    /// Towns and municipalities belong to a district.
    pub fn has_district(self) -> bool {
        matches!(self, Kind::Town | Kind::Municipality)
    }
}

impl Region {
    /// The region an NRW key's third digit names.
    pub fn from_digit(digit: u8) -> Option<Self> {
        match digit {
            b'1' => Some(Region::Duesseldorf),
            b'3' => Some(Region::Koeln),
            b'5' => Some(Region::Muenster),
            b'7' => Some(Region::Detmold),
            b'9' => Some(Region::Arnsberg),
            _ => None,
        }
    }
}

/// An Amtlicher Gemeindeschlüssel of NRW: `05`, the region's digit, then the district (5
/// digits in all) and, for cities and municipalities, three more (8 digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ags(String);

impl Ags {
    pub fn parse(input: &str) -> Result<Self, String> {
        let ags = input.trim();
        if !(ags.len() == 5 || ags.len() == 8) || !ags.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be 8 digits (city or municipality) or 5 digits (district)".into());
        }
        if !ags.starts_with("05") {
            return Err("must start with 05 (North Rhine-Westphalia)".into());
        }
        if Region::from_digit(ags.as_bytes()[2]).is_none() {
            return Err("its third digit must name a region (1, 3, 5, 7 or 9)".into());
        }
        Ok(Self(ags.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn region(&self) -> Region {
        Region::from_digit(self.0.as_bytes()[2]).unwrap_or(Region::Duesseldorf)
    }

    /// The key of the district an 8-digit key lies in.
    pub fn district_key(&self) -> Option<&str> {
        (self.0.len() == 8).then(|| &self.0[..5])
    }
}

impl TryFrom<String> for Ags {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Self::parse(&value)
    }
}

impl From<Ags> for String {
    fn from(value: Ags) -> Self {
        value.0
    }
}

impl utoipa::PartialSchema for Ags {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^05[13579][0-9]{2}([0-9]{3})?$"))
            .description(Some("Amtlicher Gemeindeschlüssel: 8 digits for cities and municipalities, 5 for districts."))
            .examples([serde_json::json!("05978036")])
            .into()
    }
}

impl utoipa::ToSchema for Ags {}

/// A URL-friendly name: lower-case letters, digits and single hyphens, 2 to 64 characters,
/// never all digits (so it cannot be mistaken for an AGS).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(input: &str) -> Result<Self, String> {
        let slug = input.trim();
        let shaped = slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if !shaped || !(2..=64).contains(&slug.len()) {
            return Err("must be 2 to 64 lower-case letters, digits and single hyphens".into());
        }
        if slug.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            return Err("must not be all digits".into());
        }
        Ok(Self(slug.to_owned()))
    }

    /// The slug of a name: `Fröndenberg/Ruhr` becomes `froendenberg-ruhr`.
    pub fn from_name(name: &str) -> Result<Self, String> {
        let folded: String = fold(name)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let parts: Vec<&str> = folded.split('-').filter(|p| !p.is_empty()).collect();
        let mut slug = parts.join("-");
        slug.truncate(64);
        Self::parse(slug.trim_end_matches('-'))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Self::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(value: Slug) -> Self {
        value.0
    }
}

impl utoipa::PartialSchema for Slug {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[a-z0-9]+(-[a-z0-9]+)*$"))
            .min_length(Some(2))
            .max_length(Some(64))
            .description(Some(
                "Lower-case letters, digits and hyphens; never all digits.",
            ))
            .examples([serde_json::json!("unna")])
            .into()
    }
}

impl utoipa::ToSchema for Slug {}

/// API rule 7, the one membership rule: a municipality is a member from `joined_on`
/// (inclusive) until `left_on` (exclusive). The statistics and survey response rates use it
/// here; the `member_on` filter states the same in SQL (`model::filtered`).
pub fn was_member(
    day: chrono::NaiveDate,
    joined: Option<chrono::NaiveDate>,
    left: Option<chrono::NaiveDate>,
) -> bool {
    joined.is_some_and(|j| j <= day) && left.is_none_or(|l| day < l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ags_rules() {
        let unna = Ags::parse("05978036").unwrap();
        assert_eq!(unna.region(), Region::Arnsberg);
        assert_eq!(unna.district_key(), Some("05978"));
        assert_eq!(Ags::parse("05774").unwrap().region(), Region::Detmold);
        for bad in [
            "5978036",
            "0597803",
            "06978036",
            "05278036",
            "0597803x",
            "059780361",
            "",
        ] {
            assert!(Ags::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slug_rules() {
        assert_eq!(
            Slug::from_name("Fröndenberg/Ruhr").unwrap().as_str(),
            "froendenberg-ruhr"
        );
        assert_eq!(
            Slug::from_name("Kreis Unna").unwrap().as_str(),
            "kreis-unna"
        );
        for bad in [
            "Unna", "u", "unna-", "-unna", "un--na", "05978036", "12-34", "ünna",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }
}
