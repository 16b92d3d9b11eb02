//! The widgets' markup (maud: every value escaped unless it is the sanitized HTML of
//! `markdown`). A fragment is one root element with `class="eng-<widget>"` and `lang="de"`;
//! it holds no script, no `style` attribute, no event handler and nothing a browser loads by
//! itself; links are absolute. The `eng-*` classes are a public interface (see `/embed/`).

use maud::{Markup, PreEscaped, html};

use super::german;
use crate::documents::api::Document;
use crate::meetings::api::{Meeting, MeetingFormat, MeetingStatus};
use crate::municipalities::api::Municipality;

/// What every widget needs to know of its page: the service's address and the level of
/// the widget's heading.
#[derive(Debug, Clone)]
pub struct Page {
    pub base: String,
    /// 2 to 6 (`heading=`); sub-headings are one level below, at most 6.
    pub level: u8,
}

impl Page {
    fn link(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn sub(&self) -> Page {
        Page {
            base: self.base.clone(),
            level: (self.level + 1).min(6),
        }
    }
}

/// A heading at the page's level.
fn heading(page: &Page, class: &str, content: Markup) -> Markup {
    match page.level {
        ..=2 => html! { h2 class=(class) { (content) } },
        3 => html! { h3 class=(class) { (content) } },
        4 => html! { h4 class=(class) { (content) } },
        5 => html! { h5 class=(class) { (content) } },
        _ => html! { h6 class=(class) { (content) } },
    }
}

fn time(at: chrono::DateTime<chrono::Utc>) -> Markup {
    let at = at.naive_utc();
    html! { time datetime=(german::machine(at)) { (german::date_time(at)) } }
}

fn day(on: chrono::NaiveDate) -> Markup {
    html! { time datetime=(on.to_string()) { (german::date(on)) } }
}

/// The member list.
pub fn members(page: &Page, members: &[Municipality]) -> Markup {
    html! {
        section class="eng-members" lang="de" {
            (heading(page, "eng-members__title", html! { "Mitglieder im Netzwerk" }))
            p class="eng-members__count" { (members.len()) " Kommunen" }
            ul class="eng-members__list" {
                @for member in members {
                    li class="eng-members__item" {
                        a class="eng-members__name" href=(page.link(&format!("/embed/v1/municipalities/{}.html?standalone=true", member.slug))) { (member.name) }
                        " "
                        span class="eng-members__meta" { (german::kind(member.kind)) ", " (german::region(member.region)) }
                    }
                }
            }
        }
    }
}

/// A municipality's card.
pub fn card(page: &Page, m: &Municipality) -> Markup {
    let sub = page.sub();
    html! {
        article class="eng-card" lang="de" {
            (heading(page, "eng-card__title", html! { (m.name) }))
            dl class="eng-card__facts" {
                dt { "Art" } dd { (german::kind(m.kind)) }
                dt { "Region" } dd { (german::region(m.region)) }
                @if let Some(joined) = m.membership.joined_on {
                    dt { "Mitglied seit" } dd { (day(joined)) }
                }
                @if let Some(website) = &m.website {
                    dt { "Website" } dd { a class="eng-card__website" href=(website) { (website) } }
                }
            }
            @if let Some(html) = &m.description_html {
                div class="eng-card__description" { (PreEscaped(html)) }
            }
            @if let Some(office) = &m.engagement_office {
                section class="eng-card__office" {
                    (heading(&sub, "eng-card__subtitle", html! { "Anlaufstelle für Engagement" }))
                    p class="eng-card__office-name" {
                        @if let Some(url) = &office.url { a href=(url.as_str()) { (office.name) } } @else { (office.name) }
                    }
                    @if let Some(address) = &office.address { p class="eng-card__address" { (address) } }
                    @if let Some(email) = &office.email { p { a href=(format!("mailto:{}", email.as_str())) { (email.as_str()) } } }
                    @if let Some(phone) = &office.phone { p { (phone) } }
                }
            }
            @if !m.contacts.is_empty() {
                section class="eng-card__contacts" {
                    (heading(&sub, "eng-card__subtitle", html! { "Ansprechpersonen" }))
                    ul class="eng-card__contact-list" {
                        @for contact in &m.contacts {
                            li class="eng-card__contact" {
                                span class="eng-card__contact-name" { (contact.name) }
                                @if let Some(role) = &contact.role { ", " span class="eng-card__contact-role" { (role) } }
                                @if let Some(email) = &contact.email { br; a href=(format!("mailto:{email}")) { (email) } }
                                @if let Some(phone) = &contact.phone { br; span class="eng-card__contact-phone" { (phone) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn place(meeting: &Meeting) -> String {
    let venue = meeting
        .venue
        .as_ref()
        .map(|v| format!("{}, {}", v.name, v.city));
    match (meeting.format, venue) {
        (MeetingFormat::Online, _) | (_, None) => "Online".into(),
        (MeetingFormat::Hybrid, Some(venue)) => format!("{venue} und online"),
        (_, Some(venue)) => venue,
    }
}

/// The list of meetings.
pub fn meetings(page: &Page, meetings: &[Meeting]) -> Markup {
    let sub = page.sub();
    html! {
        section class="eng-meetings" lang="de" {
            (heading(page, "eng-meetings__title", html! { "Termine des Netzwerks" }))
            @if meetings.is_empty() {
                p class="eng-meetings__empty" { "Zurzeit sind keine Termine angekündigt." }
            } @else {
                ul class="eng-meetings__list" {
                    @for meeting in meetings {
                        li class="eng-meetings__item" {
                            (heading(&sub, "eng-meetings__name", html! {
                                a href=(page.link(&format!("/embed/v1/meetings/{}.html?standalone=true", meeting.id))) { (meeting.title) }
                            }))
                            p class="eng-meetings__when" { (time(meeting.starts_at)) }
                            p class="eng-meetings__where" { (place(meeting)) }
                            p class="eng-meetings__kind" { (meeting.kind.label()) }
                            @if meeting.status == MeetingStatus::Cancelled {
                                p class="eng-meetings__cancelled" { strong { "Abgesagt" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The list of documents.
pub fn documents(page: &Page, documents: &[Document]) -> Markup {
    let sub = page.sub();
    html! {
        section class="eng-documents" lang="de" {
            (heading(page, "eng-documents__title", html! { "Praxisbeispiele und Empfehlungen" }))
            @if documents.is_empty() {
                p class="eng-documents__empty" { "Noch keine Dokumente veröffentlicht." }
            } @else {
                ul class="eng-documents__list" {
                    @for document in documents {
                        li class="eng-documents__item" {
                            (heading(&sub, "eng-documents__name", html! {
                                a href=(page.link(&format!("/embed/v1/documents/{}.html?standalone=true", document.id))) { (document.title) }
                            }))
                            p class="eng-documents__meta" {
                                (document.kind.label())
                                @if let Some(published) = document.published_at {
                                    ", veröffentlicht am " (day(german::day(published.naive_utc())))
                                }
                            }
                            @if let Some(summary) = &document.summary_html {
                                div class="eng-documents__summary" { (PreEscaped(summary)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A document's own page.
pub fn document(page: &Page, document: &Document) -> Markup {
    let sub = page.sub();
    html! {
        article class="eng-document" lang="de" {
            (heading(page, "eng-document__title", html! { (document.title) }))
            p class="eng-document__meta" {
                (document.kind.label())
                @if let Some(published) = document.published_at {
                    ", veröffentlicht am " (day(german::day(published.naive_utc())))
                }
            }
            @if let Some(summary) = &document.summary_html { div class="eng-document__summary" { (PreEscaped(summary)) } }
            @if let Some(body) = &document.body_html { div class="eng-document__body" { (PreEscaped(body)) } }
            @if !document.attachments.is_empty() {
                section class="eng-document__files" {
                    (heading(&sub, "eng-document__subtitle", html! { "Dateien" }))
                    ul {
                        @for file in &document.attachments {
                            li { a href=(page.link(&file.url)) { (file.filename) } " (" (file.size_bytes / 1024 + 1) " KB)" }
                        }
                    }
                }
            }
        }
    }
}

/// A meeting's own page.
pub fn meeting(page: &Page, meeting: &Meeting) -> Markup {
    let sub = page.sub();
    html! {
        article class="eng-meeting" lang="de" {
            (heading(page, "eng-meeting__title", html! { (meeting.title) }))
            @if meeting.status == MeetingStatus::Cancelled {
                p class="eng-meeting__cancelled" { strong { "Abgesagt" } }
            }
            dl class="eng-meeting__facts" {
                dt { "Beginn" } dd { (time(meeting.starts_at)) }
                dt { "Ende" } dd { (time(meeting.ends_at)) }
                dt { "Ort" } dd { (place(meeting)) }
                dt { "Format" } dd { (meeting.kind.label()) }
            }
            @if let Some(html) = &meeting.description_html { div class="eng-meeting__description" { (PreEscaped(html)) } }
            @if !meeting.agenda.is_empty() {
                section class="eng-meeting__agenda" {
                    (heading(&sub, "eng-meeting__subtitle", html! { "Tagesordnung" }))
                    ol {
                        @for item in &meeting.agenda { li { (item.title) } }
                    }
                }
            }
        }
    }
}
