//! The catalogue of personal data: every column that can hold data about a person, what it
//! is for, who sees it, where it is published and how long it is kept. The record of
//! processing (`GET /api/v1/privacy`), subject access and erasure are driven by it, and a
//! test compares it with the database's own list of columns, so a column added later
//! cannot be forgotten: every column whose name suggests personal data is either here or in
//! [`NOT_PERSONAL`] with the reason.

use crate::config::Retention;

/// How a column holds a person's data, which decides how erasure treats it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holds {
    /// The identity of the record's person (a contact's or user's name, e-mail, phone):
    /// changed only on the records that match the person.
    Identity,
    /// Text that may mention anyone: redacted wherever the person's e-mail, phone or name
    /// occurs.
    Text,
    /// JSON copies of records (history, webhook payloads, stored answers): redacted in
    /// every string they hold.
    Json,
    /// A keyed hash of an e-mail or address (login throttling): found by hashing.
    Hashed,
    /// When and by whom: timestamps and ids that say something about a person only
    /// together with the rows above.
    Trace,
}

/// One column of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub table: &'static str,
    pub column: &'static str,
    pub holds: Holds,
}

const fn field(table: &'static str, column: &'static str, holds: Holds) -> Field {
    Field {
        table,
        column,
        holds,
    }
}

/// How long a category is kept.
#[derive(Debug, Clone, Copy)]
pub enum Kept {
    /// Until the record is changed, deleted or the person erased.
    UntilRemoved,
    /// A setting in days (`0` keeps it for ever).
    Setting {
        variable: &'static str,
        days: fn(&Retention) -> u32,
        after: &'static str,
    },
    /// A fixed time, or for good (in words).
    Fixed(&'static str),
}

/// A category of personal data.
#[derive(Debug, Clone, Copy)]
pub struct Category {
    pub key: &'static str,
    pub name: &'static str,
    /// Whose data it is.
    pub subjects: &'static str,
    pub purpose: &'static str,
    /// The legal basis (Art. 6 DSGVO) as a data-protection officer writes it.
    pub basis: &'static str,
    pub fields: &'static [Field],
    pub visible_to: &'static str,
    pub published: &'static str,
    pub kept: Kept,
}

use Holds::*;

/// Every category of personal data the service holds in its database.
pub const CATEGORIES: &[Category] = &[
    Category {
        key: "contacts",
        name: "Contact persons of member municipalities",
        subjects: "staff of member municipalities",
        purpose: "Name the people in each member municipality whom the network office, other \
                  members and the public may contact about volunteering.",
        basis: "Art. 6(1)(e) DSGVO (the network's public task) for the internal directory; \
                Art. 6(1)(a) (consent, recorded with the contact) for publication.",
        fields: &[
            field("municipality_contacts", "name", Identity),
            field("municipality_contacts", "role", Text),
            field("municipality_contacts", "email", Identity),
            field("municipality_contacts", "phone", Identity),
            field("municipality_contacts", "publish", Trace),
            field("municipality_contacts", "consent_recorded_at", Trace),
            field("municipality_contacts", "consent_recorded_by", Trace),
            field("municipality_contacts", "consent_withdrawn_at", Trace),
        ],
        visible_to: "Admins and the editors of the contact's own municipality see every \
                     contact whole; everyone else (anonymous readers, other municipalities' \
                     editors, readers) only contacts whose `publish` holds `name`, and only \
                     their published fields.",
        published: "Only with consent, only the fields in `publish`: municipality reads and \
                    lists, embeds and OParl (as Person and Membership). The CSV and GeoJSON exports and the feeds carry \
                    no contacts.",
        kept: Kept::UntilRemoved,
    },
    Category {
        key: "accounts",
        name: "User accounts",
        subjects: "staff of the network office and of member municipalities who sign in",
        purpose: "Sign-in, rights, and naming who changed a record.",
        basis: "Art. 6(1)(e) DSGVO; Art. 5(2) (accountability of changes).",
        fields: &[
            field("users", "name", Identity),
            field("users", "email", Identity),
            field("users", "password_hash", Trace),
            field("api_tokens", "created_by", Trace),
        ],
        visible_to: "Admins; each user their own account (`GET /api/v1/auth/me/data`). The \
                     audit log shows a user's name as the actor of their changes to admins \
                     and to editors of the records.",
        published: "Never.",
        kept: Kept::UntilRemoved,
    },
    Category {
        key: "sessions",
        name: "Sessions",
        subjects: "users who signed in",
        purpose: "Keep a user signed in and end sessions at logout, password change or \
                  deactivation.",
        basis: "Art. 6(1)(e) DSGVO; Art. 32 (security).",
        fields: &[
            field("sessions", "user_id", Trace),
            field("sessions", "created_at", Trace),
            field("sessions", "ended_at", Trace),
            field("refresh_tokens", "user_id", Trace),
            field("refresh_tokens", "created_at", Trace),
            field("refresh_tokens", "used_at", Trace),
        ],
        visible_to: "Nobody through the API but subject access.",
        published: "Never.",
        kept: Kept::Setting {
            variable: "ENGAGIERT_RETAIN_SESSIONS",
            days: |r| r.sessions,
            after: "after the session ended or expired",
        },
    },
    Category {
        key: "login_attempts",
        name: "Failed logins",
        subjects: "anyone who tried to sign in",
        purpose: "Throttle password guessing (10 failures per account and address in 15 \
                  minutes). Stored as keyed hashes of the e-mail and the client address, \
                  never in clear, also for accounts that do not exist.",
        basis: "Art. 6(1)(f) and Art. 32 DSGVO (security).",
        fields: &[
            field("login_failures", "key", Hashed),
            field("login_failures", "at", Trace),
        ],
        visible_to: "Nobody through the API but subject access (counts only).",
        published: "Never.",
        kept: Kept::Setting {
            variable: "ENGAGIERT_RETAIN_LOGIN_ATTEMPTS",
            days: |r| r.login_attempts,
            after: "after the attempt",
        },
    },
    Category {
        key: "speakers",
        name: "Speakers of network meetings",
        subjects: "people who speak at network meetings",
        purpose: "The programme of a network meeting.",
        basis: "Art. 6(1)(e) DSGVO; speakers agree to be named in the programme.",
        fields: &[field("meeting_agenda_items", "speaker", Text)],
        visible_to: "Everyone who may read the meeting.",
        published: "Meeting reads, lists and calendars; not the embeds nor OParl (their \
                    agendas name no speaker).",
        kept: Kept::UntilRemoved,
    },
    Category {
        key: "registration_notes",
        name: "Notes of meeting registrations",
        subjects: "attendees a municipality registers (free text)",
        purpose: "What a municipality tells the network office about its attendees.",
        basis: "Art. 6(1)(e) DSGVO.",
        fields: &[field("meeting_registrations", "note", Text)],
        visible_to: "Admins, readers and the editors of the registering municipality.",
        published: "Never.",
        kept: Kept::UntilRemoved,
    },
    Category {
        key: "free_text",
        name: "Free text that may mention people",
        subjects: "anyone an editor names in a text",
        purpose: "Profiles, documents, meetings and surveys as the editors write them; names \
                  in them are incidental.",
        basis: "Art. 6(1)(e) DSGVO.",
        fields: &[
            field("municipalities", "description", Text),
            field("municipalities", "office_name", Text),
            field("municipalities", "office_email", Text),
            field("municipalities", "office_phone", Text),
            field("municipalities", "office_address", Text),
            field("documents", "title", Text),
            field("documents", "summary", Text),
            field("documents", "body", Text),
            field("meetings", "description", Text),
            field("meeting_agenda_items", "title", Text),
            field("meeting_agenda_items", "description", Text),
            field("attachments", "filename", Text),
            field("api_tokens", "name", Text),
            field("webhooks", "description", Text),
            field("surveys", "description", Text),
            field("survey_answers", "text_value", Text),
        ],
        visible_to: "As the record they belong to.",
        published: "As the record they belong to.",
        kept: Kept::UntilRemoved,
    },
    Category {
        key: "history",
        name: "History of changes (revisions, audit log)",
        subjects: "everyone in the records above, and the users and tokens who changed them",
        purpose: "Who changed what and when (accountability), and restoring an earlier \
                  version.",
        basis: "Art. 6(1)(e) and Art. 5(2) DSGVO.",
        fields: &[
            field("revisions", "patch", Json),
            field("revisions", "snapshot", Json),
            field("revisions", "actor_id", Trace),
        ],
        visible_to: "Admins; editors the history of records they may edit.",
        published: "Never (the change feed carries ids and versions only).",
        kept: Kept::Setting {
            variable: "ENGAGIERT_RETAIN_REVISION_DATA",
            days: |r| r.revision_data,
            after: "the revision's patch and snapshot (who, when and what stay; a record's \
                    latest revision keeps its snapshot)",
        },
    },
    Category {
        key: "webhook_deliveries",
        name: "Webhook deliveries",
        subjects: "whatever a receiver answered (its first KiB) and the change notices sent",
        purpose: "Deliver change notices to the network's integrations, and show why one \
                  failed.",
        basis: "Art. 6(1)(e) DSGVO.",
        fields: &[
            field("webhook_deliveries", "body", Json),
            field("webhook_attempts", "excerpt", Text),
            field("webhook_attempts", "error", Text),
        ],
        visible_to: "Admins.",
        published: "Never.",
        kept: Kept::Setting {
            variable: "ENGAGIERT_RETAIN_DELIVERIES",
            days: |r| r.deliveries,
            after: "after the delivery finished",
        },
    },
    Category {
        key: "idempotency_records",
        name: "Stored answers of retried requests",
        subjects: "everyone in an answer to a POST sent with Idempotency-Key",
        purpose: "Answer a retried request as the first time, so nothing is done twice.",
        basis: "Art. 6(1)(e) DSGVO.",
        fields: &[field("idempotency_keys", "body", Json)],
        visible_to: "The caller who sent the request.",
        published: "Never.",
        kept: Kept::Fixed("24 hours"),
    },
    Category {
        key: "erasures",
        name: "Record of erasures",
        subjects: "admins who erased; the erased person only as counts",
        purpose: "Prove that and when a person's data was erased (Art. 5(2), 17 DSGVO), and \
                  tell an operator which erasures to repeat after restoring a backup.",
        basis: "Art. 6(1)(c) DSGVO.",
        fields: &[
            field("privacy_erasures", "actor_id", Trace),
            field("privacy_erasures", "reason", Text),
        ],
        visible_to: "Admins signed in with a password.",
        published: "Never.",
        kept: Kept::Fixed("for good: the proof that the erasures were made (Art. 5(2) DSGVO)"),
    },
];

/// Columns whose names suggest personal data but that hold none, with the reason.
pub const NOT_PERSONAL: &[(&str, &str, &str)] = &[
    ("municipalities", "name", "the name of a municipality"),
    (
        "municipalities",
        "official_name",
        "the official name of a municipality",
    ),
    (
        "municipalities",
        "search_name",
        "the municipality's name folded for search",
    ),
    ("meetings", "venue_name", "the name of a venue"),
    ("meetings", "venue_address", "the address of a venue"),
    (
        "documents",
        "search_title",
        "derived from the title, rewritten with it (also on erasure)",
    ),
];

/// The words that make a column's name suggest personal data (`ip` only as a whole part of
/// the name: `description` holds it too).
pub const SUGGESTIVE: &[&str] = &["email", "phone", "name", "note", "speaker", "address"];

/// Whether a column's name suggests personal data.
pub fn suggests_personal_data(column: &str) -> bool {
    SUGGESTIVE.iter().any(|word| column.contains(word)) || column.split('_').any(|p| p == "ip")
}

/// Whether the catalogue accounts for `table.column` (as personal data or as not).
pub fn accounts_for(table: &str, column: &str) -> bool {
    CATEGORIES
        .iter()
        .flat_map(|c| c.fields)
        .any(|f| f.table == table && f.column == column)
        || NOT_PERSONAL
            .iter()
            .any(|(t, c, _)| *t == table && *c == column)
}

/// Every catalogued field that holds `holds`.
pub fn fields(holds: Holds) -> impl Iterator<Item = &'static Field> {
    CATEGORIES
        .iter()
        .flat_map(|c| c.fields)
        .filter(move |f| f.holds == holds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_suggest_personal_data() {
        for column in [
            "email",
            "office_phone",
            "speaker",
            "note",
            "client_ip",
            "filename",
        ] {
            assert!(suggests_personal_data(column), "{column}");
        }
        for column in ["description", "title", "id", "at"] {
            assert!(!suggests_personal_data(column), "{column}");
        }
    }

    #[test]
    fn every_field_is_named_once() {
        let mut seen = std::collections::HashSet::new();
        for f in CATEGORIES.iter().flat_map(|c| c.fields) {
            assert!(seen.insert((f.table, f.column)), "{}.{}", f.table, f.column);
        }
    }
}
