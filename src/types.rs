//! Value types shared by several resources: enums stored as text, and newtypes whose only
//! way into existence is parsing (an invalid `Email` cannot be constructed).

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};

/// An enum whose variants travel as fixed snake_case strings in JSON and in the database,
/// where it is a TEXT column read and written by diesel directly.
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize,
            diesel::AsExpression, diesel::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        // Written out rather than derived: utoipa's derive does not see a `serde(rename)` whose
        // value comes from a macro argument, and would document the variant names.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
                let values = [$($text),+];
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some(values))
                    .examples([serde_json::json!(values[0])])
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                Self::parse(text).ok_or_else(|| {
                    let all: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    format!("unknown value `{text}`, expected one of {}", all.join(", "))
                })
            }
        }

        impl<DB: diesel::backend::Backend> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(self.as_str(), out)
            }
        }

        impl<DB: diesel::backend::Backend> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(value: <DB as diesel::backend::Backend>::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(value)?;
                Ok(text.parse::<$name>()?)
            }
        }
    };
}

/// An e-mail address: trimmed, lower-cased, one `@` with a dotted domain, at most 254 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, String> {
        let email = input.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                }
                None => false,
            };
        if valid {
            Ok(Self(email))
        } else {
            Err("must be an e-mail address".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl utoipa::PartialSchema for Email {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
            .max_length(Some(254))
            .examples([serde_json::json!("ehrenamt@unna.de")])
            .into()
    }
}

impl utoipa::ToSchema for Email {}

/// An absolute `http` or `https` URL, at most 2,000 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HttpUrl(String);

impl HttpUrl {
    pub fn parse(input: &str) -> Result<Self, String> {
        let input = input.trim();
        let parsed =
            url::Url::parse(input).map_err(|_| "must be an absolute http(s) URL".to_owned())?;
        if !matches!(parsed.scheme(), "http" | "https")
            || parsed.host_str().is_none_or(str::is_empty)
        {
            return Err("must be an absolute http(s) URL".into());
        }
        if input.len() > 2000 {
            return Err("must be at most 2000 characters long".into());
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for HttpUrl {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Self::parse(&value)
    }
}

impl From<HttpUrl> for String {
    fn from(value: HttpUrl) -> Self {
        value.0
    }
}

impl utoipa::PartialSchema for HttpUrl {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::Custom("uri".into())))
            .max_length(Some(2000))
            .examples([serde_json::json!("https://www.unna.de")])
            .into()
    }
}

impl utoipa::ToSchema for HttpUrl {}

/// Orders items by their `position` where one is given, else by their place in the list
/// (rule 23: agenda items, survey questions), and numbers them 1..n.
pub fn renumber<T>(items: &mut Vec<T>, position: impl Fn(&mut T) -> &mut Option<u32>) {
    let mut keyed: Vec<(u64, T)> = items
        .drain(..)
        .enumerate()
        .map(|(index, mut item)| {
            let key = position(&mut item).map_or(index as u64 + 1, u64::from);
            (key, item)
        })
        .collect();
    // Stable: equal positions keep the order in which they were sent.
    keyed.sort_by_key(|(key, _)| *key);
    for (number, (_, mut item)) in (1u32..).zip(keyed) {
        *position(&mut item) = Some(number);
        items.push(item);
    }
}

/// An optional text trimmed, with blank treated as absent.
pub fn trimmed(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(HttpUrl::parse("https://www.unna.de/ehrenamt").is_ok());
        for bad in [
            "www.unna.de",
            "ftp://unna.de",
            "javascript:alert(1)",
            "https://",
            "",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn email_parsing() {
        assert_eq!(
            Email::parse(" Info@Unna.DE ").map(|e| e.0),
            Ok("info@unna.de".into())
        );
        for bad in [
            "",
            "a",
            "a@b",
            "@unna.de",
            "a@@unna.de",
            "a b@unna.de",
            "a@.de",
            "a@unna..de",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
