//! `/api/v1/users`: the accounts of the network office and the municipalities' editors.
//! Admin only.

pub mod api;
pub mod model;
pub mod password;
pub mod service;

use actix_web::{delete, get, patch, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use self::api::{NewUser, User, UserFilter, UserUpdate};
use self::service::Users;
pub use self::service::create_account;
use crate::http::list::{Listed, Page};
use crate::openapi::responses::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(replace_user)
        .service(update_user)
        .service(delete_user)
        .service(list_user_revisions)
        .service(get_user_revision)
        .service(restore_user_revision)
        .service(password::change_own_password);
}

crate::versioned_handlers! {
    resource: Users,
    output: User,
    new: NewUser,
    input: UserUpdate,
    tag: "users",
    collection: "/users",
    item: "/users/{id}",
    read_id: ("id" = String, Path, description = "The user's id."),
    id: ("id" = String, Path, description = "The user's id."),
    list: {
        /// List users.
        fn list_users(UserFilter) "A page of users."
            [NotModified, BadRequest, Unauthorized, Forbidden, Unavailable] security(("bearer" = []))
    },
    read: {
        /// Read a user.
        fn get_user "The user."
            [NotModified, BadRequest, Unauthorized, Forbidden, NotFound, Gone, Unavailable] security(("bearer" = []))
    },
    create: {
        /// Create a user.
        fn create_user "The created user."
            [BadRequest, Unauthorized, Forbidden, Conflict, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable]
    },
    replace: {
        /// Replace a user's writable fields.
        fn replace_user "The updated user."
            [BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable]
    },
    patch: {
        /// Change some of a user's fields (JSON merge patch).
        fn update_user
    },
    delete: {
        /// Delete a user (soft: the user becomes a tombstone and can no longer log in).
        fn delete_user [Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, Unavailable]
    },
}

crate::revision_handlers! {
    resource: Users,
    output: User,
    tag: "history",
    id: ("id" = String, Path, description = "The user's id."),
    list: {
        /// List a user's revisions (admins; editors for what they may edit).
        fn list_user_revisions "/users/{id}/revisions"
    },
    read: {
        /// Read one revision of a user, with the user as it was.
        fn get_user_revision "/users/{id}/revisions/{version}"
    },
    restore: {
        /// Restore a user to one of its versions (admin; also brings a deleted one back).
        fn restore_user_revision "/users/{id}/revisions/{version}/restore"
    },
}
