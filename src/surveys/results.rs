//! The results of a survey, computed from its questions, the stored answers, who answered
//! and the membership facts: pure functions, so every figure can be checked by hand.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};

use super::api::{Question, QuestionKind, SurveyStatus};
use super::response_api::{
    Breakdowns, GroupCount, OptionCount, QuestionResult, SurveyResults, ValueCount, json_number,
};
use super::values::{AnswerValue, ValidAnswer};
use crate::municipalities::model::MembershipFacts;
use crate::municipalities::values::{Kind, Region};

/// Groups with fewer responses than this are not shown.
pub const MIN_GROUP: usize = 5;

/// Everything the results are computed from.
pub struct Inputs<'a> {
    pub survey_id: &'a str,
    pub status: SurveyStatus,
    pub anonymous: bool,
    pub questions: &'a [Question],
    /// The answers of each response.
    pub responses: &'a [Vec<ValidAnswer>],
    /// Kind and region of each responding municipality.
    pub respondents: &'a [(Kind, Region)],
    pub members: &'a [MembershipFacts],
    /// The day members are counted on (`member_day`).
    pub day: NaiveDate,
    /// Whether text answers are shown (not to non-admins in anonymous surveys).
    pub show_texts: bool,
}

pub fn compute(inputs: &Inputs<'_>) -> SurveyResults {
    let members = members_on(inputs.members, inputs.day);
    let responses = inputs.responses.len();
    let questions = inputs
        .questions
        .iter()
        .map(|question| {
            let answers: Vec<&AnswerValue> = inputs
                .responses
                .iter()
                .filter_map(|response| response.iter().find(|a| a.question_id == question.id))
                .map(|a| &a.value)
                .collect();
            question_result(question, &answers, inputs.show_texts)
        })
        .collect();
    SurveyResults {
        survey_id: inputs.survey_id.to_owned(),
        status: inputs.status,
        anonymous: inputs.anonymous,
        responses,
        members,
        members_on: inputs.day,
        response_rate: share(responses, members),
        questions,
        breakdowns: breakdowns(inputs.respondents),
    }
}

/// The day the response rate counts members on (rule 15): the day the survey closed —
/// its `closes_at`, or the day it was closed if that came first — and today while it has
/// not closed (but never after `closes_at`).
pub fn member_day(
    status: SurveyStatus,
    closes_at: NaiveDateTime,
    closed_at: Option<NaiveDateTime>,
    today: NaiveDate,
) -> NaiveDate {
    match status {
        SurveyStatus::Closed => closed_at.map_or(closes_at, |c| c.min(closes_at)).date(),
        SurveyStatus::Draft | SurveyStatus::Open => today.min(closes_at.date()),
    }
}

pub fn members_on(facts: &[MembershipFacts], day: NaiveDate) -> usize {
    facts
        .iter()
        .filter(|(_, _, joined, left)| {
            crate::municipalities::values::was_member(day, *joined, *left)
        })
        .count()
}

/// `part / whole`, 0 when `whole` is 0.
pub fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(values.iter().sum::<f64>() / values.len() as f64)
}

/// The middle value, or the mean of the two middle values.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// Each distinct value with its count, ascending.
pub fn distinct_counts(values: &[f64]) -> Vec<ValueCount> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut groups: Vec<(f64, usize)> = Vec::new();
    for value in sorted {
        let repeated = groups.last().is_some_and(|(last, _)| *last == value);
        if !repeated {
            groups.push((value, 0));
        }
        if let Some(group) = groups.last_mut() {
            group.1 += 1;
        }
    }
    groups
        .into_iter()
        .map(|(value, count)| ValueCount {
            value: json_number(value),
            count,
        })
        .collect()
}

pub fn question_result(
    question: &Question,
    answers: &[&AnswerValue],
    show_texts: bool,
) -> QuestionResult {
    let answered = answers.len();
    let mut result = QuestionResult {
        question_id: question.id.clone(),
        position: question.position,
        kind: question.kind,
        text: question.text.clone(),
        answered,
        options: Vec::new(),
        yes: None,
        no: None,
        mean: None,
        median: None,
        distribution: Vec::new(),
        text_answers: None,
    };
    match question.kind {
        QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
            result.options = question
                .options
                .iter()
                .map(|option| {
                    let count = answers
                        .iter()
                        .filter(
                            |a| matches!(a, AnswerValue::Options(ids) if ids.contains(&option.id)),
                        )
                        .count();
                    OptionCount {
                        option_id: option.id.clone(),
                        label: option.label.clone(),
                        count,
                        share: share(count, answered),
                    }
                })
                .collect();
        }
        QuestionKind::YesNo => {
            let count = |wanted: bool| {
                answers
                    .iter()
                    .filter(|a| matches!(a, AnswerValue::Bool(b) if *b == wanted))
                    .count()
            };
            result.yes = Some(count(true));
            result.no = Some(count(false));
        }
        QuestionKind::Scale | QuestionKind::Number => {
            let values: Vec<f64> = answers
                .iter()
                .filter_map(|a| match a {
                    AnswerValue::Number(n) => Some(*n),
                    _ => None,
                })
                .collect();
            result.mean = mean(&values);
            result.median = median(&values);
            result.distribution = match (&question.scale, question.kind) {
                (Some(scale), QuestionKind::Scale) => (scale.min..=scale.max)
                    .map(|value| ValueCount {
                        value: serde_json::Number::from(value),
                        count: values.iter().filter(|v| **v == f64::from(value)).count(),
                    })
                    .collect(),
                _ => distinct_counts(&values),
            };
        }
        QuestionKind::Text => {
            if show_texts {
                // Alphabetical, so that the order tells nothing about who answered when.
                let mut texts: Vec<String> = answers
                    .iter()
                    .filter_map(|a| match a {
                        AnswerValue::Text(text) => Some(text.clone()),
                        _ => None,
                    })
                    .collect();
                texts.sort();
                result.text_answers = Some(texts);
            }
        }
    }
    result
}

/// Response counts by region and by kind, every group listed, small groups suppressed.
pub fn breakdowns(respondents: &[(Kind, Region)]) -> Breakdowns {
    let by_region: Vec<(String, usize)> = Region::ALL
        .iter()
        .map(|region| {
            let count = respondents.iter().filter(|(_, r)| r == region).count();
            (region.to_string(), count)
        })
        .collect();
    let by_kind: Vec<(String, usize)> = Kind::ALL
        .iter()
        .map(|kind| {
            let count = respondents.iter().filter(|(k, _)| k == kind).count();
            (kind.to_string(), count)
        })
        .collect();
    Breakdowns {
        by_region: suppress(&by_region),
        by_kind: suppress(&by_kind),
    }
}

/// Hides every count below `MIN_GROUP`. When that hides exactly one group, its count would
/// follow from the total and the others, so the smallest shown group is hidden as well.
pub fn suppress(counts: &[(String, usize)]) -> BTreeMap<String, GroupCount> {
    let mut hidden: Vec<bool> = counts.iter().map(|(_, count)| *count < MIN_GROUP).collect();
    if hidden.iter().filter(|h| **h).count() == 1
        && let Some(next) = (0..counts.len())
            .filter(|i| !hidden[*i])
            .min_by_key(|i| (counts[*i].1, *i))
    {
        hidden[next] = true;
    }
    counts
        .iter()
        .zip(hidden)
        .map(|((group, count), hidden)| {
            (
                group.clone(),
                GroupCount {
                    count: (!hidden).then_some(*count),
                    suppressed: hidden,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surveys::api::{QuestionOption, Scale};

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn t(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn question(id: &str, position: i32, kind: QuestionKind) -> Question {
        Question {
            id: id.into(),
            position,
            kind,
            text: format!("Frage {position}"),
            help: None,
            required: false,
            options: Vec::new(),
            scale: None,
            range: None,
        }
    }

    fn questions() -> Vec<Question> {
        let mut single = question("q1", 1, QuestionKind::SingleChoice);
        single.options = ["a", "b", "c"]
            .iter()
            .map(|id| QuestionOption {
                id: (*id).into(),
                label: id.to_uppercase(),
            })
            .collect();
        let mut multiple = question("q2", 2, QuestionKind::MultipleChoice);
        multiple.options = ["x", "y", "z"]
            .iter()
            .map(|id| QuestionOption {
                id: (*id).into(),
                label: id.to_uppercase(),
            })
            .collect();
        let mut scale = question("q3", 3, QuestionKind::Scale);
        scale.scale = Some(Scale {
            min: 1,
            max: 5,
            min_label: None,
            max_label: None,
        });
        vec![
            single,
            multiple,
            scale,
            question("q4", 4, QuestionKind::YesNo),
            question("q5", 5, QuestionKind::Number),
            question("q6", 6, QuestionKind::Text),
        ]
    }

    fn answer(question_id: &str, value: AnswerValue) -> ValidAnswer {
        ValidAnswer {
            question_id: question_id.into(),
            value,
        }
    }

    fn options(ids: &[&str]) -> AnswerValue {
        AnswerValue::Options(ids.iter().map(|id| (*id).to_owned()).collect())
    }

    /// Four responses; the figures in `results_match_hand_computed_figures` follow from them.
    fn responses() -> Vec<Vec<ValidAnswer>> {
        use AnswerValue::{Bool, Number, Text};
        vec![
            vec![
                answer("q1", options(&["a"])),
                answer("q2", options(&["x", "y"])),
                answer("q3", Number(5.0)),
                answer("q4", Bool(true)),
                answer("q5", Number(120.0)),
                answer("q6", Text("Mehr Austausch".into())),
            ],
            vec![
                answer("q1", options(&["a"])),
                answer("q2", options(&["y"])),
                answer("q3", Number(4.0)),
                answer("q4", Bool(false)),
                answer("q5", Number(35.0)),
                answer("q6", Text("Fortbildungen".into())),
            ],
            vec![
                answer("q1", options(&["b"])),
                answer("q2", options(&["x", "y", "z"])),
                answer("q3", Number(4.0)),
                answer("q4", Bool(true)),
                answer("q5", Number(80.5)),
            ],
            vec![
                answer("q1", options(&["c"])),
                answer("q3", Number(2.0)),
                answer("q5", Number(35.0)),
            ],
        ]
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn results_match_hand_computed_figures() {
        let questions = questions();
        let responses = responses();
        let respondents = [
            (Kind::Town, Region::Arnsberg),
            (Kind::Town, Region::Arnsberg),
            (Kind::Town, Region::Arnsberg),
            (Kind::Town, Region::Detmold),
        ];
        let members = [
            (Kind::Town, Region::Arnsberg, Some(d("2020-01-01")), None),
            (Kind::Town, Region::Arnsberg, Some(d("2020-01-01")), None),
            (Kind::Town, Region::Arnsberg, Some(d("2021-06-01")), None),
            (Kind::Town, Region::Detmold, Some(d("2020-01-01")), None),
            (
                Kind::District,
                Region::Arnsberg,
                Some(d("2020-01-01")),
                Some(d("2025-03-31")),
            ),
            (Kind::Town, Region::Koeln, Some(d("2025-04-01")), None),
            (Kind::Town, Region::Koeln, None, None),
        ];
        let results = compute(&Inputs {
            survey_id: "s",
            status: SurveyStatus::Closed,
            anonymous: false,
            questions: &questions,
            responses: &responses,
            respondents: &respondents,
            members: &members,
            day: d("2025-03-31"),
            show_texts: true,
        });
        // Members on 2025-03-31: the four towns; the district left that day, Köln joins later.
        assert_eq!((results.responses, results.members), (4, 4));
        assert!(close(results.response_rate, 1.0));

        let q = &results.questions;
        let counts = |i: usize| -> Vec<(usize, f64)> {
            q[i].options.iter().map(|o| (o.count, o.share)).collect()
        };
        assert_eq!(q[0].answered, 4);
        assert_eq!(counts(0).iter().map(|c| c.0).collect::<Vec<_>>(), [2, 1, 1]);
        assert!(close(counts(0)[0].1, 0.5) && close(counts(0)[1].1, 0.25));
        assert_eq!(q[1].answered, 3);
        assert_eq!(counts(1).iter().map(|c| c.0).collect::<Vec<_>>(), [2, 3, 1]);
        assert!(close(counts(1)[0].1, 2.0 / 3.0) && close(counts(1)[1].1, 1.0));

        // Scale 5, 4, 4, 2: mean 15/4, median 4, every value from 1 to 5 listed.
        assert_eq!(q[2].answered, 4);
        assert!(close(q[2].mean.unwrap(), 3.75));
        assert!(close(q[2].median.unwrap(), 4.0));
        let distribution: Vec<(String, usize)> = q[2]
            .distribution
            .iter()
            .map(|v| (v.value.to_string(), v.count))
            .collect();
        assert_eq!(
            distribution,
            [
                ("1".into(), 0),
                ("2".into(), 1),
                ("3".into(), 0),
                ("4".into(), 2),
                ("5".into(), 1)
            ]
        );

        assert_eq!((q[3].answered, q[3].yes, q[3].no), (3, Some(2), Some(1)));

        // Numbers 120, 35, 80.5, 35: mean 270.5/4, median (35 + 80.5)/2.
        assert!(close(q[4].mean.unwrap(), 67.625));
        assert!(close(q[4].median.unwrap(), 57.75));
        let distribution: Vec<(String, usize)> = q[4]
            .distribution
            .iter()
            .map(|v| (v.value.to_string(), v.count))
            .collect();
        assert_eq!(
            distribution,
            [("35".into(), 2), ("80.5".into(), 1), ("120".into(), 1)]
        );

        assert_eq!(q[5].answered, 2);
        assert_eq!(
            q[5].text_answers.as_deref(),
            Some(&["Fortbildungen".to_owned(), "Mehr Austausch".to_owned()][..])
        );
        assert!(q[0].mean.is_none() && q[0].text_answers.is_none() && q[3].options.is_empty());

        // Three and one: both below five, and every other group is 0.
        let arnsberg = &results.breakdowns.by_region["arnsberg"];
        assert_eq!((arnsberg.count, arnsberg.suppressed), (None, true));
        assert!(results.breakdowns.by_kind.values().all(|g| g.suppressed));
    }

    #[test]
    fn text_answers_can_be_withheld() {
        let questions = questions();
        let responses = responses();
        let results = compute(&Inputs {
            survey_id: "s",
            status: SurveyStatus::Open,
            anonymous: true,
            questions: &questions,
            responses: &responses,
            respondents: &[],
            members: &[],
            day: d("2025-03-31"),
            show_texts: false,
        });
        assert_eq!(results.questions[5].answered, 2);
        assert!(results.questions[5].text_answers.is_none());
        assert_eq!(results.members, 0);
        assert_eq!(results.response_rate, 0.0);
    }

    #[test]
    fn mean_and_median() {
        assert_eq!(mean(&[]), None);
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 10.0]), Some(3.0));
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
    }

    #[test]
    fn small_groups_are_suppressed() {
        let groups = |counts: &[(&str, usize)]| -> Vec<(String, Option<usize>)> {
            let owned: Vec<(String, usize)> =
                counts.iter().map(|(g, c)| ((*g).to_owned(), *c)).collect();
            suppress(&owned)
                .into_iter()
                .map(|(group, count)| {
                    assert_eq!(count.suppressed, count.count.is_none());
                    (group, count.count)
                })
                .collect()
        };
        // Two groups below five: only they are hidden.
        assert_eq!(
            groups(&[("a", 7), ("b", 3), ("c", 0), ("d", 12)]),
            [
                ("a".into(), Some(7)),
                ("b".into(), None),
                ("c".into(), None),
                ("d".into(), Some(12))
            ]
        );
        // One group below five: the smallest other one (c, 6) is hidden too.
        assert_eq!(
            groups(&[("a", 7), ("b", 3), ("c", 6)]),
            [
                ("a".into(), Some(7)),
                ("b".into(), None),
                ("c".into(), None)
            ]
        );
        // Five is enough.
        assert_eq!(
            groups(&[("a", 5), ("b", 5)]),
            [("a".into(), Some(5)), ("b".into(), Some(5))]
        );
        let breakdown = breakdowns(&[(Kind::Town, Region::Arnsberg); 5]);
        assert_eq!(breakdown.by_region["arnsberg"].count, Some(5));
        assert_eq!(breakdown.by_region["koeln"].count, None);
        assert_eq!(breakdown.by_kind["town"].count, Some(5));
    }

    #[test]
    fn members_are_counted_on_the_closing_day() {
        let closes = t("2025-03-31 22:00:00");
        let today = d("2025-03-20");
        assert_eq!(member_day(SurveyStatus::Open, closes, None, today), today);
        assert_eq!(
            member_day(SurveyStatus::Open, closes, None, d("2025-05-01")),
            d("2025-03-31")
        );
        assert_eq!(
            member_day(
                SurveyStatus::Closed,
                closes,
                Some(t("2025-04-02 10:00:00")),
                today
            ),
            d("2025-03-31")
        );
        assert_eq!(
            member_day(
                SurveyStatus::Closed,
                closes,
                Some(t("2025-03-25 10:00:00")),
                today
            ),
            d("2025-03-25")
        );
        assert!(crate::municipalities::values::was_member(
            d("2025-03-30"),
            Some(d("2025-03-30")),
            Some(d("2025-03-31"))
        ));
        assert!(!crate::municipalities::values::was_member(
            d("2025-03-31"),
            Some(d("2025-03-30")),
            Some(d("2025-03-31"))
        ));
    }
}
