//! Embeds for municipal websites (`/embed/v1/...`): ready HTML — the member list, a
//! municipality's card, meetings, documents, a page per meeting and document, the membership
//! chart as SVG and an optional stylesheet — that a CMS fetches server-side, so the site's
//! visitors contact no one but the site. Reads go through the resources' services
//! (`service`), markup comes from one template engine with escaping (`views`, `chart`,
//! `page`), German dates from `german`; the handlers are in `routes`.

mod chart;
pub mod german;
mod page;
mod routes;
mod service;
mod views;

pub use self::routes::routes;

/// Where the embeds live and who may frame them.
#[derive(Debug, Clone)]
pub struct Site {
    /// `ENGAGIERT_PUBLIC_URL`: every link in a fragment is absolute under it.
    pub base: String,
    /// `ENGAGIERT_EMBED_ANCESTORS`: the sites that may show a standalone widget in a frame.
    pub ancestors: String,
}

impl Site {
    /// The policy of a standalone widget: its stylesheet from here, nothing else loaded, framed
    /// by the configured sites.
    pub fn frame_policy(&self) -> String {
        format!(
            "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors {}",
            self.ancestors
        )
    }
}
