//! The membership chart: members over time as an SVG step line, from the same figures as
//! `/api/v1/stats/membership`. `role="img"`, a `<title>` and a `<desc>` that says the figures
//! in words, so a screen reader (and a search engine) gets what the eye gets. Colours are
//! presentation attributes with `currentColor`, so the site's text colour paints it.

use chrono::NaiveDate;
use maud::{Markup, html};

use super::german;
use crate::stats::MembershipStats;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 320.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 40.0;
const TOP: f64 = 16.0;
const RIGHT: f64 = 16.0;

/// The figures in words: today's count and every change.
pub fn description(stats: &MembershipStats) -> String {
    let mut text = format!(
        "{} Mitgliedskommunen am {}.",
        stats.members,
        german::date(stats.on)
    );
    if !stats.timeline.is_empty() {
        let points: Vec<String> = stats
            .timeline
            .iter()
            .map(|p| format!("{}: {}", german::date(p.date), p.members))
            .collect();
        text.push_str(" Verlauf: ");
        text.push_str(&points.join("; "));
        text.push('.');
    }
    text
}

pub fn chart(stats: &MembershipStats) -> Markup {
    let first = stats.timeline.first().map_or(stats.on, |p| p.date);
    let last = stats.on.max(first);
    let span = ((last - first).num_days().max(1)) as f64;
    let top = stats
        .timeline
        .iter()
        .map(|p| p.members)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let x = |day: NaiveDate| LEFT + (day - first).num_days() as f64 / span * (WIDTH - LEFT - RIGHT);
    let y = |count: i64| HEIGHT - BOTTOM - count as f64 / top * (HEIGHT - BOTTOM - TOP);
    let mut points = Vec::new();
    let mut previous = 0;
    for point in &stats.timeline {
        points.push(format!("{:.1},{:.1}", x(point.date), y(previous)));
        points.push(format!("{:.1},{:.1}", x(point.date), y(point.members)));
        previous = point.members;
    }
    points.push(format!("{:.1},{:.1}", x(last), y(previous)));
    let title = format!("Mitglieder des Netzwerks: {}", stats.members);
    html! {
        svg xmlns="http://www.w3.org/2000/svg" class="eng-chart" role="img" lang="de"
            viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) aria-labelledby="eng-chart-title eng-chart-desc" {
            title id="eng-chart-title" { (title) }
            desc id="eng-chart-desc" { (description(stats)) }
            line x1=(LEFT) y1=(HEIGHT - BOTTOM) x2=(WIDTH - RIGHT) y2=(HEIGHT - BOTTOM) stroke="currentColor" stroke-width="1" {}
            line x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(HEIGHT - BOTTOM) stroke="currentColor" stroke-width="1" {}
            text x=(LEFT - 6.0) y=(y(top as i64) + 4.0) text-anchor="end" font-size="12" fill="currentColor" { (top as i64) }
            text x=(LEFT - 6.0) y=(HEIGHT - BOTTOM + 4.0) text-anchor="end" font-size="12" fill="currentColor" { "0" }
            text x=(LEFT) y=(HEIGHT - 12.0) font-size="12" fill="currentColor" { (first.format("%Y")) }
            text x=(WIDTH - RIGHT) y=(HEIGHT - 12.0) text-anchor="end" font-size="12" fill="currentColor" { (last.format("%Y")) }
            polyline class="eng-chart__line" points=(points.join(" ")) fill="none" stroke="currentColor" stroke-width="3" {}
        }
    }
}
