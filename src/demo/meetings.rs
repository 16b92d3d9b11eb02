//! The demo meetings of `--dev`.

use crate::history::revisions::{Action, Actor};
use crate::meetings::service::Meetings;
use crate::resource::recording::record_created;
use chrono::{DateTime, Duration, Utc};

use crate::db::{DbConnection, now, utc};
use crate::error::ApiError;
use crate::meetings::api::*;
use crate::meetings::ics;
use crate::meetings::model;
use crate::meetings::registration_model;
use crate::meetings::service::create;

/// Demo meetings for `--dev`, dated relative to today so that the demo always has a past
/// and a future: two past Netzwerktreffen with agendas and registrations, an upcoming one
/// open for registration, a digital short format and a Spitzentreffen. Does nothing when
/// meetings exist. Every description starts with "Demodaten:".
pub fn load(conn: &mut DbConnection) -> Result<usize, ApiError> {
    if model::count_live(conn)? > 0 {
        return Ok(0);
    }
    let unna = live_municipality(conn, "unna")?;
    let paderborn = live_municipality(conn, "paderborn")?;
    let today = ics::berlin(now()).date();
    // A Europe/Berlin wall-clock time `days` from today.
    let at = |days: i64, hour: u32, minute: u32| -> DateTime<Utc> {
        let day = today + Duration::days(days);
        utc(ics::from_berlin(
            day.and_hms_opt(hour, minute, 0).unwrap_or_default(),
        ))
    };
    let item = |position: u32, title: &str, speaker: Option<&str>| AgendaItemInput {
        position: Some(position),
        title: title.to_owned(),
        description: None,
        speaker: speaker.map(str::to_owned),
    };
    let town_hall = |name: &str, address: &str, postal_code: &str, city: &str| Venue {
        name: name.to_owned(),
        address: Some(address.to_owned()),
        postal_code: Some(postal_code.to_owned()),
        city: city.to_owned(),
    };
    let host = |id: &Option<crate::ids::MunicipalityId>| -> Option<uuid::Uuid> {
        id.as_deref().and_then(|id| id.parse().ok())
    };
    let link = |url: &str| crate::types::HttpUrl::parse(url).ok();
    let meetings = [
        (
            MeetingInput {
                kind: MeetingKind::NetworkMeeting,
                title: "Netzwerktreffen Frühjahr: Engagement im Quartier".into(),
                description: Some(
                    "Demodaten: Austausch über lokale Engagementstrategien und die Förderung des \
                     Ehrenamts im Quartier, mit Praxisbeispielen aus den Mitgliedskommunen."
                        .into(),
                ),
                starts_at: at(-200, 10, 0),
                ends_at: at(-200, 15, 30),
                format: MeetingFormat::InPerson,
                venue: Some(town_hall(
                    "Historisches Rathaus, Großer Saal",
                    "Rathausplatz 1",
                    "33098",
                    "Paderborn",
                )),
                online_url: None,
                host_municipality_id: host(&paderborn),
                registration_deadline: Some(at(-214, 23, 59)),
                capacity: Some(80),
                agenda: vec![
                    item(1, "Begrüßung", Some("Stadt Paderborn")),
                    item(
                        2,
                        "Engagement findet zu 80 Prozent vor Ort statt",
                        Some("Netzwerkbüro"),
                    ),
                    item(3, "Praxisbeispiele aus den Kommunen", None),
                    item(4, "Arbeitsgruppen und Ergebnissicherung", None),
                ],
                topics: vec!["quartier".into(), "engagementstrategie".into()],
                document_ids: Vec::new(),
            },
            MeetingStatus::Held,
            vec![(paderborn.clone(), 3), (unna.clone(), 2)],
        ),
        (
            MeetingInput {
                kind: MeetingKind::NetworkMeeting,
                title: "Netzwerktreffen Herbst: Anerkennungskultur und Ehrenamtskarte".into(),
                description: Some(
                    "Demodaten: Wie Kommunen Engagement würdigen – von der Ehrenamtskarte NRW \
                     bis zu lokalen Ehrenamtsagenturen."
                        .into(),
                ),
                starts_at: at(-30, 10, 0),
                ends_at: at(-30, 16, 0),
                format: MeetingFormat::Hybrid,
                venue: Some(town_hall(
                    "Rathaus Unna, Ratssaal",
                    "Rathausplatz 1",
                    "59423",
                    "Unna",
                )),
                online_url: link("https://meet.example.org/netzwerktreffen-herbst"),
                host_municipality_id: host(&unna),
                registration_deadline: Some(at(-44, 23, 59)),
                capacity: Some(60),
                agenda: vec![
                    item(
                        1,
                        "Begrüßung durch die Kreisstadt Unna",
                        Some("Bürgermeister"),
                    ),
                    item(
                        2,
                        "Die Ehrenamtsagentur Unna stellt sich vor",
                        Some("Ehrenamtskoordinatorin"),
                    ),
                    item(3, "Ehrenamtskarte NRW: Erfahrungen und Tipps", None),
                    item(4, "Austausch in Kleingruppen", None),
                ],
                topics: vec!["ehrenamtskarte".into(), "anerkennung".into()],
                document_ids: Vec::new(),
            },
            MeetingStatus::Held,
            vec![(unna.clone(), 4), (paderborn.clone(), 2)],
        ),
        (
            MeetingInput {
                kind: MeetingKind::DigitalShortFormat,
                title: "Digitaler Impuls: Engagement digital fördern".into(),
                description: Some(
                    "Demodaten: 90 Minuten Impuls und Austausch zu digitalen Werkzeugen für \
                     Ehrenamtskoordination."
                        .into(),
                ),
                starts_at: at(21, 14, 0),
                ends_at: at(21, 15, 30),
                format: MeetingFormat::Online,
                venue: None,
                online_url: link("https://meet.example.org/digitaler-impuls"),
                host_municipality_id: None,
                registration_deadline: Some(at(20, 12, 0)),
                capacity: None,
                agenda: vec![
                    item(1, "Impuls", Some("Netzwerkbüro")),
                    item(2, "Fragen und Austausch", None),
                ],
                topics: vec!["digitalisierung".into()],
                document_ids: Vec::new(),
            },
            MeetingStatus::Planned,
            Vec::new(),
        ),
        (
            MeetingInput {
                kind: MeetingKind::NetworkMeeting,
                title: "Netzwerktreffen Frühjahr: Engagementstrategien entwickeln".into(),
                description: Some(
                    "Demodaten: Die Anmeldung ist geöffnet. Gemeinsam erarbeiten wir \
                     Handlungsempfehlungen für Engagementverantwortliche in Kommunen."
                        .into(),
                ),
                starts_at: at(45, 10, 0),
                ends_at: at(45, 15, 30),
                format: MeetingFormat::Hybrid,
                venue: Some(town_hall(
                    "Rathaus Unna, Ratssaal",
                    "Rathausplatz 1",
                    "59423",
                    "Unna",
                )),
                online_url: link("https://meet.example.org/netzwerktreffen"),
                host_municipality_id: host(&unna),
                registration_deadline: Some(at(31, 23, 59)),
                capacity: Some(80),
                agenda: vec![
                    item(1, "Begrüßung", Some("Kreisstadt Unna")),
                    item(2, "Bericht aus dem Netzwerkbüro", Some("Netzwerkbüro")),
                    item(3, "Werkstatt: lokale Engagementstrategien", None),
                    item(4, "Verabredungen und Ausblick", None),
                ],
                topics: vec!["engagementstrategie".into()],
                document_ids: Vec::new(),
            },
            MeetingStatus::Planned,
            vec![(unna.clone(), 2)],
        ),
        (
            MeetingInput {
                kind: MeetingKind::Summit,
                title: "Spitzentreffen der Bürgermeisterinnen, Bürgermeister und Landräte".into(),
                description: Some(
                    "Demodaten: Neue Mitglieder unterzeichnen die Gemeinsame Erklärung des \
                     Kommunen-Netzwerks."
                        .into(),
                ),
                starts_at: at(120, 11, 0),
                ends_at: at(120, 14, 0),
                format: MeetingFormat::InPerson,
                venue: Some(town_hall(
                    "Landeshaus",
                    "Beispielstraße 1",
                    "40213",
                    "Düsseldorf",
                )),
                online_url: None,
                host_municipality_id: None,
                registration_deadline: Some(at(100, 23, 59)),
                capacity: Some(150),
                agenda: vec![
                    item(
                        1,
                        "Begrüßung",
                        Some("Staatssekretärin für Sport und Ehrenamt"),
                    ),
                    item(2, "Unterzeichnung der Gemeinsamen Erklärung", None),
                    item(3, "Empfang", None),
                ],
                topics: vec!["gemeinsame-erklaerung".into()],
                document_ids: Vec::new(),
            },
            MeetingStatus::Planned,
            Vec::new(),
        ),
    ];
    let count = meetings.len();
    for (input, status, registrations) in meetings {
        let row = create(conn, &input)?;
        for (municipality, attendees) in registrations {
            if let Some(municipality) = municipality {
                let registration = registration_model::insert_registration(
                    conn,
                    &row.id,
                    &municipality,
                    attendees,
                    None,
                )?;
                crate::meetings::registrations::record(
                    conn,
                    &Actor::system(),
                    Action::Created,
                    &registration,
                )?;
            }
        }
        if status != MeetingStatus::Planned {
            model::set_status(conn, &row.id, row.version, status)?;
        }
        record_created::<Meetings>(conn, row.id.as_str())?;
    }
    Ok(count)
}

/// The id of the live municipality a key names, if there is one.
fn live_municipality(
    conn: &mut DbConnection,
    key: &str,
) -> Result<Option<crate::ids::MunicipalityId>, ApiError> {
    Ok(crate::municipalities::model::resolve(conn, key)?
        .filter(|m| m.deleted_at.is_none())
        .map(|m| m.id))
}
