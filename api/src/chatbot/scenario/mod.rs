//! The scenario bot (seed §2.4(3)ア・オ): graphs staff draw, versioned and
//! published, walked by residents in the LINE chat and tried in the
//! console's simulator.

pub mod engine;
pub mod graph;
pub mod graphql;
pub mod handover;
pub mod run;
pub mod store;
pub mod templates;

/// Sessions left waiting longer than a resident stays: ended and logged as
/// dropped at their node.
pub async fn expire_sessions(app: &crate::app::App) -> anyhow::Result<usize> {
    let mut conn = app.db.get().await?;
    let gone = store::take_expired(&mut conn, run::SESSION_MINUTES).await?;
    drop(conn);
    for s in &gone {
        super::talk::log(
            app,
            super::talk::Talk {
                user: &s.line_user_id,
                occurred_at: s.updated_at,
                route: "scenario",
                decision: "dropped",
                scenario: Some((s.scenario_id, s.version)),
                node: Some(&s.node_id),
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(gone.len())
}
