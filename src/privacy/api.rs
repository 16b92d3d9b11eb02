//! Wire types of `/api/v1/privacy`: the record of processing (Art. 30 DSGVO), generated from
//! the catalogue and the retention settings in force.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::consent::ContactField;

use super::catalogue::{CATEGORIES, Category, Kept};
use crate::config::{ClientAddressLog, Retention};

/// What the service holds about people, why, who sees it, where it is published and how
/// long it is kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordOfProcessing {
    /// Each category of personal data.
    pub categories: Vec<CategoryRecord>,
    /// What the service's log lines keep of a client: never an e-mail, password, token or
    /// body; the client's address as `ENGAGIERT_LOG_CLIENT_ADDRESS` says (`none`,
    /// `truncated`: IPv4 /24 and IPv6 /48, or `full`).
    #[schema(example = "truncated")]
    pub log_client_address: String,
}

/// One category of personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryRecord {
    #[schema(example = "contacts")]
    pub key: String,
    #[schema(example = "Contact persons of member municipalities")]
    pub name: String,
    /// Whose data it is.
    pub subjects: String,
    pub purpose: String,
    /// The legal basis.
    pub basis: String,
    /// The stored fields, as `table.column`.
    #[schema(example = json!(["municipality_contacts.name", "municipality_contacts.email"]))]
    pub fields: Vec<String>,
    pub visible_to: String,
    pub published: String,
    pub retention: RetentionRecord,
}

/// How long a category is kept, under the configuration in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionRecord {
    /// The setting that decides it, if any.
    #[schema(example = "ENGAGIERT_RETAIN_SESSIONS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setting: Option<String>,
    /// Days, where a setting decides (`0`: kept for ever).
    #[schema(example = 30)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// In words.
    #[schema(example = "30 days (after the session ended or expired)")]
    pub text: String,
}

impl RecordOfProcessing {
    pub fn of(retention: &Retention, log: ClientAddressLog) -> Self {
        let log_client_address = match log {
            ClientAddressLog::None => "none",
            ClientAddressLog::Truncated => "truncated",
            ClientAddressLog::Full => "full",
        };
        RecordOfProcessing {
            categories: CATEGORIES
                .iter()
                .map(|c| CategoryRecord::of(c, retention))
                .collect(),
            log_client_address: log_client_address.into(),
        }
    }
}

impl CategoryRecord {
    fn of(category: &Category, retention: &Retention) -> Self {
        CategoryRecord {
            key: category.key.into(),
            name: category.name.into(),
            subjects: category.subjects.into(),
            purpose: category.purpose.into(),
            basis: category.basis.into(),
            fields: category
                .fields
                .iter()
                .map(|f| format!("{}.{}", f.table, f.column))
                .collect(),
            visible_to: category.visible_to.into(),
            published: category.published.into(),
            retention: RetentionRecord::of(&category.kept, retention),
        }
    }
}

impl RetentionRecord {
    fn of(kept: &Kept, retention: &Retention) -> Self {
        match kept {
            Kept::UntilRemoved => RetentionRecord {
                setting: None,
                days: None,
                text: "until the record is changed or deleted, or the person erased \
                       (copies in the history: see `history`)"
                    .into(),
            },
            Kept::Fixed(text) => RetentionRecord {
                setting: None,
                days: None,
                text: (*text).into(),
            },
            Kept::Setting {
                variable,
                days,
                after,
            } => {
                let days = days(retention);
                let text = if days == 0 {
                    format!("for ever ({variable}=0)")
                } else {
                    let unit = if days == 1 { "day" } else { "days" };
                    format!("{days} {unit} ({after})")
                };
                RetentionRecord {
                    setting: Some((*variable).into()),
                    days: Some(days),
                    text,
                }
            }
        }
    }
}

/// Whom a subject access asks about: `email`, `name`, or both (then both must match).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubjectQuery {
    /// The person's e-mail address.
    #[param(example = "erika.mustermann@unna.example")]
    pub email: Option<String>,
    /// The person's name.
    #[param(example = "Erika Mustermann")]
    pub name: Option<String>,
}

/// Everything the service holds about one person (Art. 15 DSGVO), found by e-mail or name.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectData {
    /// Contact entries of municipalities that are this person.
    pub contacts: Vec<ContactFound>,
    /// User accounts that are this person.
    pub users: Vec<UserFound>,
    /// Sessions of those accounts.
    pub sessions: Vec<SessionFound>,
    /// Revisions and audit entries that name the person or were made by their account.
    pub revisions: Vec<RevisionFound>,
    /// Agenda items the person speaks at.
    pub speakers: Vec<SpeakerFound>,
    /// Ids of meeting registrations whose note mentions the person.
    pub registration_notes: Vec<String>,
    /// Failed logins under the person's e-mail (kept as keyed hashes).
    pub login_attempts: LoginAttempts,
    /// Every place of the catalogue (`table.column`) with the number of rows that hold
    /// the person.
    #[schema(example = json!({"municipality_contacts.email": 1, "users.email": 1, "revisions.patch": 4}))]
    pub places: BTreeMap<String, usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactFound {
    pub id: String,
    pub municipality_id: String,
    pub name: String,
    pub role: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub publish: Vec<ContactField>,
    pub consent_recorded_at: Option<DateTime<Utc>>,
    pub consent_withdrawn_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserFound {
    pub id: String,
    pub email: String,
    pub name: String,
    /// Whether the account is deleted (its record is kept, without a password).
    pub deleted: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionFound {
    pub id: String,
    pub user_id: String,
    pub created_at: DateTime<Utc>,
    /// When its refresh token was last renewed.
    pub last_used_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionFound {
    #[schema(example = "municipalities")]
    pub collection: String,
    pub id: String,
    pub version: i32,
    pub at: DateTime<Utc>,
    /// The person's account made the change.
    pub as_actor: bool,
    /// The revision's data names the person.
    pub mentioned: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SpeakerFound {
    pub meeting_id: String,
    /// The agenda item's position (1..n).
    pub position: i32,
    pub title: String,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct LoginAttempts {
    pub count: i64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
}

/// Whom to erase, and why. Give `email`, `name` or both (then a contact or user must match
/// both to be erased: namesakes are not).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "erika.mustermann@unna.example", "name": "Erika Mustermann", "reason": "Antrag nach Art. 17 DSGVO vom 3. Dezember 2026"}))]
pub struct ErasureRequest {
    #[serde(default)]
    #[schema(example = "erika.mustermann@unna.example")]
    pub email: Option<String>,
    #[serde(default)]
    #[schema(example = "Erika Mustermann")]
    pub name: Option<String>,
    /// Why (kept on record; the person's name or e-mail in it is redacted too).
    #[schema(
        example = "Antrag nach Art. 17 DSGVO vom 3. Dezember 2026",
        min_length = 1,
        max_length = 1000
    )]
    pub reason: String,
}

/// `?dry_run=true` reports what an erasure would find and changes nothing.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ErasureParams {
    /// Report and change nothing.
    #[serde(default)]
    #[param(example = true)]
    pub dry_run: bool,
}

/// What an erasure found (and, unless a dry run, erased), per place (`table.column`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureAnswer {
    pub id: String,
    pub at: DateTime<Utc>,
    pub dry_run: bool,
    #[schema(example = json!({"municipality_contacts.email": 1, "users.email": 1, "revisions.patch": 7}))]
    pub found: BTreeMap<String, usize>,
}

/// An erasure as it stays on record: who, when, why and the counts — never the erased data.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureRecord {
    pub id: String,
    pub at: DateTime<Utc>,
    /// Who erased (`user` or `token`) and their id.
    pub by: super::consent::RecordedBy,
    pub reason: String,
    pub found: BTreeMap<String, usize>,
}
