//! Surveys and application forms (seed §2.4(5)ア–イ): staff build a form
//! (sections, eleven question kinds, conditions, jumps), publish it as a
//! frozen version, and send it; residents answer in LIFF or, for short
//! ones, in the chat; staff read counts, charts, free texts, a
//! cross-tabulation with small cells hidden, and a CSV of any size.
//! Permission `survey.manage`, and results only for the survey's owners
//! and the accounts it was granted to. Answers are residents' personal
//! data: sealed with the survey's own key, kept only in our PostgreSQL.

pub mod access;
pub mod answer;
mod batch;
pub mod chat;
pub mod demo;
pub mod export;
pub mod form;
pub mod graphql;
pub mod model;
pub mod results;
mod send;
pub mod service;
pub mod templates;

/// The LIFF page a survey is answered on.
pub fn liff_url(app: &crate::app::App, id: i32) -> String {
    format!(
        "{}/survey?id={id}",
        app.config.liff_settings_url.trim_end_matches('/')
    )
}

/// Surveys' part in the worker: the chat's quick-reply answers, and the
/// erasure of a resident's identified answers.
pub fn register(r: &mut crate::registry::Registry) {
    r.on_event("postback", chat::on_postback);
    r.on_erasure("survey.answers", forget);
}

/// Deletes the resident's identified answers. Anonymous answers name no
/// one (their respondent hash needs a key the database does not hold).
fn forget<'c>(
    conn: &'c mut diesel_async::AsyncPgConnection,
    user: &'c str,
) -> futures::future::BoxFuture<'c, diesel::QueryResult<usize>> {
    Box::pin(async move {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;

        use crate::db::schema::{friends, survey_answers};
        diesel::delete(
            survey_answers::table.filter(
                survey_answers::friend_id.eq_any(
                    friends::table
                        .filter(friends::line_user_id.eq(user))
                        .select(friends::id.nullable()),
                ),
            ),
        )
        .execute(conn)
        .await
    })
}
