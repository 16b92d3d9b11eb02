//! What serde says when a body or query does not fit, said for people and programs: a
//! stable `Code` and a plain English message that names no Rust type (serde's own words are
//! "invalid type: string \"x\", expected u32" or "expected struct MunicipalityInput").

use crate::error::Code;

/// One translated deserialisation error.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: Code,
    pub message: String,
    /// The field the error is about when serde names it in the message rather than in the
    /// path (a missing, unknown or duplicate field).
    pub field: Option<String>,
}

impl Refusal {
    fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }

    fn about(mut self, field: String) -> Self {
        self.field = Some(field);
        self
    }

    /// Translates serde's message (of `serde_json`'s value deserialiser or of
    /// `serde_urlencoded`, including the errors of the types they parse into).
    pub fn of(message: &str) -> Self {
        if let Some(name) = backticked(message, "missing field `") {
            return Self::new(Code::Required, "is required").about(name);
        }
        if let Some(name) = backticked(message, "unknown field `") {
            return Self::new(Code::UnknownField, "is not a known field (or is read-only)")
                .about(name);
        }
        if let Some(name) = backticked(message, "duplicate field `") {
            return Self::new(Code::Duplicate, "is given twice").about(name);
        }
        if let Some(rest) = message.strip_prefix("unknown variant `") {
            let allowed = rest
                .split_once("expected ")
                .map(|(_, list)| list.replace('`', "").replace("one of ", ""))
                .unwrap_or_default();
            return Self::new(Code::InvalidValue, format!("must be one of {allowed}"));
        }
        if let Some(rest) = message.strip_prefix("invalid type: ") {
            let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
            let found = found.split(' ').next().unwrap_or(found);
            let found = match found {
                "string" => "a string",
                "integer" | "floating" => "a number",
                "boolean" => "true or false",
                "sequence" => "a list",
                "map" => "an object",
                _ => "null",
            };
            return Self::new(
                Code::InvalidType,
                format!("must be {}, not {found}", plain(expected)),
            );
        }
        if let Some(rest) = message.strip_prefix("invalid value: ") {
            let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
            if let Some(range) = whole_number_range(expected) {
                return Self::new(
                    Code::OutOfRange,
                    format!("must be a whole number from {range}"),
                );
            }
            let code = if found.starts_with("string") {
                Code::InvalidFormat
            } else {
                Code::InvalidValue
            };
            return Self::new(code, format!("must be {}", plain(expected)));
        }
        if let Some(rest) = message.strip_prefix("invalid length ") {
            let expected = rest.split_once(", expected ").map_or("", |(_, e)| e);
            if expected.starts_with("struct ") {
                return Self::new(Code::InvalidType, "must be an object");
            }
            return Self::new(Code::InvalidValue, "has the wrong number of items");
        }
        Self::custom(message)
    }

    /// Messages the parsed types make themselves: the newtypes of this crate speak plainly
    /// already; those of uuid, chrono and the standard library's number parsers do not.
    fn custom(message: &str) -> Self {
        let lower = message.to_ascii_lowercase();
        if lower.contains("uuid") {
            return Self::new(Code::InvalidFormat, "must be a UUID");
        }
        const CHRONO: [&str; 7] = [
            "input contains invalid characters",
            "premature end of input",
            "trailing input",
            "input is out of range",
            "input is not enough for unique date and time",
            "no possible date and time matching input",
            "bad or unsupported format string",
        ];
        if CHRONO.iter().any(|words| lower.contains(words)) {
            return Self::new(
                Code::InvalidFormat,
                "must be a date (2026-05-04) or a date and time with offset \
                 (2026-05-04T18:00:00+02:00) as in ISO 8601",
            );
        }
        if lower.contains("digit found in string")
            || lower.contains("cannot parse integer")
            || lower.contains("number too large")
            || lower.contains("number too small")
        {
            return Self::new(Code::InvalidType, "must be a whole number");
        }
        if lower.contains("invalid float literal") {
            return Self::new(Code::InvalidType, "must be a number");
        }
        if lower.contains("`true` or `false`") {
            return Self::new(Code::InvalidType, "must be true or false");
        }
        if names_rust_type(message) {
            return Self::new(Code::InvalidValue, "is not a valid value");
        }
        // The newtypes of this crate (`Ags`, `Slug`, e-mail, URL, phone) parse text: what
        // they refuse is the value's form.
        Self::new(Code::InvalidFormat, message)
    }
}

/// What serde expected, in plain words.
fn plain(expected: &str) -> String {
    let expected = expected.trim();
    if whole_number_range(expected).is_some() {
        return "a whole number".into();
    }
    let words = match expected {
        "f32" | "f64" => "a number",
        "a boolean" | "bool" => "true or false",
        "a string" | "a borrowed string" | "string" | "a character" | "char" => "a string",
        "a sequence" | "sequence" => "a list",
        "a map" | "map" => "an object",
        "unit" => "null",
        _ if expected.starts_with("struct ") => "an object",
        _ if expected.starts_with("tuple") || expected.starts_with("a tuple") => "a list",
        _ if expected.starts_with("enum ") || expected.contains("identifier") => {
            "one of the allowed values"
        }
        _ if expected.is_empty() || names_rust_type(expected) => "a valid value",
        _ => return expected.to_owned(),
    };
    words.into()
}

/// The range of a Rust integer type named by serde (`u8` → "0 to 255").
fn whole_number_range(expected: &str) -> Option<String> {
    let range = match expected.trim() {
        "u8" => "0 to 255".into(),
        "u16" => "0 to 65535".into(),
        "u32" => "0 to 4294967295".into(),
        "u64" | "usize" | "u128" => format!("0 to {}", u64::MAX),
        "i8" => "-128 to 127".into(),
        "i16" => "-32768 to 32767".into(),
        "i32" => format!("{} to {}", i32::MIN, i32::MAX),
        "i64" | "isize" | "i128" => format!("{} to {}", i64::MIN, i64::MAX),
        _ => return None,
    };
    Some(range)
}

/// Whether `text` names a Rust type, struct, enum or variant: such words never reach a
/// client.
pub fn names_rust_type(text: &str) -> bool {
    const MARKERS: [&str; 12] = [
        "::",
        "struct ",
        "enum ",
        "variant",
        "Option<",
        "Vec<",
        "String",
        "Uuid",
        "Naive",
        "DateTime",
        "tuple",
        "identifier",
    ];
    MARKERS.iter().any(|m| text.contains(m))
        || text
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| whole_number_range(word).is_some() || word == "f64" || word == "f32")
}

/// The name a serde message quotes in backticks after `prefix` (`unknown field `x``).
pub(crate) fn backticked(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?;
    Some(rest.split('`').next()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_words_become_plain() {
        let cases = [
            (
                "invalid type: string \"x\", expected u32",
                Code::InvalidType,
            ),
            (
                "invalid value: integer `300`, expected u8",
                Code::OutOfRange,
            ),
            (
                "invalid length 2, expected struct LoginRequest with 2 elements",
                Code::InvalidType,
            ),
            (
                "unknown variant `none`, expected one of `a`, `b`",
                Code::InvalidValue,
            ),
            ("invalid type: map, expected enum Region", Code::InvalidType),
            ("UUID parsing failed: invalid length", Code::InvalidFormat),
            ("premature end of input", Code::InvalidFormat),
            ("invalid digit found in string", Code::InvalidType),
            ("expected a Foo::Bar", Code::InvalidValue),
        ];
        for (message, code) in cases {
            let refusal = Refusal::of(message);
            assert_eq!(refusal.code, code, "{message}");
            assert!(
                !names_rust_type(&refusal.message),
                "{message} → {refusal:?}"
            );
        }
        assert_eq!(
            Refusal::of("unknown variant `none`, expected one of `a`, `b`").message,
            "must be one of a, b"
        );
    }
}
