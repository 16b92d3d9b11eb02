//! What an upload is: its media type recognised from its content (never from what the
//! client claims) and a filename safe to store and to send back.

use std::path::Path;

fn extension(filename: &str) -> String {
    Path::new(filename)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The media types the network accepts as attachments, as `infer` names them.
const ALLOWED: [&str; 14] = [
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
];

/// The media type of an upload from its first bytes (`infer`), if it is one the network
/// accepts. Two cases `infer` cannot settle from a sample are told apart by extension: a ZIP
/// container whose parts lie beyond the sample (Office Open XML, OpenDocument), and a legacy
/// Office (OLE2) file, whose kind lies in its directory. Text `infer` does not type is plain
/// UTF-8 text (or CSV by extension); markup it recognises (HTML, XML) counts as text too.
pub fn sniff(head: &[u8], has_nul: bool, filename: &str) -> Option<&'static str> {
    let ext = extension(filename);
    let inferred = infer::get(head);
    let by_extension = |candidates: &[(&str, &'static str)]| {
        candidates
            .iter()
            .find(|(e, _)| *e == ext)
            .map(|(_, media_type)| *media_type)
    };
    match inferred.map(|kind| (kind.mime_type(), kind.matcher_type())) {
        Some((_, infer::MatcherType::Text)) | None => {
            (!head.is_empty() && !has_nul && is_text(head)).then_some(if ext == "csv" {
                "text/csv; charset=utf-8"
            } else {
                "text/plain; charset=utf-8"
            })
        }
        Some(("application/zip", _)) => by_extension(&[
            ("docx", ALLOWED[5]),
            ("xlsx", ALLOWED[6]),
            ("pptx", ALLOWED[7]),
            ("odt", ALLOWED[8]),
            ("ods", ALLOWED[9]),
            ("odp", ALLOWED[10]),
        ]),
        Some(("application/msword" | "application/x-ole-storage", _)) => by_extension(&[
            ("doc", ALLOWED[11]),
            ("xls", ALLOWED[12]),
            ("ppt", ALLOWED[13]),
        ]),
        Some((media_type, _)) => ALLOWED.iter().find(|a| **a == media_type).copied(),
    }
}

/// UTF-8 (a character cut off at the end of the sample is fine) without control characters
/// other than tab, line breaks and form feed.
fn is_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(error) if error.error_len().is_none() => {
            match std::str::from_utf8(&head[..error.valid_up_to()]) {
                Ok(text) => text,
                Err(_) => return false,
            }
        }
        Err(_) => return false,
    };
    valid
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c'))
}

/// A filename safe to store and to send back: no directories, no control characters or
/// quotes, at most 200 characters.
pub fn safe_filename(raw: Option<&str>) -> String {
    let base = raw
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    // The text rules too: the name reaches the Atom feed as an enclosure's title.
    let cleaned: String = crate::text::without_refused(base)
        .chars()
        .filter(|c| !matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*'))
        .take(200)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_owned();
    if cleaned.is_empty() {
        "attachment".into()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(
            sniff(b"%PDF-1.7\n", false, "x.txt"),
            Some("application/pdf")
        );
        assert_eq!(
            sniff(b"Hallo W\xc3\xb6rld\n", false, "notiz.txt"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(sniff(b"MZ\x90\x00binary", true, "tool.pdf"), None);
        assert_eq!(sniff(b"PK\x03\x04rest", false, "archive.zip"), None);
        assert_eq!(sniff(b"<script>\x01</script>", false, "page.txt"), None);
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", true, "bild.pdf"),
            Some("image/png")
        );
        assert_eq!(
            sniff(b"PK\x03\x04\x14\0\0\0\0\0", false, "bericht.docx"),
            Some(ALLOWED[5])
        );
        let ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
        assert_eq!(
            sniff(&ole, true, "tabelle.xls"),
            Some("application/vnd.ms-excel")
        );
        assert_eq!(sniff(&ole, true, "makro.exe"), None);
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01", true, "x.pdf"), None);
    }

    #[test]
    fn filenames_are_made_safe() {
        assert_eq!(safe_filename(Some("../../etc/passwd")), "passwd");
        assert_eq!(
            safe_filename(Some("C:\\Users\\x\\Bericht \"final\".pdf")),
            "Bericht final.pdf"
        );
        assert_eq!(safe_filename(Some("..")), "attachment");
        assert_eq!(safe_filename(None), "attachment");
        assert_eq!(safe_filename(Some("x\u{FFFE}\u{7}.pdf")), "x.pdf");
        assert_eq!(safe_filename(Some("Mu\u{308}nster.pdf")), "Münster.pdf");
        assert_eq!(
            safe_filename(Some("Leitfaden Ehrenamt.pdf")),
            "Leitfaden Ehrenamt.pdf"
        );
    }
}
