//! Whole pages: a widget standing alone for an iframe (`standalone=true`), and the showcase
//! at `/embed/` that a municipal web team reads — each widget live, its parameters, the
//! snippets to copy and the promise that keeps their site working.

use maud::{DOCTYPE, Markup, html};

use super::{Site, chart, views};
use crate::documents::api::Document;
use crate::error::ApiError;
use crate::meetings::api::Meeting;
use crate::municipalities::api::Municipality;
use crate::stats::MembershipStats;

/// The stylesheet, served at `/embed/v1/engagiert.css` and meant to be copied.
pub const STYLESHEET: &str = include_str!("engagiert.css");

/// The showcase loads its stylesheet from here and nothing else.
pub const SHOWCASE_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// How a widget is laid out: its heading level and whether it stands alone.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub level: u8,
    pub standalone: bool,
}

impl Layout {
    pub fn of(heading: Option<u8>, standalone: Option<bool>) -> Result<Self, ApiError> {
        let level = heading.unwrap_or(2);
        if !(2..=6).contains(&level) {
            return Err(ApiError::bad_request(
                "`heading` must be 2 to 6 (the level of the widget's heading on your page)",
            ));
        }
        Ok(Layout {
            level,
            standalone: standalone.unwrap_or(false),
        })
    }

    pub fn page(&self, site: &Site) -> views::Page {
        views::Page {
            base: site.base.clone(),
            level: self.level,
        }
    }
}

fn head(site: &Site, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) }
            link rel="stylesheet" href=(format!("{}/embed/v1/engagiert.css", site.base));
        }
    }
}

/// A widget as a whole page for an iframe.
pub fn standalone(site: &Site, title: &str, fragment: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="de" {
            (head(site, title))
            body { main { (fragment) } }
        }
    }
}

/// One widget on the showcase: what it is, its parameters, it live, and how to include it.
fn widget(site: &Site, path: &str, what: &str, parameters: &str, live: Markup) -> Markup {
    let url = format!("{}{path}", site.base);
    let curl = format!(
        "# crontab: every 15 minutes\n*/15 * * * * curl -fsS -o /var/www/includes/engagiert.html.new '{url}' && mv /var/www/includes/engagiert.html.new /var/www/includes/engagiert.html"
    );
    let php = format!(
        "<?php\n$html = @file_get_contents('{url}');\nif ($html !== false) {{ file_put_contents(__DIR__ . '/engagiert.html', $html); }}\nreadfile(__DIR__ . '/engagiert.html');"
    );
    let iframe = format!(
        "<iframe src=\"{url}{}standalone=true\" title=\"{what}\" width=\"100%\" height=\"600\" loading=\"lazy\"></iframe>",
        if path.contains('?') { "&" } else { "?" }
    );
    html! {
        section class="eng-showcase__widget" {
            h2 { (what) }
            p { code { (url) } }
            p { (parameters) }
            h3 { "So sieht es aus" }
            div class="eng-showcase__live" { (live) }
            h3 { "Serverseitig einbinden (empfohlen)" }
            pre { code { (curl) } }
            pre { code { (php) } }
            h3 { "Als iframe (Notlösung)" }
            pre { code { (iframe) } }
        }
    }
}

/// The page a municipal web team reads.
pub fn showcase(
    site: &Site,
    members: &[Municipality],
    meetings: &[Meeting],
    documents: &[Document],
    stats: &MembershipStats,
) -> Markup {
    // Under the showcase's h2 per widget and its h3 "live" heading.
    let page = views::Page {
        base: site.base.clone(),
        level: 4,
    };
    let card = members.first().map(|m| views::card(&page, m));
    let card_path = members
        .first()
        .map_or("/embed/v1/municipalities/unna.html".to_owned(), |m| {
            format!("/embed/v1/municipalities/{}.html", m.slug)
        });
    html! {
        (DOCTYPE)
        html lang="de" {
            (head(site, "Einbinden: Kommunen-Netzwerk engagiert in NRW"))
            body {
                main class="eng-showcase" {
                    h1 { "Daten des Netzwerks auf Ihrer Website" }
                    p { "Fertiges HTML für die Website Ihrer Kommune: Mitgliederliste, Steckbrief, Termine, Dokumente und ein Diagramm. \
                         Ihr CMS lädt die Bausteine serverseitig (Cronjob, Include, Plugin) – die Besucherinnen und Besucher Ihrer Seite \
                         nehmen so keinen Kontakt zu diesem Dienst auf, es gibt keine Cookies, keine Skripte, keine Schriften oder Bilder \
                         von fremden Servern." }
                    h2 { "Zusagen" }
                    ul {
                        li { "Jeder Baustein ist ein Element mit der Klasse " code { "eng-<baustein>" } " und " code { "lang=\"de\"" } ". \
                              Die Klassen " code { "eng-*" } " und der Aufbau ändern sich nur mit einer neuen Version (" code { "/embed/v2" } ")." }
                        li { "Aktualisieren Sie alle 15 Minuten; mit " code { "If-None-Match" } " kostet eine unveränderte Antwort nur ein 304." }
                        li { "Antwortet ein Baustein 404 oder 410 (Kommune oder Dokument gelöscht), entfernen Sie ihn; \
                              bei 5xx oder ohne Verbindung zeigen Sie die letzte Kopie weiter." }
                        li { "Parameter für alle: " code { "heading=2..6" } " (Ebene der Überschrift, Standard 2), " code { "standalone=true" } " (ganze Seite für ein iframe)." }
                        li { "Das Stylesheet " a href=(format!("{}/embed/v1/engagiert.css", site.base)) { "engagiert.css" } " ist optional: kopieren Sie es \
                              auf Ihre Website und passen Sie die Eigenschaften " code { "--eng-*" } " an." }
                    }
                    (widget(site, "/embed/v1/members.html", "Mitgliederliste", "Filter: region, kind, district_id, status (Standard: aktuelle Mitglieder).", views::members(&page, members)))
                    @if let Some(card) = card {
                        (widget(site, &card_path, "Steckbrief einer Kommune", "Schlüssel: UUID, AGS oder Kurzname. Ansprechpersonen nur mit ihrer Einwilligung.", card))
                    }
                    (widget(site, "/embed/v1/meetings.html", "Termine", "Filter: from, to, kind, limit (Standard: kommende, 10).", views::meetings(&page, meetings)))
                    (widget(site, "/embed/v1/documents.html", "Dokumente", "Filter: kind, topic, limit (Standard: neueste veröffentlichte, 10).", views::documents(&page, documents)))
                    (widget(site, "/embed/v1/membership.svg", "Mitglieder im Zeitverlauf", "Ein SVG mit Titel und Beschreibung der Zahlen; binden Sie es wie die Bausteine ein (inline).", chart::chart(stats)))
                }
            }
        }
    }
}
