//! The demo's surveys: the three templates, published and open.

use crate::app::App;
use crate::auth::Caller;

/// Creates and publishes each template once (by title); returns their ids.
pub async fn seed(app: &App) -> anyhow::Result<Vec<i32>> {
    let caller = Caller::system();
    let existing = super::service::list(app, &caller).await?;
    let mut ids = Vec::new();
    for t in super::templates::all() {
        if let Some(s) = existing.iter().find(|s| s.title == t.title) {
            ids.push(s.id);
            continue;
        }
        let row = super::service::create(
            app,
            &caller,
            super::service::Draft {
                title: t.title.into(),
                form: t.form,
                settings: t.settings,
            },
        )
        .await?;
        super::service::publish(app, &caller, row.id).await?;
        ids.push(row.id);
    }
    Ok(ids)
}
