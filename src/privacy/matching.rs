//! Finding a person in text: whole words after NFC and case folding, phone numbers by their
//! digits whatever the separators. The same [`Terms`] count what subject access reports,
//! what an erasure's dry run finds and what the erasure replaces, so the three agree.

use regex::{Regex, RegexBuilder};
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

use super::ERASED;

/// What identifies the person asked about.
#[derive(Debug, Clone, Default)]
pub struct Person {
    pub email: Option<String>,
    pub name: Option<String>,
}

impl Person {
    /// The person's e-mail or name, trimmed, NFC; `None` when neither is given.
    pub fn new(email: Option<&str>, name: Option<&str>) -> Option<Self> {
        let clean = |s: Option<&str>| {
            s.map(|s| s.trim().nfc().collect::<String>())
                .filter(|s| !s.is_empty())
        };
        let person = Person {
            email: clean(email),
            name: clean(name),
        };
        (person.email.is_some() || person.name.is_some()).then_some(person)
    }

    /// Whether a record (a contact, a user) with this name and e-mail is this person:
    /// every given part must match (given both, a namesake is not the person).
    pub fn is(&self, name: &str, email: Option<&str>) -> bool {
        let email_matches = match (&self.email, email) {
            (Some(wanted), Some(email)) => same(wanted, email),
            (Some(_), None) => false,
            (None, _) => true,
        };
        let name_matches = self.name.as_deref().is_none_or(|wanted| same(wanted, name));
        email_matches && name_matches
    }
}

/// Equal after trimming, NFC and case folding.
pub fn same(a: &str, b: &str) -> bool {
    folded(a) == folded(b)
}

fn folded(text: &str) -> String {
    text.trim().nfc().collect::<String>().to_lowercase()
}

/// The words and numbers to find: the e-mail, names, phone numbers.
#[derive(Debug, Clone, Default)]
pub struct Terms {
    patterns: Vec<Regex>,
}

impl Terms {
    /// `words` (e-mails, names) as whole words, case-insensitive; `phones` by their digits.
    pub fn new<'a>(
        words: impl IntoIterator<Item = &'a str>,
        phones: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let mut patterns = Vec::new();
        for word in words {
            let word: String = word.trim().nfc().collect();
            if word.is_empty() {
                continue;
            }
            // `\b` only where the word begins or ends with a word character: an e-mail or a
            // name ending in a dot has no boundary there.
            let edge = |c: Option<char>| {
                if c.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    r"\b"
                } else {
                    ""
                }
            };
            let pattern = format!(
                "{}{}{}",
                edge(word.chars().next()),
                regex::escape(&word),
                edge(word.chars().last())
            );
            if let Ok(re) = RegexBuilder::new(&pattern).case_insensitive(true).build() {
                patterns.push(re);
            }
        }
        for phone in phones {
            let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
            // Fewer digits than a real number would find extensions and years.
            if digits.len() < 6 {
                continue;
            }
            let body = digits
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(r"[\s\-/().]*");
            if let Ok(re) = Regex::new(&format!(r"\+?\b{body}\b")) {
                patterns.push(re);
            }
        }
        Terms { patterns }
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether `text` mentions the person.
    pub fn found_in(&self, text: &str) -> bool {
        let text: String = text.nfc().collect();
        self.patterns.iter().any(|re| re.is_match(&text))
    }

    /// `text` with every mention replaced by [`ERASED`], or `None` when it has none.
    pub fn redact(&self, text: &str) -> Option<String> {
        let mut text: String = text.nfc().collect();
        let mut changed = false;
        for re in &self.patterns {
            if re.is_match(&text) {
                text = re.replace_all(&text, ERASED).into_owned();
                changed = true;
            }
        }
        changed.then_some(text)
    }

    /// Whether any string in `value` mentions the person.
    pub fn found_in_json(&self, value: &Value) -> bool {
        match value {
            Value::String(s) => self.found_in(s),
            Value::Array(items) => items.iter().any(|v| self.found_in_json(v)),
            Value::Object(fields) => fields.values().any(|v| self.found_in_json(v)),
            _ => false,
        }
    }

    /// Redacts every string in `value` (leaf by leaf, so a merge patch applied to a redacted
    /// record gives the redacted result); whether anything changed.
    pub fn redact_json(&self, value: &mut Value) -> bool {
        match value {
            Value::String(s) => match self.redact(s) {
                Some(redacted) => {
                    *s = redacted;
                    true
                }
                None => false,
            },
            // Every leaf, not the first that changes (no short circuit).
            Value::Array(items) => items
                .iter_mut()
                .map(|v| self.redact_json(v))
                .fold(false, |a, b| a | b),
            Value::Object(fields) => fields
                .values_mut()
                .map(|v| self.redact_json(v))
                .fold(false, |a, b| a | b),
            _ => false,
        }
    }

    /// A stored JSON text redacted; text that is not JSON is redacted as text.
    pub fn redact_json_text(&self, text: &str) -> Option<String> {
        match serde_json::from_str::<Value>(text) {
            Ok(mut value) => {
                if self.redact_json(&mut value) {
                    serde_json::to_string(&value).ok()
                } else {
                    None
                }
            }
            Err(_) => self.redact(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_any_case_after_nfc() {
        let terms = Terms::new(["Jürgen Müller", "j.mueller@example.org"], []);
        let nfd = "Herr JU\u{308}RGEN MU\u{308}LLER spricht";
        assert_eq!(
            terms.redact(nfd).as_deref(),
            Some("Herr [gelöscht] spricht")
        );
        assert_eq!(terms.redact("Jürgen Müllerstraße"), None);
        assert_eq!(
            terms.redact("<J.Mueller@Example.org>").as_deref(),
            Some("<[gelöscht]>")
        );
    }

    #[test]
    fn phones_by_their_digits() {
        let terms = Terms::new([], ["+49 2303 103-123"]);
        assert_eq!(
            terms.redact("Tel. +49 (2303) 103 123.").as_deref(),
            Some("Tel. [gelöscht].")
        );
        assert_eq!(terms.redact("4923031031234"), None);
    }

    #[test]
    fn json_is_redacted_leaf_by_leaf() {
        let terms = Terms::new(["Erika"], []);
        let mut value = serde_json::json!({"a": ["Erika", 1], "b": {"c": "ok"}});
        assert!(terms.redact_json(&mut value));
        assert_eq!(
            value,
            serde_json::json!({"a": ["[gelöscht]", 1], "b": {"c": "ok"}})
        );
    }

    #[test]
    fn namesakes_are_not_the_person_given_both() {
        let person = Person::new(Some("e@x.example"), Some("Erika")).unwrap_or_default();
        assert!(person.is("ERIKA", Some("E@x.example")));
        assert!(!person.is("Erika", Some("other@x.example")));
        let by_name = Person::new(None, Some("Erika")).unwrap_or_default();
        assert!(by_name.is("erika", None));
    }
}
