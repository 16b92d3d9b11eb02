//! Consent (Art. 7 DSGVO): what anyone sees of a contact person. A contact is shown to
//! everyone — anonymous readers, exports, feeds, embeds, OParl, and the editors and readers
//! of other municipalities (need to know) — only when `name` is among the fields the person
//! agreed to publish, and then only those fields. Admins and the editors of the contact's
//! own municipality see it whole. [`visible`] is the one place that decides it; every output
//! goes through it.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::history::revisions::{Actor, ActorKind};

crate::text_enum! {
    /// A field of a contact that its person may agree to publish.
    pub enum ContactField {
        Name = "name",
        Role = "role",
        Email = "email",
        Phone = "phone",
    }
}

/// The fields a person agreed to show to everyone, in canonical order without repeats;
/// empty is internal only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Publish(Vec<ContactField>);

impl Publish {
    /// All four fields: what a contact that was `public` before consent was recorded means.
    pub fn all() -> Self {
        Publish(ContactField::ALL.to_vec())
    }

    /// The canonical set of `fields` (order and repeats do not matter).
    pub fn of(fields: &[ContactField]) -> Self {
        Publish(
            ContactField::ALL
                .iter()
                .copied()
                .filter(|f| fields.contains(f))
                .collect(),
        )
    }

    /// As stored: the field names comma-separated ('' for none); unknown names are dropped.
    pub fn from_stored(text: &str) -> Self {
        let fields: Vec<ContactField> = text.split(',').filter_map(ContactField::parse).collect();
        Publish::of(&fields)
    }

    pub fn stored(&self) -> String {
        self.0
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn fields(&self) -> &[ContactField] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, field: ContactField) -> bool {
        self.0.contains(&field)
    }

    /// The fields in both (a restore never widens what the person agreed to now).
    pub fn narrowed_to(&self, other: &Publish) -> Publish {
        Publish(
            self.0
                .iter()
                .copied()
                .filter(|f| other.contains(*f))
                .collect(),
        )
    }
}

/// The record of a consent, kept with the contact: when and by whom it was recorded, and
/// when it was withdrawn.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentRecord {
    pub recorded_at: Option<NaiveDateTime>,
    pub recorded_by: Option<Actor>,
    pub withdrawn_at: Option<NaiveDateTime>,
}

/// A contact's personal fields; `None` where it has none or where it is not shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonFields {
    pub name: String,
    pub role: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Who is looking at a municipality's contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Admins and the editors (users or tokens) of the contact's own municipality.
    Whole,
    /// Everyone else: anonymous readers, other municipalities' editors, readers.
    Public,
}

impl Audience {
    /// How `who` sees the contacts of `municipality_id`.
    pub fn of(who: Option<&AuthUser>, municipality_id: &str) -> Self {
        match who {
            Some(user) if user.acts_for(municipality_id) => Audience::Whole,
            _ => Audience::Public,
        }
    }

    /// Everyone's view: the outputs that are the same for every reader (exports, feeds,
    /// embeds, OParl).
    pub fn everyone() -> Self {
        Audience::Public
    }
}

/// What `audience` sees of a contact with these `fields` and this `publish`: everything,
/// nothing (its name is not published), or its published fields.
pub fn visible(
    fields: &PersonFields,
    publish: &Publish,
    audience: Audience,
) -> Option<PersonFields> {
    if audience == Audience::Whole {
        return Some(fields.clone());
    }
    if !publish.contains(ContactField::Name) {
        return None;
    }
    let shown = |field, value: &Option<String>| {
        if publish.contains(field) {
            value.clone()
        } else {
            None
        }
    };
    Some(PersonFields {
        name: fields.name.clone(),
        role: shown(ContactField::Role, &fields.role),
        email: shown(ContactField::Email, &fields.email),
        phone: shown(ContactField::Phone, &fields.phone),
    })
}

/// What a client asked for a contact's `publish`: the list, the deprecated `public` flag,
/// or nothing (keep what it has).
#[derive(Debug, Clone, Copy)]
pub enum Requested<'a> {
    Publish(&'a Publish),
    Public(bool),
    Keep,
}

/// The stored state of a contact a write replaces, matched by its id.
pub struct Previous<'a> {
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub publish: Publish,
    pub consent: ConsentRecord,
}

/// The `publish` and consent record a contact has after a write by `actor` at `now`.
/// Consent is recorded when `publish` becomes non-empty or changes, withdrawn when it
/// becomes empty, and reset when the name or e-mail changes: another person holds the role,
/// and that person has not agreed to anything yet.
pub fn settle(
    previous: Option<&Previous<'_>>,
    name: &str,
    email: Option<&str>,
    requested: Requested<'_>,
    actor: &Actor,
    now: NaiveDateTime,
) -> (Publish, ConsentRecord) {
    let same_person = previous.is_some_and(|p| {
        p.name.trim() == name.trim()
            && p.email.map(str::to_lowercase) == email.map(str::to_lowercase)
    });
    let (before, record) = match previous {
        Some(p) if same_person => (p.publish.clone(), p.consent.clone()),
        _ => (Publish::default(), ConsentRecord::default()),
    };
    if previous.is_some() && !same_person {
        return (Publish::default(), ConsentRecord::default());
    }
    let wanted = match requested {
        Requested::Publish(publish) => publish.clone(),
        Requested::Public(false) => Publish::default(),
        Requested::Public(true) if !before.is_empty() => before.clone(),
        Requested::Public(true) => Publish::all(),
        Requested::Keep => before.clone(),
    };
    if wanted == before {
        return (before, record);
    }
    if wanted.is_empty() {
        let record = ConsentRecord {
            withdrawn_at: Some(now),
            ..record
        };
        return (wanted, record);
    }
    let record = ConsentRecord {
        recorded_at: Some(now),
        recorded_by: Some(actor.clone()),
        withdrawn_at: None,
    };
    (wanted, record)
}

/// Who recorded a consent, as shown: the user or token, or the service itself (migration,
/// import from the command line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RecordedBy {
    /// `user`, `token` or `system`.
    #[schema(example = "user")]
    pub kind: ActorKind,
    /// The user's or token's id; absent for the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e")]
    pub id: Option<String>,
}

impl From<&Actor> for RecordedBy {
    fn from(actor: &Actor) -> Self {
        RecordedBy {
            kind: actor.kind,
            id: actor.id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .unwrap_or_default()
    }

    fn previous(publish: Publish) -> Previous<'static> {
        Previous {
            name: "Erika Mustermann",
            email: Some("erika@unna.example"),
            publish,
            consent: ConsentRecord {
                recorded_at: Some(at(1)),
                recorded_by: Some(Actor::system()),
                withdrawn_at: None,
            },
        }
    }

    #[test]
    fn publish_is_canonical() {
        let p = Publish::of(&[ContactField::Phone, ContactField::Name, ContactField::Phone]);
        assert_eq!(p.stored(), "name,phone");
        assert_eq!(Publish::from_stored("phone,name,bogus"), p);
        assert!(Publish::from_stored("").is_empty());
    }

    #[test]
    fn unpublished_name_hides_the_contact_and_fields_show_only_as_agreed() {
        let fields = PersonFields {
            name: "E".into(),
            role: Some("R".into()),
            email: Some("e@x.example".into()),
            phone: Some("1".into()),
        };
        let role_only = Publish::of(&[ContactField::Role]);
        assert_eq!(visible(&fields, &role_only, Audience::Public), None);
        let name_phone = Publish::of(&[ContactField::Name, ContactField::Phone]);
        let shown = visible(&fields, &name_phone, Audience::Public);
        assert_eq!(shown.as_ref().map(|s| s.email.clone()), Some(None));
        assert_eq!(shown.map(|s| s.phone), Some(Some("1".into())));
        assert_eq!(
            visible(&fields, &Publish::default(), Audience::Whole),
            Some(fields)
        );
    }

    #[test]
    fn consent_is_recorded_withdrawn_and_reset() {
        let actor = Actor::system();
        let none = previous(Publish::default());
        let all = Publish::all();
        let (p, r) = settle(
            Some(&none),
            "Erika Mustermann",
            Some("erika@unna.example"),
            Requested::Publish(&all),
            &actor,
            at(2),
        );
        assert_eq!((p, r.recorded_at), (Publish::all(), Some(at(2))));
        let some = previous(Publish::all());
        let (p, r) = settle(
            Some(&some),
            "Erika Mustermann",
            Some("ERIKA@unna.example"),
            Requested::Public(false),
            &actor,
            at(3),
        );
        assert_eq!(
            (p.is_empty(), r.recorded_at, r.withdrawn_at),
            (true, Some(at(1)), Some(at(3)))
        );
        let (p, r) = settle(
            Some(&some),
            "Erika Mustermann",
            Some("erika@unna.example"),
            Requested::Keep,
            &actor,
            at(3),
        );
        assert_eq!((p, r.recorded_at), (Publish::all(), Some(at(1))));
        let (p, r) = settle(
            Some(&some),
            "Max Mustermann",
            Some("erika@unna.example"),
            Requested::Keep,
            &actor,
            at(4),
        );
        assert_eq!((p.is_empty(), r), (true, ConsentRecord::default()));
        let (p, _) = settle(
            Some(&some),
            "Erika Mustermann",
            Some("erika@unna.example"),
            Requested::Public(true),
            &actor,
            at(4),
        );
        assert_eq!(p, Publish::all());
        let (p, r) = settle(None, "Neu", None, Requested::Keep, &actor, at(5));
        assert_eq!((p.is_empty(), r), (true, ConsentRecord::default()));
    }
}
