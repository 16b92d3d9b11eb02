//! What happens once at start: the first admin from the environment, and in development
//! mode a demo admin and the demo data (see `demo.rs`), each only into an empty database.

use actix_web::web;

use crate::auth::Role;
use crate::config::Settings;
use crate::db::Db;
use crate::types::Email;
use crate::users::{self, api::NewUser};

/// The demo admin of `--dev` (documented in the README; never for production).
pub const DEMO_ADMIN_EMAIL: &str = "admin@example.org";
pub const DEMO_ADMIN_PASSWORD: &str = "engagiert-demo";

pub async fn run(
    db: &Db,
    settings: &Settings,
    storage: &crate::storage::attachments::AttachmentStore,
) -> anyhow::Result<()> {
    let first_admin = match (&settings.admin_email, &settings.admin_password) {
        (Some(email), Some(password)) => Some((email.clone(), password.expose().to_owned(), false)),
        (Some(_), None) | (None, Some(_)) => {
            anyhow::bail!("set both ENGAGIERT_ADMIN_EMAIL and ENGAGIERT_ADMIN_PASSWORD, or neither")
        }
        (None, None) if settings.dev => Some((
            DEMO_ADMIN_EMAIL.to_owned(),
            DEMO_ADMIN_PASSWORD.to_owned(),
            true,
        )),
        (None, None) => None,
    };
    let load_demo = settings.dev || settings.demo_data;
    let demo_pdf = if load_demo {
        let pdf = crate::demo::store_pdf(storage).await;
        Some(pdf.map_err(|e| anyhow::anyhow!("demo data: {e}"))?)
    } else {
        None
    };
    let db = db.clone();
    web::block(move || -> anyhow::Result<()> {
        let mut conn = db.connection().map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some((email, password, demo)) = first_admin
            && users::model::count_live(&mut conn)? == 0
        {
            let email =
                Email::parse(&email).map_err(|e| anyhow::anyhow!("ENGAGIERT_ADMIN_EMAIL {e}"))?;
            let new = NewUser {
                email,
                name: if demo {
                    "Demo-Admin".into()
                } else {
                    "Administrator".into()
                },
                role: Role::Admin,
                municipality_id: None,
                password,
                active: true,
            };
            let admin = users::create_account(&mut conn, new)
                .map_err(|e| anyhow::anyhow!("first admin: {e}"))?;
            // The id, not the e-mail: no log line names a person.
            tracing::info!(id = %admin.id, demo, "created the first admin");
        }
        if let Some(pdf) = demo_pdf {
            crate::demo::load(&mut conn, &pdf, DEMO_ADMIN_PASSWORD)
                .map_err(|e| anyhow::anyhow!("demo data: {e}"))?;
        }
        Ok(())
    })
    .await??;
    Ok(())
}
