//! Attachment files: stored under their SHA-256 in a directory (never under a name a client
//! chose), written through a temporary file so that a refused upload leaves nothing, and
//! typed by their content rather than by what the client claims.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::auth::tokens::hex;

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

const HEAD_BYTES: usize = 8192;

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

/// Recognises the allowed kinds by their first bytes: PDF, PNG, JPEG, GIF, WebP, Office Open
/// XML and OpenDocument (ZIP containers, told apart by extension), legacy Office (OLE2), and
/// plain UTF-8 text.
pub fn sniff(head: &[u8], has_nul: bool, filename: &str) -> Option<&'static str> {
    let ext = extension(filename);
    if head.starts_with(b"%PDF-") {
        return Some("application/pdf");
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Some("image/gif");
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    if head.starts_with(b"PK\x03\x04") {
        return match ext.as_str() {
            "docx" => {
                Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
            }
            "xlsx" => Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            "pptx" => {
                Some("application/vnd.openxmlformats-officedocument.presentationml.presentation")
            }
            "odt" => Some("application/vnd.oasis.opendocument.text"),
            "ods" => Some("application/vnd.oasis.opendocument.spreadsheet"),
            "odp" => Some("application/vnd.oasis.opendocument.presentation"),
            _ => None,
        };
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return match ext.as_str() {
            "doc" => Some("application/msword"),
            "xls" => Some("application/vnd.ms-excel"),
            "ppt" => Some("application/vnd.ms-powerpoint"),
            _ => None,
        };
    }
    if !head.is_empty() && !has_nul && is_text(head) {
        return Some(if ext == "csv" {
            "text/csv; charset=utf-8"
        } else {
            "text/plain; charset=utf-8"
        });
    }
    None
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
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*'))
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
        assert_eq!(
            safe_filename(Some("Leitfaden Ehrenamt.pdf")),
            "Leitfaden Ehrenamt.pdf"
        );
    }
}
