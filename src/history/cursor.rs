//! Change-feed cursors (rule 37): `<epoch>.<seq>`. The sequence numbers of the feed are
//! handed out again after a restore (the copy ends at an earlier number), so a cursor names
//! the history it belongs to, the epoch, which a restore renews. A cursor of another epoch,
//! or one beyond the newest change, cannot be continued: the client starts over (409,
//! `/problems/resync`). A plain number, as cursors were before epochs, is read as a cursor
//! of the current history.

use diesel::prelude::*;

use crate::db::schema::{maintenance, revisions};
use crate::db::{DbConnection, now};

/// The current history's epoch.
pub fn epoch(conn: &mut DbConnection) -> QueryResult<String> {
    maintenance::table
        .find(1)
        .select(maintenance::feed_epoch)
        .first(conn)
}

/// Starts a new history: every cursor given out so far becomes one of another history.
pub fn renew_epoch(conn: &mut DbConnection) -> QueryResult<String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| {
        diesel::result::Error::QueryBuilderError(format!("no randomness: {e}").into())
    })?;
    let epoch: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    diesel::update(maintenance::table.find(1))
        .set((
            maintenance::feed_epoch.eq(&epoch),
            maintenance::feed_epoch_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(epoch)
}

/// The newest change's number, 0 for an empty feed.
pub fn head(conn: &mut DbConnection) -> QueryResult<i64> {
    revisions::table
        .select(diesel::dsl::max(revisions::seq))
        .first::<Option<i64>>(conn)
        .map(Option::unwrap_or_default)
}

/// The cursor of change `seq` in history `epoch`.
pub fn format(epoch: &str, seq: i64) -> String {
    format!("{epoch}.{seq}")
}

/// A cursor as a client sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// `None` for a plain number (a cursor from before epochs: the current history).
    pub epoch: Option<String>,
    pub seq: i64,
}

impl Cursor {
    /// `None` when the text is no cursor this feed could have given out.
    pub fn parse(text: &str) -> Option<Self> {
        let (epoch, seq) = match text.split_once('.') {
            Some((epoch, seq)) => (Some(epoch), seq),
            None => (None, text),
        };
        let well_formed_epoch =
            |e: &str| (1..=32).contains(&e.len()) && e.bytes().all(|b| b.is_ascii_hexdigit());
        if epoch.is_some_and(|e| !well_formed_epoch(e)) || !seq.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        Some(Cursor {
            epoch: epoch.map(str::to_owned),
            seq: seq.parse().ok()?,
        })
    }

    /// Why the cursor cannot be continued in the history `epoch` whose newest change is
    /// `head`, if it cannot.
    pub fn refusal(&self, epoch: &str, head: i64) -> Option<&'static str> {
        if self.epoch.as_deref().is_some_and(|own| own != epoch) {
            Some(
                "the cursor belongs to an earlier history of the feed (the database was restored from a backup)",
            )
        } else if self.seq > head {
            Some("the cursor lies beyond the newest change of the feed")
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_read_with_or_without_their_epoch() {
        assert_eq!(
            Cursor::parse("0a1b.42"),
            Some(Cursor {
                epoch: Some("0a1b".into()),
                seq: 42
            })
        );
        assert_eq!(
            Cursor::parse("42"),
            Some(Cursor {
                epoch: None,
                seq: 42
            })
        );
        for bad in [
            "",
            ".",
            "x.1",
            "0a1b.",
            "0a1b.-1",
            "-1",
            "1.2.3",
            "+1",
            "0a1b.99999999999999999999",
        ] {
            assert_eq!(Cursor::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Cursor::parse(&format("0a1b", 7)).map(|c| c.seq), Some(7));
    }

    #[test]
    fn another_history_or_a_number_beyond_the_head_is_refused() {
        let cursor = |text| Cursor::parse(text).unwrap();
        assert_eq!(cursor("aa.5").refusal("aa", 5), None);
        assert_eq!(cursor("5").refusal("aa", 5), None);
        assert!(cursor("bb.5").refusal("aa", 9).is_some());
        assert!(cursor("aa.6").refusal("aa", 5).is_some());
        assert!(cursor("6").refusal("aa", 5).is_some());
    }
}
