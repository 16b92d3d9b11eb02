//! Attachment files: stored under their SHA-256 in a directory (never under a name a client
//! chose), written through a temporary file so that a refused upload leaves nothing, and
//! typed by their content rather than by what the client claims.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::auth::tokens::hex;
use crate::error::ApiError;

pub struct Storage {
    dir: PathBuf,
}

impl Storage {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Where the content with this hash lives.
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("xx");
        self.dir.join(prefix).join(sha256)
    }

    /// What a download answers when the stored file of `attachment` cannot be opened: 404
    /// naming the attachment when the store is there but the file is not (lost outside the
    /// service), 503 when the store itself cannot be read (a missing mount, permissions).
    /// Never a 500 with the operating system's words; the log line names the attachment and
    /// the store.
    pub fn unreadable(&self, attachment: &str, error: &std::io::Error) -> ApiError {
        let store = self.dir.display();
        if error.kind() == std::io::ErrorKind::NotFound && self.dir.is_dir() {
            tracing::error!(%attachment, %store, %error, "the stored file of an attachment is missing");
            ApiError::not_found(format!(
                "the file of attachment {attachment} is missing from the attachment store"
            ))
        } else {
            tracing::error!(%attachment, %store, %error, "the attachment store cannot be read");
            ApiError::unavailable("the attachment store cannot be read")
        }
    }

    /// Removes the content with this hash; `false` when it was not stored (another
    /// instance's janitor may have removed it first). Only a hash names a stored file: any
    /// other text is refused rather than turned into a path.
    pub fn remove(&self, sha256: &str) -> std::io::Result<bool> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a SHA-256 in hex",
            ));
        }
        match std::fs::remove_file(self.path_of(sha256)) {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// A new temporary file inside the storage directory (same file system, so the final
    /// rename is atomic).
    pub fn begin(&self) -> std::io::Result<Upload> {
        let dir = self.dir.join("tmp");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(uuid::Uuid::now_v7().simple().to_string());
        let file = File::create(&path)?;
        Ok(Upload {
            path,
            file: Some(file),
            hasher: Sha256::new(),
            size: 0,
            head: Vec::new(),
            has_nul: false,
        })
    }

    /// Moves a finished upload to its content address.
    pub fn commit(&self, upload: Upload) -> std::io::Result<(String, u64)> {
        let (temp, sha256, size) = upload.finish()?;
        let target = self.path_of(&sha256);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if target.exists() {
            std::fs::remove_file(&temp)?;
        } else {
            std::fs::rename(&temp, &target)?;
        }
        Ok((sha256, size))
    }
}

/// An upload in progress. Dropping it unfinished removes the temporary file.
pub struct Upload {
    path: PathBuf,
    file: Option<File>,
    hasher: Sha256,
    size: u64,
    head: Vec<u8>,
    has_nul: bool,
}

/// How much of an upload `infer` sees: enough for the third ZIP entry of an OOXML file.
const HEAD_BYTES: usize = 32 * 1024;

impl Upload {
    pub fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        if let Some(file) = &mut self.file {
            file.write_all(chunk)?;
        }
        self.hasher.update(chunk);
        self.size += chunk.len() as u64;
        self.has_nul |= chunk.contains(&0);
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        Ok(())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The media type of the content, if it is one the network accepts.
    pub fn media_type(&self, filename: &str) -> Option<&'static str> {
        sniff(&self.head, self.has_nul, filename)
    }

    fn finish(mut self) -> std::io::Result<(PathBuf, String, u64)> {
        if let Some(mut file) = self.file.take() {
            file.flush()?;
            file.sync_all()?;
        }
        let sha256 = hex(&std::mem::take(&mut self.hasher).finalize());
        let path = std::mem::take(&mut self.path);
        Ok((path, sha256, self.size))
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            self.file.take();
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

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
