//! The demo data `--dev` (or `--demo-data`) loads into an empty database: a believable
//! network built from the two press releases in `../shared/seeds` (Unna, Paderborn, the
//! Bezirksregierung Arnsberg, their districts) and further NRW members with their real AGS.
//! Every description starts with "Demodaten:".

use crate::auth::Role;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::municipalities::{import, model as municipalities};
use crate::types::Email;
use crate::users::{self, api::NewUser};

const MUNICIPALITIES_CSV: &str = include_str!("../demo/municipalities.csv");

/// The demo editor of Unna (documented in the README; only with `--dev`).
pub const DEMO_EDITOR_EMAIL: &str = "ehrenamt@unna.example.org";

/// Loads the demo data unless the network already holds municipalities.
pub fn load(conn: &mut DbConnection, editor_password: &str) -> Result<bool, ApiError> {
    if municipalities::count_live(conn)? > 0 {
        return Ok(false);
    }
    let report = import::import(conn, MUNICIPALITIES_CSV.as_bytes(), false, |_, _| {})?;
    if let Some((line, name, reason)) = report.rejected.first() {
        return Err(ApiError::internal(format!(
            "demo data line {line} ({name}) refused: {reason}"
        )));
    }
    if let Some(unna) = municipalities::resolve(conn, "unna")? {
        let editor = NewUser {
            email: Email::parse(DEMO_EDITOR_EMAIL).map_err(ApiError::internal)?,
            name: "Ehrenamtsagentur Unna (Demo)".into(),
            role: Role::Editor,
            municipality_id: unna.id.parse().ok(),
            password: editor_password.to_owned(),
            active: true,
        };
        users::create_account(conn, editor)?;
    }
    tracing::info!(municipalities = report.created.len(), "demo data loaded");
    Ok(true)
}
