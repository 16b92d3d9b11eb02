//! The six standard handlers of a versioned resource (list, read, create, replace, patch,
//! delete), declared once. A resource names its types, paths and the words of its
//! documentation; the handlers, their routes and their OpenAPI operations follow, each a
//! call into the pipeline. The documented body type is the type the handler returns.

/// Declares the standard handlers of a resource; see `municipalities/mod.rs` for a use.
/// `read_id` and `id` are the path parameter's documentation (for reads and for writes);
/// each operation lists its problem responses (from `openapi::responses`). The calling module
/// imports `actix_web::{delete, get, patch, post, put}`: utoipa knows the route attributes by
/// those names.
#[macro_export]
macro_rules! versioned_handlers {
    (
        resource: $r:ty,
        output: $out:ty,
        new: $new:ty,
        input: $input:ty,
        tag: $tag:literal,
        collection: $collection:literal,
        item: $item:literal,
        read_id: $read_id:tt,
        id: $id:tt,
        list: { $(#[$list_meta:meta])* fn $list:ident($filter:ty) $list_desc:literal [$($list_resp:ident),*] $(security $list_security:tt)? },
        read: { $(#[$read_meta:meta])* fn $read:ident $read_desc:literal [$($read_resp:ident),*] $(security $read_security:tt)? },
        create: { $(#[$create_meta:meta])* fn $create:ident $create_desc:literal [$($create_resp:ident),*] },
        replace: { $(#[$replace_meta:meta])* fn $replace:ident $updated_desc:literal [$($write_resp:ident),*] },
        patch: { $(#[$patch_meta:meta])* fn $patch:ident },
        delete: { $(#[$delete_meta:meta])* fn $delete:ident [$($delete_resp:ident),*] } $(,)?
    ) => {
        $(#[$list_meta])*
        #[utoipa::path(
            tag = $tag,
            params($crate::http::ListParams, $filter),
            responses(
                (status = 200, description = $list_desc, body = Page<Listed<$out>>, headers(("ETag" = String), ("Link" = String))),
                $($list_resp),*
            )
            $(, security $list_security)?
        )]
        #[get($collection)]
        async fn $list(
            db: actix_web::web::Data<$crate::db::Db>,
            user: $crate::auth::MaybeUser,
            query: $crate::http::ListQuery<$filter>,
        ) -> Result<$crate::http::Page<$crate::http::Listed<$out>>, $crate::error::ApiError> {
            $crate::resource::list::<$r>(&db, user.0, query).await
        }

        $(#[$read_meta])*
        #[utoipa::path(
            tag = $tag,
            params($read_id),
            responses(
                (status = 200, description = $read_desc, body = $out, headers(("ETag" = String), ("Last-Modified" = String))),
                $($read_resp),*
            )
            $(, security $read_security)?
        )]
        #[get($item)]
        async fn $read(
            db: actix_web::web::Data<$crate::db::Db>,
            user: $crate::auth::MaybeUser,
            key: actix_web::web::Path<String>,
            _strict: $crate::http::ApiQuery<$crate::http::query::NoQuery>,
        ) -> Result<$crate::http::Tagged<$out>, $crate::error::ApiError> {
            $crate::resource::read::<$r>(&db, key.into_inner(), user.0).await
        }

        $(#[$create_meta])*
        #[utoipa::path(
            tag = $tag,
            request_body = $new,
            responses(
                (status = 201, description = $create_desc, body = $out, headers(("Location" = String), ("ETag" = String))),
                $($create_resp),*
            ),
            security(("bearer" = []))
        )]
        #[post($collection)]
        async fn $create(
            db: actix_web::web::Data<$crate::db::Db>,
            policy: actix_web::web::Data<$crate::config::Policy>,
            user: $crate::auth::AuthUser,
            body: $crate::http::ApiJson,
        ) -> Result<$crate::http::Tagged<$out>, $crate::error::ApiError> {
            $crate::resource::create::<$r>(&db, &policy, user, body).await
        }

        $crate::versioned_handlers! {
            @write $(#[$replace_meta])* put replace $replace, $r, $out, $tag, $item, $id,
            (request_body = $input), $updated_desc, [$($write_resp),*]
        }
        $crate::versioned_handlers! {
            @write $(#[$patch_meta])* patch patch $patch, $r, $out, $tag, $item, $id,
            (request_body(content = $input, content_type = "application/merge-patch+json", description = "A JSON merge patch (RFC 7396) of the writable fields.")),
            $updated_desc, [$($write_resp),*]
        }

        $(#[$delete_meta])*
        #[utoipa::path(
            tag = $tag,
            params($id, ("If-Match" = Option<String>, Header, description = "The ETag the deletion is based on.")),
            responses(
                (status = 204, description = "Deleted."),
                $($delete_resp),*
            ),
            security(("bearer" = []))
        )]
        #[delete($item)]
        async fn $delete(
            db: actix_web::web::Data<$crate::db::Db>,
            user: $crate::auth::AuthUser,
            key: actix_web::web::Path<String>,
            if_match: $crate::http::IfMatch,
        ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> {
            $crate::resource::delete::<$r>(&db, user, key.into_inner(), if_match).await
        }
    };
    // `PUT` and `PATCH`: the same handler but for the method, the body's documentation and
    // the pipeline's entry.
    (
        @write $(#[$meta:meta])* $method:ident $entry:ident $name:ident, $r:ty, $out:ty,
        $tag:literal, $item:literal, $id:tt, ($($body:tt)*), $desc:literal, [$($resp:ident),*]
    ) => {
        $(#[$meta])*
        #[utoipa::path(
            tag = $tag,
            params($id, ("If-Match" = Option<String>, Header, description = "The ETag the change is based on.")),
            $($body)*,
            responses(
                (status = 200, description = $desc, body = $out, headers(("ETag" = String))),
                $($resp),*
            ),
            security(("bearer" = []))
        )]
        #[$method($item)]
        async fn $name(
            db: actix_web::web::Data<$crate::db::Db>,
            policy: actix_web::web::Data<$crate::config::Policy>,
            user: $crate::auth::AuthUser,
            key: actix_web::web::Path<String>,
            if_match: $crate::http::IfMatch,
            body: $crate::http::ApiJson,
        ) -> Result<$crate::http::Tagged<$out>, $crate::error::ApiError> {
            $crate::resource::$entry::<$r>(&db, &policy, user, key.into_inner(), if_match, body).await
        }
    };
}

/// Declares a resource's state-changing actions (`POST /{collection}/{id}/{action}`, admin,
/// honouring `If-Match`): each names its route, the words of its documentation and the step
/// it takes, `|conn, current| -> Result<Option<Row>, ApiError>` (409 when the move is not
/// allowed, `None` when someone changed the record first).
#[macro_export]
macro_rules! resource_actions {
    (
        resource: $r:ty,
        output: $out:ty,
        tag: $tag:literal,
        id: $id:tt,
        responses: $responses:tt,
        actions: {
            $(
                $(#[$meta:meta])*
                fn $name:ident $path:literal $desc:literal => |$conn:ident, $current:ident| $step:expr;
            )+
        } $(,)?
    ) => {$(
        $crate::resource_actions! {
            @one $r, $out, $tag, $id, $responses,
            $(#[$meta])* fn $name $path $desc => |$conn, $current| $step
        }
    )+};
    (
        @one $r:ty, $out:ty, $tag:literal, $id:tt, [$($resp:ident),*],
        $(#[$meta:meta])* fn $name:ident $path:literal $desc:literal => |$conn:ident, $current:ident| $step:expr
    ) => {
        $(#[$meta])*
        #[utoipa::path(
            tag = $tag,
            params($id, ("If-Match" = Option<String>, Header, description = "The ETag the change is based on.")),
            responses(
                (status = 200, description = $desc, body = $out, headers(("ETag" = String))),
                $($resp),*
            ),
            security(("bearer" = []))
        )]
        #[post($path)]
        async fn $name(
            db: actix_web::web::Data<$crate::db::Db>,
            user: $crate::auth::AuthUser,
            key: actix_web::web::Path<String>,
            if_match: $crate::http::IfMatch,
        ) -> Result<$crate::http::Tagged<$out>, $crate::error::ApiError> {
            $crate::resource::act::<$r, _>(&db, user, key.into_inner(), if_match, |$conn, $current| {
                $step
            })
            .await
        }
    };
}

/// Declares a resource's history handlers: its revisions, one revision with the record as it
/// was, and restore (admin, honouring `If-Match`). The caller passes the routes and the
/// operations' documentation, like `versioned_handlers!`.
#[macro_export]
macro_rules! revision_handlers {
    (
        resource: $r:ty,
        output: $out:ty,
        tag: $tag:literal,
        id: $id:tt,
        list: { $(#[$list_meta:meta])* fn $list:ident $list_path:literal },
        read: { $(#[$read_meta:meta])* fn $read:ident $read_path:literal },
        restore: { $(#[$restore_meta:meta])* fn $restore:ident $restore_path:literal } $(,)?
    ) => {
        $(#[$list_meta])*
        #[utoipa::path(
            tag = $tag,
            params($id, $crate::http::list::PageParams),
            responses(
                (status = 200, description = "A page of revisions, newest first.", body = $crate::http::Page<$crate::history::api::Revision>, headers(("ETag" = String), ("Link" = String))),
                NotModified, BadRequest, Unauthorized, Forbidden, NotFound, Unavailable
            ),
            security(("bearer" = []))
        )]
        #[get($list_path)]
        async fn $list(
            db: actix_web::web::Data<$crate::db::Db>,
            user: $crate::auth::AuthUser,
            key: actix_web::web::Path<String>,
            params: $crate::http::ApiQuery<$crate::http::list::PageParams>,
        ) -> Result<$crate::http::Page<$crate::history::api::Revision>, $crate::error::ApiError> {
            $crate::resource::revisions::list::<$r>(&db, user, key.into_inner(), params.0).await
        }

        $(#[$read_meta])*
        #[utoipa::path(
            tag = $tag,
            params($id, ("version" = i32, Path, description = "The version.", example = 2)),
            responses(
                (status = 200, description = "The revision, with the record as it was.", body = $crate::history::api::Revision),
                BadRequest, Unauthorized, Forbidden, NotFound, Gone, Unavailable
            ),
            security(("bearer" = []))
        )]
        #[get($read_path)]
        async fn $read(
            db: actix_web::web::Data<$crate::db::Db>,
            user: $crate::auth::AuthUser,
            path: actix_web::web::Path<(String, i32)>,
        ) -> Result<actix_web::web::Json<$crate::history::api::Revision>, $crate::error::ApiError> {
            let (key, version) = path.into_inner();
            $crate::resource::revisions::one::<$r>(&db, user, key, version)
                .await
                .map(actix_web::web::Json)
        }

        $(#[$restore_meta])*
        #[utoipa::path(
            tag = $tag,
            params(
                $id,
                ("version" = i32, Path, description = "The version to restore.", example = 2),
                ("If-Match" = Option<String>, Header, description = "The ETag the restore is based on.")
            ),
            responses(
                (status = 200, description = "The record as restored (a new version).", body = $out, headers(("ETag" = String))),
                BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PreconditionFailed, Unavailable
            ),
            security(("bearer" = []))
        )]
        #[post($restore_path)]
        async fn $restore(
            db: actix_web::web::Data<$crate::db::Db>,
            user: $crate::auth::AuthUser,
            path: actix_web::web::Path<(String, i32)>,
            if_match: $crate::http::IfMatch,
        ) -> Result<$crate::http::Tagged<$out>, $crate::error::ApiError> {
            let (key, version) = path.into_inner();
            $crate::resource::revisions::restore::<$r>(&db, user, key, version, if_match).await
        }
    };
}
