//! The demo data `--dev` (or `--demo-data`) loads into an empty database: a believable
//! network built from the two press releases in `../shared/seeds` (Unna, Paderborn, the
//! Bezirksregierung Arnsberg, their districts) and further NRW members with their real AGS.
//! Every description starts with "Demodaten:".

use std::io::Write;

use crate::auth::jwt::TokenUse;
use crate::auth::{AuthUser, Role};
use crate::db::DbConnection;
use crate::documents::api::{DocumentInput, DocumentStatus};
use crate::documents::service::Documents;
use crate::documents::{self, attachment_model, model as documents_model};
use crate::error::ApiError;
use crate::history::revisions::{Action, Actor};
use crate::municipalities::{import, model as municipalities};
use crate::resource::recording::record_created;
use crate::types::Email;
use crate::users::{self, api::NewUser};

mod meetings;
mod surveys;

const MUNICIPALITIES_CSV: &str = include_str!("../../demo/municipalities.csv");

/// The demo editor of Unna (documented in the README; only with `--dev`).
pub const DEMO_EDITOR_EMAIL: &str = "ehrenamt@unna.example.org";

/// A file already in the attachment store.
pub struct StoredFile {
    pub sha256: String,
    pub size: u64,
}

/// Stores the demo's PDF (the store is asynchronous, the demo's rows are written on a
/// blocking connection, so the file goes first); stored again, it changes no byte.
pub async fn store_pdf(
    storage: &crate::storage::attachments::AttachmentStore,
) -> Result<StoredFile, crate::storage::attachments::StoreError> {
    let (sha256, size) = storage.put(demo_pdf().into()).await?;
    Ok(StoredFile { sha256, size })
}

/// Loads the demo data unless the network already holds municipalities; `pdf` is the
/// stored `demo_pdf()`.
pub fn load(
    conn: &mut DbConnection,
    pdf: &StoredFile,
    editor_password: &str,
) -> Result<bool, ApiError> {
    if municipalities::count_live(conn)? > 0 {
        return Ok(false);
    }
    let report = import::import(
        conn,
        MUNICIPALITIES_CSV.as_bytes(),
        false,
        &Actor::system(),
        |_, _| {},
    )?;
    if let Some(error) = report.errors.first() {
        return Err(ApiError::internal(format!(
            "demo data line {} refused: {:?} {}",
            error.line, error.field, error.message
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
    load_documents(conn, pdf)?;
    meetings::load(conn)?;
    surveys::load(conn)?;
    tracing::info!(municipalities = report.created.len(), "demo data loaded");
    Ok(true)
}

fn id_of(conn: &mut DbConnection, key: &str) -> Result<crate::ids::MunicipalityId, ApiError> {
    municipalities::resolve(conn, key)?
        .map(|row| row.id)
        .ok_or_else(|| ApiError::internal(format!("demo municipality {key} is missing")))
}

/// Four documents: a practice example of Unna's volunteering agency, a recommendation from
/// a network meeting, a method, and a publication with a PDF attachment.
fn load_documents(conn: &mut DbConnection, pdf: &StoredFile) -> Result<(), ApiError> {
    let office = AuthUser {
        id: "demo".into(),
        role: Role::Admin,
        municipality_id: None,
        token_use: TokenUse::Access,
        session: None,
    };
    let unna = id_of(conn, "unna")?;
    let paderborn = id_of(conn, "paderborn")?;
    let arnsberg = id_of(conn, "bezirksregierung-arnsberg")?;
    let documents = [
        (
            serde_json::json!({
                "kind": "practice_example",
                "title": "Ehrenamtsagentur Unna: eine Anlaufstelle für alle, die sich engagieren wollen",
                "summary": "Demodaten: Wie die Ehrenamtsagentur der Kreisstadt Unna Engagierte, Vereine und Verwaltung zusammenbringt.",
                "body": "Demodaten.\n\nDie **Ehrenamtsagentur Unna** berät Menschen, die sich engagieren möchten, vermittelt in Vereine und Initiativen und koordiniert mit der Ehrenamtskoordinatorin die Anerkennungskultur der Stadt – von der Ehrenamtskarte NRW bis zum jährlichen Dankeschön-Abend.",
                "topics": ["ehrenamtsagentur", "anerkennungskultur", "ehrenamtskarte"],
                "municipality_ids": [unna]
            }),
            Some(DocumentStatus::Published),
        ),
        (
            serde_json::json!({
                "kind": "recommendation",
                "title": "Handlungsempfehlung: Bürgerschaftliches Engagement in der Kommune strategisch verankern",
                "summary": "Demodaten: Ergebnis des Netzwerktreffens – zehn Schritte zu einer kommunalen Engagementstrategie.",
                "body": "Demodaten.\n\n1. Politischen Beschluss herbeiführen\n2. Anlaufstelle schaffen\n3. Engagierte beteiligen\n4. Ehrenamtskarte NRW einführen\n5. Wirkung regelmäßig prüfen",
                "topics": ["engagementstrategie"],
                "municipality_ids": [paderborn, arnsberg]
            }),
            Some(DocumentStatus::Published),
        ),
        (
            serde_json::json!({
                "kind": "method",
                "title": "Methode: Engagement-Werkstatt im Quartier",
                "summary": "Demodaten: Ein Format, mit dem Kommunen gemeinsam mit Engagierten Ideen für ihr Quartier entwickeln.",
                "body": "Demodaten.\n\nDauer: drei Stunden. Ablauf: Ankommen, Bestandsaufnahme an Stellwänden, Ideenrunde, Verabredungen.",
                "topics": ["quartier", "engagementstrategie"],
                "municipality_ids": []
            }),
            Some(DocumentStatus::Published),
        ),
        (
            serde_json::json!({
                "kind": "publication",
                "title": "Netzwerkpublikation: Engagiert in NRW – Bilanz der ersten Jahre",
                "summary": "Demodaten: Die Netzwerkpublikation fasst Erfahrungen der Mitgliedskommunen zusammen.",
                "body": "Demodaten.\n\nDie Publikation liegt als PDF bei.",
                "topics": ["engagementstrategie", "anerkennungskultur"],
                "municipality_ids": []
            }),
            Some(DocumentStatus::Published),
        ),
    ];
    for (index, (body, status)) in documents.into_iter().enumerate() {
        let input: DocumentInput = serde_json::from_value(body).map_err(ApiError::internal)?;
        let row = documents::service::create(conn, &office, &input)?;
        if let Some(status) = status {
            documents_model::set_status(conn, &row, status)?;
        }
        record_created::<Documents>(conn, row.id.as_str())?;
        if index == 3 {
            let attachment = attachment_model::new_attachment(
                &row.id,
                "engagiert-in-nrw-bilanz.pdf".into(),
                "application/pdf",
                i64::try_from(pdf.size).unwrap_or(i64::MAX),
                pdf.sha256.clone(),
                true,
            );
            let attachment = attachment_model::insert_attachment(conn, &attachment)?;
            documents::attachments::record(conn, &Actor::system(), Action::Created, &attachment)?;
        }
    }
    Ok(())
}

/// A one-page PDF saying that it is demo data, with a correct cross-reference table.
pub fn demo_pdf() -> Vec<u8> {
    let text = "BT /F1 18 Tf 72 760 Td (Demodaten: Engagiert in NRW - Bilanz) Tj ET";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        let _ = write!(pdf, "{} 0 obj\n{object}\nendobj\n", i + 1);
    }
    let xref = pdf.len();
    let _ = write!(pdf, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(pdf, "{offset:010} 00000 n ");
    }
    let _ = write!(
        pdf,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    pdf
}
