//! Typed ids: one newtype per kind of record, so a survey's id cannot be passed where a
//! municipality's is expected. Each holds a UUID in its canonical text form (hyphenated,
//! lower case), the form the API shows; it can only be made from a UUID (`new`, `parse`,
//! `From<Uuid>`). In the database an id is a native `uuid` on PostgreSQL and TEXT on SQLite
//! (the SQL type `sql::Uuid`).

use std::fmt;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{HasSqlType, Text};
use diesel::sqlite::Sqlite;

use crate::db::MultiBackend;

pub mod sql {
    /// An id column: `uuid` on PostgreSQL, TEXT on SQLite.
    #[derive(
        diesel::sql_types::SqlType, diesel::query_builder::QueryId, Clone, Copy, Debug, Default,
    )]
    #[diesel(postgres_type(oid = 2950, array_oid = 2951))]
    #[diesel(sqlite_type(name = "Text"))]
    pub struct Uuid;
}

impl HasSqlType<sql::Uuid> for MultiBackend {
    fn metadata(lookup: &mut Self::MetadataLookup) -> Self::TypeMetadata {
        MultiBackend::lookup_sql_type::<sql::Uuid>(lookup)
    }
}

/// The canonical text of a UUID.
fn canonical(uuid: uuid::Uuid) -> String {
    uuid.hyphenated().to_string()
}

/// What every typed id can do: be read from text (a path segment, a token's subject).
pub trait TypedId: Sized {
    fn parse(text: &str) -> Option<Self>;
}

macro_rules! typed_ids {
    ($($(#[$meta:meta])* $name:ident;)+) => {$(
        $(#[$meta])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
            serde::Serialize,
        )]
        #[diesel(sql_type = sql::Uuid)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new id (UUID v7: ordered by creation time).
            pub fn new() -> Self {
                Self(canonical(uuid::Uuid::now_v7()))
            }

            /// The id a text names, if it is a UUID (in any of its spellings).
            pub fn parse(text: &str) -> Option<Self> {
                uuid::Uuid::parse_str(text.trim()).ok().map(Self::from)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl TypedId for $name {
            fn parse(text: &str) -> Option<Self> {
                $name::parse(text)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(uuid: uuid::Uuid) -> Self {
                Self(canonical(uuid))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl ToSql<sql::Uuid, Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                use std::io::Write;
                let uuid = uuid::Uuid::parse_str(&self.0)?;
                out.write_all(uuid.as_bytes())?;
                Ok(IsNull::No)
            }
        }

        impl FromSql<sql::Uuid, Pg> for $name {
            fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                Ok(Self::from(uuid::Uuid::from_slice(value.as_bytes())?))
            }
        }

        impl ToSql<sql::Uuid, Sqlite> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.0.as_str());
                Ok(IsNull::No)
            }
        }

        impl FromSql<sql::Uuid, Sqlite> for $name {
            fn from_sql(value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                let text = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
                Ok(Self(text))
            }
        }

        impl ToSql<sql::Uuid, MultiBackend> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value((sql::Uuid, self));
                Ok(IsNull::No)
            }
        }

        impl FromSql<sql::Uuid, MultiBackend> for $name {
            fn from_sql(value: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                value.from_sql::<Self, sql::Uuid>()
            }
        }
    )+};
}

typed_ids! {
    /// A municipality (also a town's district, a meeting's host, a document's author).
    MunicipalityId;
    /// A user account.
    UserId;
    /// An API token (also its JWT's `jti`).
    ApiTokenId;
    /// A refresh token.
    RefreshTokenId;
    /// A webhook.
    WebhookId;
    /// A delivery of a change to a webhook (its `webhook-id` header, stable across retries).
    DeliveryId;
    /// A session: one login, its access tokens and the family of refresh tokens it rotates
    /// through.
    SessionId;
    /// A network meeting.
    MeetingId;
    /// A municipality's registration for a meeting.
    RegistrationId;
    /// A best-practice document.
    DocumentId;
    /// A document's attachment.
    AttachmentId;
    /// A survey.
    SurveyId;
    /// A survey's question.
    QuestionId;
    /// A choice of a survey question.
    OptionId;
    /// A municipality's participation in a survey (who answered, not what).
    ParticipationId;
    /// A contact person of a municipality.
    ContactId;
    /// An entry of a municipality's membership history.
    MembershipEventId;
    /// An erasure of a person's data (Art. 17 DSGVO), kept on record.
    ErasureId;
    /// An item of a meeting's agenda (kept while the item stays, for OParl's AgendaItem).
    AgendaItemId;
    /// The place of a meeting or a municipality (OParl's Location).
    LocationId;
}
