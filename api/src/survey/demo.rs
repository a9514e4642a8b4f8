//! The demo's surveys: the three templates, published and open, owned by
//! the demo administrator (results are their owners').

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::app::App;
use crate::auth::Caller;
use crate::db::schema::surveys;

/// Creates and publishes each template once (by title) for `owner_login`;
/// returns whether any was created.
pub async fn seed(app: &App, owner_login: &str) -> anyhow::Result<bool> {
    let caller = Caller::system();
    let existing = super::service::list(app, &caller).await?;
    let mut conn = app.db.get().await?;
    let owner = crate::staff::accounts::id_of_login(&mut conn, owner_login).await?;
    drop(conn);
    let mut created = false;
    for t in super::templates::all() {
        if existing.iter().any(|(s, _)| s.title == t.title) {
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
        let mut conn = app.db.get().await?;
        diesel::update(surveys::table.find(row.id))
            .set(surveys::created_by.eq(owner))
            .execute(&mut conn)
            .await?;
        created = true;
    }
    Ok(created)
}
