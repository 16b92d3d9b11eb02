//! Logs: text or JSON lines on standard output, filtered by `RUST_LOG` (default `info`).
//!
//! Every request writes a line, so a line must cost little: in a file, pipe or log collector
//! the lines are written in batches rather than one `write` each, the timestamp's date and
//! time are formatted once a second, and text lines skip the styling machinery meant for a
//! terminal (no colour goes there anyway).

use std::cell::RefCell;
use std::fmt;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields};
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::fmt::{FmtContext, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

use crate::config::LogFormat;

pub fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour only for a person at a terminal: in a file, a pipe or a log collector the escape
    // codes are noise (and `NO_COLOR` turns them off there too).
    let terminal = std::io::stdout().is_terminal();
    let colour = terminal && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_target(false)
        .with_timer(Timestamp);
    // A person at a terminal reads each line as it comes; a file, pipe or collector gets them
    // in batches (at most `LOG_FLUSH` late), which saves a write per request.
    if terminal {
        let _ = match format {
            LogFormat::Json => builder.json().flatten_event(true).try_init(),
            LogFormat::Text => builder.try_init(),
        };
        return;
    }
    let out = BufferedStdout::start();
    let builder = builder.with_writer(move || out.clone());
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.event_format(PlainText).try_init(),
    };
}

/// Writes out the log lines still buffered (at shutdown).
pub fn flush_logs() {
    if let Some(out) = LOGS.get() {
        let _ = std::io::Write::flush(&mut out.clone());
    }
}

/// How late a log line may reach a file or pipe.
const LOG_FLUSH: Duration = Duration::from_millis(100);

/// Standard output with a buffer, written out every `LOG_FLUSH`, when it fills, and by
/// [`flush_logs`] before the process ends.
#[derive(Clone)]
struct BufferedStdout(Arc<Mutex<std::io::BufWriter<std::io::Stdout>>>);

static LOGS: OnceLock<BufferedStdout> = OnceLock::new();

impl BufferedStdout {
    fn start() -> Self {
        LOGS.get_or_init(|| {
            let out = BufferedStdout(Arc::new(Mutex::new(std::io::BufWriter::with_capacity(
                64 * 1024,
                std::io::stdout(),
            ))));
            let flushing = out.clone();
            let _ = std::thread::Builder::new()
                .name("engagiert-logs".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(LOG_FLUSH);
                        let _ = std::io::Write::flush(&mut flushing.clone());
                    }
                });
            out
        })
        .clone()
    }
}

impl std::io::Write for BufferedStdout {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut out = self.0.lock().unwrap_or_else(|e| e.into_inner());
        out.write(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let mut out = self.0.lock().unwrap_or_else(|e| e.into_inner());
        out.flush()
    }
}

/// RFC 3339 in UTC with microseconds, as tracing's own timer writes it; the part up to the
/// second is formatted once a second per thread.
struct Timestamp;

thread_local! {
    /// The last second formatted, and its text.
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

impl FormatTime for Timestamp {
    fn format_time(&self, w: &mut format::Writer<'_>) -> fmt::Result {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let seconds = since_epoch.as_secs();
        SECOND.with_borrow_mut(|(second, text)| {
            if *second != seconds {
                let at = i64::try_from(seconds)
                    .ok()
                    .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                    .unwrap_or_default();
                *text = at.format("%Y-%m-%dT%H:%M:%S").to_string();
                *second = seconds;
            }
            write!(w, "{text}.{:06}Z", since_epoch.subsec_micros())
        })
    }
}

/// The text lines for files and pipes: time, level, the event's fields and those of the
/// spans it happened in (the request's id), as the standard format writes them without
/// colour.
struct PlainText;

impl<S, N> FormatEvent<S, N> for PlainText
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: format::Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        Timestamp.format_time(&mut writer)?;
        write!(writer, " {:>5} ", event.metadata().level().as_str())?;
        let mut fields = Fields {
            writer: writer.by_ref(),
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        // The request line names its id itself; every other line gets it from its span.
        let own = event.fields().any(|f| f.name() == "request_id");
        if let Some(scope) = ctx.event_scope().filter(|_| !own) {
            for span in scope.from_root() {
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    write!(writer, " {fields}")?;
                }
            }
        }
        writeln!(writer)
    }
}

/// Writes an event's message, then its other fields as ` name=value`, as tracing's default
/// field format does without colour: strings quoted and escaped, `%` values as displayed,
/// numbers and booleans through `record_debug` (`Visit`'s default), which writes them plainly.
struct Fields<'a> {
    writer: format::Writer<'a>,
    result: fmt::Result,
}

impl Fields<'_> {
    fn write(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        if self.result.is_err() {
            return;
        }
        self.result = if field.name() == "message" {
            self.writer.write_fmt(value)
        } else {
            write!(self.writer, " {}={value}", field.name())
        };
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.write(field, format_args!("{value}"));
        } else {
            self.write(field, format_args!("{value:?}"));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.write(field, format_args!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain text line of an event, written by a subscriber of this format.
    fn line(event: impl FnOnce()) -> String {
        let out = Arc::new(Mutex::new(Vec::new()));
        let writer = {
            let out = out.clone();
            move || Capture(out.clone())
        };
        // As for files and pipes: no colour.
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(writer)
            .event_format(PlainText)
            .finish();
        tracing::subscriber::with_default(subscriber, event);
        let bytes = out.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Capture {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_plain_line_has_time_level_message_and_fields() {
        let path = "/api/v1/x \"y\"";
        let text = line(
            || tracing::warn!(method = %"GET", path, status = 200u16, duration_us = 17u64, slow = true, "request"),
        );
        let (time, rest) = text.split_once(' ').unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "{text}");
        assert_eq!(
            rest,
            " WARN request method=GET path=\"/api/v1/x \\\"y\\\"\" status=200 duration_us=17 slow=true\n"
        );
    }

    #[test]
    fn a_line_inside_a_request_carries_its_id() {
        let text = line(|| {
            let span = tracing::info_span!("request", request_id = %"req-42");
            let _inside = span.enter();
            tracing::error!(error = %"boom", "internal error");
        });
        assert!(
            text.ends_with(" ERROR internal error error=boom request_id=req-42\n"),
            "{text}"
        );
    }

    #[test]
    fn the_timestamp_is_rfc3339_with_microseconds() {
        let mut text = String::new();
        Timestamp
            .format_time(&mut format::Writer::new(&mut text))
            .unwrap();
        let parsed = chrono::DateTime::parse_from_rfc3339(&text).unwrap();
        let now = chrono::Utc::now();
        assert!((now - parsed.to_utc()).num_seconds().abs() <= 1, "{text}");
        assert_eq!(text.len(), "2026-11-30T01:12:20.659793Z".len(), "{text}");
    }
}
