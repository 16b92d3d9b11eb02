//! `/api/v1/surveys`: the member surveys (Online-Befragungen) of the network office — the
//! questionnaire and its life cycle (draft → open → closed), one response per member
//! municipality, the admins' response list and CSV export, and the results.
//!
//! Anonymous surveys keep who answered (`survey_participations`, for the response rate and
//! so a municipality can replace its response) apart from what was answered (stored under a
//! key no endpoint shows; see `response_model`). Nothing here logs a response, and every
//! output of an anonymous survey leaves out municipality, time and version next to answers.

pub mod answers;
pub mod api;
pub mod details;
pub mod export;
pub mod model;
pub mod response_api;
pub mod response_model;
pub mod responses;
pub mod results;
pub mod service;
pub mod values;

use actix_web::{delete, get, patch, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use self::api::{Survey, SurveyFilter, SurveyInput, SurveyStatus};
use self::service::{Surveys, transition};
use crate::http::list::{Listed, Page};
use crate::openapi::responses::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_surveys)
        .service(create_survey)
        .service(export::survey_responses_csv)
        .service(responses::list_survey_responses)
        .service(responses::get_survey_results)
        .service(open_survey)
        .service(close_survey)
        .service(responses::get_survey_response)
        .service(responses::submit_survey_response)
        .service(get_survey)
        .service(replace_survey)
        .service(update_survey)
        .service(delete_survey)
        .service(list_survey_revisions)
        .service(get_survey_revision)
        .service(restore_survey_revision);
}

crate::versioned_handlers! {
    resource: Surveys,
    output: Survey,
    new: SurveyInput,
    input: SurveyInput,
    tag: "surveys",
    collection: "/surveys",
    item: "/surveys/{id}",
    read_id: ("id" = String, Path, description = "The survey's id."),
    id: ("id" = String, Path, description = "The survey's id."),
    list: {
        /// List surveys.
        ///
        /// Open and closed surveys for everyone, drafts for admins too. Sortable by `opens_at`
        /// (default), `closes_at` and `updated_at`.
        fn list_surveys(SurveyFilter) "A page of surveys."
            [NotModified, BadRequest, Unauthorized, Unavailable]
    },
    read: {
        /// Read a survey with its questionnaire.
        ///
        /// Drafts answer 404 to everyone but admins.
        fn get_survey "The survey."
            [NotModified, BadRequest, Unauthorized, NotFound, Gone, Unavailable]
    },
    create: {
        /// Create a survey (admin). It starts as a draft.
        fn create_survey "The created draft."
            [BadRequest, Unauthorized, Forbidden, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable]
    },
    replace: {
        /// Replace a survey's writable fields (admin).
        ///
        /// Questions, `opens_at` and `anonymous` change only while the survey is a draft (409
        /// afterwards); `title`, `description`, `closes_at` and `results_public` always. Questions
        /// and options that carry an existing id keep it.
        fn replace_survey "The updated survey."
            [BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable]
    },
    patch: {
        /// Change some of a survey's fields (admin; JSON merge patch).
        ///
        /// The same rules as `PUT`: once the survey has left draft, only `title`, `description`,
        /// `closes_at` and `results_public` may change.
        fn update_survey
    },
    delete: {
        /// Delete a survey (admin; soft: it becomes a tombstone).
        fn delete_survey [Unauthorized, Forbidden, NotFound, Gone, PreconditionFailed, Unavailable]
    },
}

crate::resource_actions! {
    resource: Surveys,
    output: Survey,
    tag: "surveys",
    id: ("id" = String, Path, description = "The survey's id."),
    responses: [Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, Unavailable],
    actions: {
        /// Open a draft for responses (admin).
        ///
        /// 409 unless the survey is a draft with at least one question whose `closes_at` has not
        /// passed. Responses are taken from `opens_at` until `closes_at`.
        fn open_survey "/surveys/{id}/open" "The opened survey."
            => |conn, current| transition(conn, current, SurveyStatus::Open);
        /// Close an open survey (admin).
        ///
        /// 409 unless the survey is open. A closed survey takes no responses; the response rate is
        /// then counted against the members on the day it closed.
        fn close_survey "/surveys/{id}/close" "The closed survey."
            => |conn, current| transition(conn, current, SurveyStatus::Closed);
    }
}

crate::revision_handlers! {
    resource: Surveys,
    output: Survey,
    tag: "history",
    id: ("id" = String, Path, description = "The survey's id."),
    list: {
        /// List a survey's revisions (admins; editors for what they may edit).
        fn list_survey_revisions "/surveys/{id}/revisions"
    },
    read: {
        /// Read one revision of a survey, with the survey as it was.
        fn get_survey_revision "/surveys/{id}/revisions/{version}"
    },
    restore: {
        /// Restore a survey to one of its versions (admin; also brings a deleted one back).
        fn restore_survey_revision "/surveys/{id}/revisions/{version}/restore"
    },
}
