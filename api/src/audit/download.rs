//! One audited download, used by every CSV export: authorised by the
//! caller (`csv::authorize`), with a stated reason where the permission
//! demands one (`csv::stated_reason`), then an audit row written before the
//! first byte leaves, then the rows in keyset-paged order, as CSV for Excel.

use axum::response::{IntoResponse, Response};

use crate::auth::Caller;
use crate::csv::{Cell, download};

/// One page of rows and where the next one starts (`None`: that was the last).
pub type Page<C> = (Vec<Vec<Cell>>, Option<C>);

/// A CSV export once it is authorised (and its reason stated where the
/// permission demands one): what the audit row says, then the file.
pub struct Export {
    /// `…-YYYYMMDDHHMMSS.csv`.
    pub file_stem: &'static str,
    pub header: Vec<String>,
    /// Rows to come, when known (`X-Total-Count`, for a progress bar).
    pub total: Option<u64>,
    /// The audit action, e.g. `card.pii.export`.
    pub action: &'static str,
    pub target: Option<super::Target>,
    pub summary: serde_json::Value,
}

impl Export {
    /// Writes the audit row before the first byte leaves, then streams the
    /// pages `page` reads from `first` on (keyset paging: each page names
    /// where the next starts), never holding the whole file in memory.
    pub async fn audited<C, F, Fut>(
        self,
        app: &crate::app::App,
        caller: &Caller,
        first: C,
        page: F,
    ) -> Response
    where
        C: Send + 'static,
        F: Fn(C) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = anyhow::Result<Page<C>>> + Send + 'static,
    {
        if let Err(e) = super::record_now(
            &app.db,
            caller,
            self.action,
            self.target,
            self.summary,
            super::Outcome::Success,
        )
        .await
        {
            let _ = e.to_graphql(); // logs the cause with an error id
            return axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        let page = std::sync::Arc::new(page);
        let pages = futures::stream::unfold(Some(first), move |cursor| {
            let page = page.clone();
            async move {
                let at = cursor?;
                // A page may be empty (every row of it filtered out) and
                // still not be the last: only a missing cursor ends the file.
                match page(at).await {
                    Ok((rows, next)) => Some((Ok(rows), next)),
                    Err(e) => Some((Err(e), None)),
                }
            }
        });
        let header: Vec<&str> = self.header.iter().map(String::as_str).collect();
        download(self.file_stem, &header, pages, self.total)
    }
}
