//! The rules every stored text follows (API rule 28), and the one search built on them.
//!
//! Text arrives through three doors — JSON bodies, query strings and CSV imports — and each
//! door sends every string through [`clean`]: normalised to NFC, with control characters
//! (other than TAB, LF, CR) and Unicode noncharacters refused. What passes can be written into
//! XML (Atom), iCalendar, CSV and JSON without breaking them for anyone who reads them back.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// Why a text was refused; the message names no type and fits after a field name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    Control,
    Noncharacter,
}

impl TextError {
    pub fn message(self) -> &'static str {
        match self {
            TextError::Control => {
                "must not contain control characters (other than tab, line feed and carriage return)"
            }
            TextError::Noncharacter => "must not contain Unicode noncharacters",
        }
    }
}

/// The text in NFC, or why it is refused.
pub fn clean(text: &str) -> Result<Cow<'_, str>, TextError> {
    if let Some(bad) = text.chars().find_map(refusal) {
        return Err(bad);
    }
    if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        Ok(Cow::Borrowed(text))
    } else {
        Ok(Cow::Owned(text.nfc().collect()))
    }
}

fn refusal(c: char) -> Option<TextError> {
    if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
        Some(TextError::Control)
    } else if is_noncharacter(c) {
        Some(TextError::Noncharacter)
    } else {
        None
    }
}

/// `text` with what the text rules refuse dropped, in NFC: for names the service makes from
/// what a client sent (an upload's filename), where refusing would help nobody.
pub fn without_refused(text: &str) -> String {
    text.chars()
        .filter(|c| refusal(*c).is_none())
        .nfc()
        .collect()
}

/// U+FDD0–U+FDEF and the last two code points of every plane (U+xxFFFE, U+xxFFFF).
fn is_noncharacter(c: char) -> bool {
    let code = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&code) || code & 0xFFFE == 0xFFFE
}

/// Folds text for search: NFC first (so NFD input as macOS sends it folds alike), lower case,
/// umlauts and ß spelled out (`Bürgerschaft` and `buergerschaft` both become
/// `buergerschaft`), other accents dropped, and runs of anything that is not a letter, a digit
/// or one of `%`, `_`, `\` made one space. Those three stay, so that a search for them finds
/// them rather than acting as a wildcard. Done here rather than in SQL, because the two
/// databases fold case and umlauts differently.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.nfc().flat_map(char::to_lowercase) {
        let mapped: &str = match c {
            'ä' | 'æ' => "ae",
            'ö' | 'ø' | 'œ' => "oe",
            'ü' => "ue",
            'ß' => "ss",
            c if c.is_alphanumeric() || matches!(c, '%' | '_' | '\\') => {
                // Other accented letters lose their accent: decompose, keep the base letters.
                for base in std::iter::once(c)
                    .nfd()
                    .filter(|d| !unicode_normalization::char::is_combining_mark(*d))
                {
                    out.push(base);
                }
                space = false;
                continue;
            }
            _ if unicode_normalization::char::is_combining_mark(c) => continue,
            _ => {
                if !space {
                    out.push(' ');
                    space = true;
                }
                continue;
            }
        };
        out.push_str(mapped);
        space = false;
    }
    out.trim_end().to_owned()
}

/// The words of a search query, folded; empty when the query holds nothing searchable.
pub fn search_words(query: Option<&str>) -> Vec<String> {
    query
        .map(fold)
        .unwrap_or_default()
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A LIKE pattern matching a folded word anywhere in a folded column: `%word%`, with LIKE's
/// wildcards and its escape character escaped, so they match themselves (use with
/// `.escape('\\')`).
pub fn like_pattern(word: &str) -> String {
    let escaped = word
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_controls_and_noncharacters_keeps_tab_and_newlines() {
        assert_eq!(clean("a\u{0}b"), Err(TextError::Control));
        assert_eq!(clean("a\u{7f}"), Err(TextError::Control));
        assert_eq!(clean("a\u{85}"), Err(TextError::Control));
        assert_eq!(clean("\u{FFFE}"), Err(TextError::Noncharacter));
        assert_eq!(clean("\u{FDD0}"), Err(TextError::Noncharacter));
        assert_eq!(clean("\u{10FFFF}"), Err(TextError::Noncharacter));
        assert_eq!(clean("\u{1FFFE}"), Err(TextError::Noncharacter));
        assert_eq!(clean("a\tb\r\nc").as_deref(), Ok("a\tb\r\nc"));
        assert_eq!(clean("\u{FFFD}").as_deref(), Ok("\u{FFFD}"));
    }

    #[test]
    fn normalises_to_nfc() {
        let nfd = "Mu\u{308}nster";
        assert_eq!(clean(nfd).as_deref(), Ok("Münster"));
        assert!(matches!(clean("Münster"), Ok(Cow::Borrowed(_))));
    }

    #[test]
    fn folding() {
        assert_eq!(
            fold("Bürgerschaftliches  Engagement!"),
            "buergerschaftliches engagement"
        );
        assert_eq!(fold("Straße"), fold("STRASSE"));
        assert_eq!(fold("Mönchengladbach"), "moenchengladbach");
        assert_eq!(fold("Mo\u{308}nchengladbach"), "moenchengladbach");
        assert_eq!(fold("Fröndenberg/Ruhr"), "froendenberg ruhr");
        assert_eq!(fold("Café Señor"), "cafe senor");
        assert_eq!(fold("100 % _x_"), "100 % _x_");
    }

    #[test]
    fn wildcards_match_themselves() {
        assert_eq!(like_pattern("%"), "%\\%%");
        assert_eq!(like_pattern("a_b\\"), "%a\\_b\\\\%");
        assert_eq!(search_words(Some("  !! ")), Vec::<String>::new());
        assert_eq!(search_words(Some("Bad  Salz")), ["bad", "salz"]);
    }
}
