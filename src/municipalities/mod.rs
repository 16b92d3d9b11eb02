//! `/api/v1/municipalities`: the member directory that municipal websites pull (their own
//! record by AGS or slug, the member list, maps) and the network office maintains.

pub mod api;
pub mod details;
pub mod export;
pub mod import;
pub mod model;
pub mod references;
pub mod service;
pub mod values;

use actix_web::{delete, get, patch, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use self::api::{Municipality, MunicipalityFilter, MunicipalityInput};
use self::service::Municipalities;
pub use self::service::{require_exists, resolve_live};
use crate::http::list::{Listed, Page};
use crate::openapi::responses::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_municipalities)
        .service(create_municipality)
        .service(export::municipalities_csv)
        .service(export::municipalities_geojson)
        .service(import::import_municipalities)
        .service(get_municipality)
        .service(replace_municipality)
        .service(update_municipality)
        .service(delete_municipality)
        .service(list_municipality_revisions)
        .service(get_municipality_revision)
        .service(restore_municipality_revision);
}

crate::versioned_handlers! {
    resource: Municipalities,
    output: Municipality,
    new: MunicipalityInput,
    input: MunicipalityInput,
    tag: "municipalities",
    collection: "/municipalities",
    item: "/municipalities/{id}",
    read_id: ("id" = String, Path, description = "The municipality's UUID, AGS or slug.", example = "unna"),
    id: ("id" = String, Path, description = "The municipality's UUID, AGS or slug."),
    list: {
        /// List municipalities.
        ///
        /// Sortable by `name`, `population`, `joined_on` and `updated_at`. Anonymous readers see
        /// only public contacts.
        fn list_municipalities(MunicipalityFilter) "A page of municipalities."
            [NotModified, BadRequest, Unauthorized, Unavailable]
    },
    read: {
        /// Read a municipality by UUID, AGS or slug.
        fn get_municipality "The municipality."
            [NotModified, BadRequest, Unauthorized, NotFound, Gone, Unavailable]
    },
    create: {
        /// Add a municipality (admin).
        fn create_municipality "The created municipality."
            [BadRequest, Unauthorized, Forbidden, Conflict, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable]
    },
    replace: {
        /// Replace a municipality's writable fields.
        ///
        /// Editors may change their own municipality's profile and contacts; slug, name, kind, AGS,
        /// region, district, membership and volunteer card are the network office's (403).
        fn replace_municipality "The updated municipality."
            [BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable]
    },
    patch: {
        /// Change some of a municipality's fields (JSON merge patch).
        fn update_municipality
    },
    delete: {
        /// Delete a municipality (admin; soft: it becomes a tombstone).
        fn delete_municipality [Unauthorized, Forbidden, NotFound, Gone, PreconditionFailed, Unavailable]
    },
}

crate::revision_handlers! {
    resource: Municipalities,
    output: Municipality,
    tag: "history",
    id: ("id" = String, Path, description = "The municipality's UUID, AGS or slug."),
    list: {
        /// List a municipality's revisions (admins; editors for what they may edit).
        fn list_municipality_revisions "/municipalities/{id}/revisions"
    },
    read: {
        /// Read one revision of a municipality, with the municipality as it was.
        fn get_municipality_revision "/municipalities/{id}/revisions/{version}"
    },
    restore: {
        /// Restore a municipality to one of its versions (admin; also brings a deleted one back).
        fn restore_municipality_revision "/municipalities/{id}/revisions/{version}/restore"
    },
}
