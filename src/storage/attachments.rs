//! The attachment store: a directory or S3-compatible object storage behind one interface
//! (`object_store`), chosen by `ENGAGIERT_ATTACHMENT_STORE`. Files are stored under their
//! SHA-256 (never under a name a client chose), written to a temporary object while they
//! stream in and moved to their content address once complete, so a refused or broken upload
//! leaves nothing under a real address, and read back as a stream (a range of one, too).

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{
    ClientOptions, GetOptions, GetRange, ObjectStore, ObjectStoreExt, RetryConfig, WriteMultipart,
};
use prometheus::{IntCounterVec, Opts};
use sha2::{Digest, Sha256};

use crate::auth::tokens::hex;

/// Parts of a multipart upload in flight at once: enough to keep a link busy, few enough
/// that an upload holds at most this many parts (5 MiB each) in memory.
const PARTS_IN_FLIGHT: usize = 2;

/// How much of an upload the media-type check sees: enough for the third ZIP entry of an
/// OOXML file.
const HEAD_BYTES: usize = 32 * 1024;

/// Where attachments are stored, and what went wrong there (`/metrics`).
pub struct AttachmentStore {
    store: Arc<dyn ObjectStore>,
    /// What log lines and errors call the store: a directory's path or `s3://bucket/prefix`.
    name: String,
    /// The directory of a local store: a missing file in a missing directory is a store
    /// that cannot be read (a mount not there), not a lost file.
    directory: Option<PathBuf>,
    errors: IntCounterVec,
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The object is not there although the store answers.
    #[error("not in the store")]
    Missing,
    /// The store could not be reached or refused the operation.
    #[error("the attachment store failed: {0}")]
    Unavailable(String),
}

impl AttachmentStore {
    /// The store `spec` names: `s3://bucket[/prefix]` (endpoint, region and credentials from
    /// `aws`, the `AWS_*` variables), or else a directory, created if missing.
    pub fn open(
        spec: &str,
        aws: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let errors = IntCounterVec::new(
            Opts::new(
                "engagiert_object_store_errors_total",
                "Attachment store operations that failed (missing objects included), by operation.",
            ),
            &["operation"],
        )?;
        if let Some(rest) = spec.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            anyhow::ensure!(!bucket.is_empty(), "{spec} names no bucket");
            // A store that does not answer is a 503 within seconds, not after object_store's
            // default of retries for three minutes; a part of 5 MiB has a minute.
            let mut builder = AmazonS3Builder::new()
                .with_client_options(
                    ClientOptions::new()
                        .with_connect_timeout(Duration::from_secs(3))
                        .with_timeout(Duration::from_secs(60)),
                )
                .with_retry(RetryConfig {
                    max_retries: 2,
                    retry_timeout: Duration::from_secs(10),
                    ..RetryConfig::default()
                });
            for (key, value) in aws {
                if let Ok(config) = key.to_ascii_lowercase().parse() {
                    builder = builder.with_config(config, value);
                }
            }
            let s3 = builder.with_bucket_name(bucket).build()?;
            let prefix = prefix.trim_matches('/');
            let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(PrefixStore::new(s3, Path::parse(prefix)?))
            };
            return Ok(Self {
                store,
                name: spec.trim_end_matches('/').to_owned(),
                directory: None,
                errors,
            });
        }
        let directory = PathBuf::from(spec);
        std::fs::create_dir_all(&directory)?;
        let local = LocalFileSystem::new_with_prefix(&directory)?
            .with_automatic_cleanup(true)
            // An upload is answered once its file is on disk, not in a page cache.
            .with_fsync(true);
        Ok(Self {
            store: Arc::new(local),
            name: directory.display().to_string(),
            directory: Some(directory),
            errors,
        })
    }

    /// The store the settings name (`ENGAGIERT_ATTACHMENT_STORE`), with the `AWS_*`
    /// variables of the process unless the settings carry their own.
    pub fn from_settings(settings: &crate::config::Settings) -> anyhow::Result<Self> {
        let aws = settings.aws.clone().unwrap_or_else(|| {
            std::env::vars()
                .filter(|(key, _)| key.starts_with("AWS_"))
                .collect()
        });
        Self::open(&settings.attachment_store, aws)
    }

    /// The counter of failed operations, for the metrics registry.
    pub fn error_counter(&self) -> IntCounterVec {
        self.errors.clone()
    }

    /// Where the content with this hash lives.
    fn address(sha256: &str) -> Path {
        let prefix = sha256.get(..2).unwrap_or("xx");
        Path::from_iter([prefix, sha256])
    }

    /// Counts and logs a failure; the log line names the attachment (or hash) and the store.
    fn failed(
        &self,
        operation: &'static str,
        subject: &str,
        error: object_store::Error,
    ) -> StoreError {
        self.errors.with_label_values(&[operation]).inc();
        let store = &self.name;
        let directory_gone = self.directory.as_ref().is_some_and(|d| !d.is_dir());
        match error {
            object_store::Error::NotFound { .. } if !directory_gone => {
                tracing::error!(%subject, %store, operation, "the stored file of an attachment is missing");
                StoreError::Missing
            }
            error => {
                tracing::error!(%subject, %store, operation, %error, "the attachment store failed");
                StoreError::Unavailable(error.to_string())
            }
        }
    }

    /// A new upload into a temporary object of the store.
    pub async fn begin(&self) -> Result<Upload, StoreError> {
        let temporary = Path::from_iter(["tmp", &uuid::Uuid::now_v7().simple().to_string()]);
        let upload = self
            .store
            .put_multipart(&temporary)
            .await
            .map_err(|e| self.failed("put", temporary.as_ref(), e))?;
        Ok(Upload {
            temporary,
            writer: WriteMultipart::new(upload),
            hasher: Sha256::new(),
            size: 0,
            head: Vec::new(),
            has_nul: false,
        })
    }

    /// Completes an upload and moves it to its content address; answered only once the
    /// object is stored. Returns the SHA-256 and the size.
    pub async fn commit(&self, upload: Upload) -> Result<(String, u64), StoreError> {
        let Upload {
            temporary,
            writer,
            hasher,
            size,
            ..
        } = upload;
        let sha256 = hex(&hasher.finalize());
        writer
            .finish()
            .await
            .map_err(|e| self.failed("put", &sha256, e))?;
        // Identical content under the same address: replacing it changes no byte.
        self.store
            .rename(&temporary, &Self::address(&sha256))
            .await
            .map_err(|e| self.failed("put", &sha256, e))?;
        Ok((sha256, size))
    }

    /// Gives up an upload (refused or broken) and removes what was sent of it.
    pub async fn abort(&self, upload: Upload) {
        let temporary = upload.temporary.clone();
        if let Err(error) = upload.writer.abort().await {
            self.failed("abort", temporary.as_ref(), error);
        }
    }

    /// Sends a chunk of an upload on (see `Upload::send`).
    pub async fn write(&self, upload: &mut Upload, chunk: Bytes) -> Result<(), StoreError> {
        upload
            .send(chunk)
            .await
            .map_err(|e| self.failed("put", upload.temporary.as_ref(), e))
    }

    /// Stores `content` at once (demo data): the same path as an upload.
    pub async fn put(&self, content: Bytes) -> Result<(String, u64), StoreError> {
        let mut upload = self.begin().await?;
        if let Err(error) = self.write(&mut upload, content).await {
            self.abort(upload).await;
            return Err(error);
        }
        self.commit(upload).await
    }

    /// The stored file of `attachment` (its content's hash `sha256`), whole or the `range`
    /// of it, as a stream. `size` is the stored size (from the database).
    pub async fn read(
        &self,
        attachment: &str,
        sha256: &str,
        range: Option<Range<u64>>,
    ) -> Result<BoxStream<'static, Result<Bytes, std::io::Error>>, StoreError> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let found = self
            .store
            .get_opts(&Self::address(sha256), options)
            .await
            .map_err(|e| self.failed("get", attachment, e))?;
        let errors = self.errors.clone();
        let (name, subject) = (self.name.clone(), attachment.to_owned());
        Ok(found
            .into_stream()
            .map(move |chunk| {
                chunk.map_err(|error| {
                    errors.with_label_values(&["get"]).inc();
                    tracing::error!(subject = %subject, store = %name, %error, "reading a stored file broke off");
                    std::io::Error::other(error)
                })
            })
            .boxed())
    }

    /// Removes the content with this hash; `false` when it was not stored (another
    /// instance's janitor may have removed it first). Only a hash names a stored file.
    pub async fn remove(&self, sha256: &str) -> Result<bool, StoreError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Unavailable(format!(
                "{sha256:?} is not a SHA-256 in hex"
            )));
        }
        let address = Self::address(sha256);
        match self.store.head(&address).await {
            Err(object_store::Error::NotFound { .. }) => return Ok(false),
            Err(error) => return Err(self.failed("delete", sha256, error)),
            Ok(_) => {}
        }
        match self.store.delete(&address).await {
            Ok(()) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(error) => Err(self.failed("delete", sha256, error)),
        }
    }
}

/// An upload in progress: hashed, measured and sampled (for the media type) as it streams.
pub struct Upload {
    temporary: Path,
    writer: WriteMultipart,
    hasher: Sha256,
    size: u64,
    head: Vec<u8>,
    has_nul: bool,
}

impl Upload {
    /// Sends a chunk on; waits while parts are in flight, so a fast client cannot fill memory.
    async fn send(&mut self, chunk: Bytes) -> Result<(), object_store::Error> {
        self.hasher.update(&chunk);
        self.size += chunk.len() as u64;
        self.has_nul |= chunk.contains(&0);
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
        self.writer.put(chunk);
        Ok(())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The first bytes and whether any byte so far was NUL (for the media-type check).
    pub fn sample(&self) -> (&[u8], bool) {
        (&self.head, self.has_nul)
    }
}
