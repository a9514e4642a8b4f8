//! Teams (所属チーム).

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::model::Team;
use super::validate;
use crate::app::App;
use crate::audit::{self, Outcome, Target};
use crate::auth::{Caller, Permission};
use crate::db::schema::{staff_accounts, teams};
use crate::error::{AppError, AppResult, Problems};

pub async fn list(app: &App, caller: &Caller) -> AppResult<Vec<(Team, i64)>> {
    caller.require(Permission::StaffManage)?;
    let mut conn = app.db.get().await?;
    let rows: Vec<Team> = teams::table
        .order(teams::name.asc())
        .select(Team::as_select())
        .load(&mut conn)
        .await?;
    let counts: Vec<(Option<Uuid>, i64)> = staff_accounts::table
        .group_by(staff_accounts::team_id)
        .select((staff_accounts::team_id, diesel::dsl::count_star()))
        .load(&mut conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|t| {
            let n = counts
                .iter()
                .find(|(id, _)| *id == Some(t.id))
                .map_or(0, |(_, n)| *n);
            (t, n)
        })
        .collect())
}

/// Any team by id (for showing an account's team); callers must already hold a permission.
pub async fn get_many(app: &App, ids: &[Uuid]) -> AppResult<Vec<Team>> {
    let mut conn = app.db.get().await?;
    Ok(teams::table
        .filter(teams::id.eq_any(ids))
        .select(Team::as_select())
        .load(&mut conn)
        .await?)
}

pub struct TeamInput {
    pub name: String,
    pub description: String,
}

fn check(input: &TeamInput) -> AppResult<()> {
    let mut p = Problems::new();
    validate::team_name(&mut p, "name", &input.name);
    p.check(
        input.description.chars().count() <= 500,
        "description",
        "説明は500文字以内で入力してください",
    );
    p.into_result()
}

fn name_taken() -> AppError {
    AppError::Conflict("同じ名前のチームが既にあります".into())
}

pub async fn create(app: &App, caller: &Caller, input: TeamInput) -> AppResult<Team> {
    caller.require(Permission::StaffManage)?;
    check(&input)?;
    let mut conn = app.db.get().await?;
    let caller = caller.clone();
    conn.transaction::<Team, AppError, _>(async move |conn| {
        let team: Team = diesel::insert_into(teams::table)
            .values((
                teams::id.eq(Uuid::new_v4()),
                teams::name.eq(input.name.trim()),
                teams::description.eq(input.description.trim()),
            ))
            .returning(Team::as_returning())
            .get_result(conn)
            .await
            .map_err(|e| match AppError::from(e) {
                AppError::Conflict(_) => name_taken(),
                other => other,
            })?;
        audit::record(
            conn,
            &caller,
            "staff.team.create",
            Some(Target::new("team", team.id)),
            json!({ "name": team.name, "description": team.description }),
            Outcome::Success,
        )
        .await?;
        Ok(team)
    })
    .await
}

pub async fn update(app: &App, caller: &Caller, id: Uuid, input: TeamInput) -> AppResult<Team> {
    caller.require(Permission::StaffManage)?;
    check(&input)?;
    let mut conn = app.db.get().await?;
    let caller = caller.clone();
    conn.transaction::<Team, AppError, _>(async move |conn| {
        let before: Team = teams::table
            .find(id)
            .select(Team::as_select())
            .first(conn)
            .await
            .optional()?
            .ok_or_else(|| AppError::NotFound("team".into()))?;
        let team: Team = diesel::update(teams::table.find(id))
            .set((
                teams::name.eq(input.name.trim()),
                teams::description.eq(input.description.trim()),
                teams::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Team::as_returning())
            .get_result(conn)
            .await
            .map_err(|e| match AppError::from(e) {
                AppError::Conflict(_) => name_taken(),
                other => other,
            })?;
        audit::record(
            conn,
            &caller,
            "staff.team.update",
            Some(Target::new("team", id)),
            json!({ "before": { "name": before.name, "description": before.description },
                    "after": { "name": team.name, "description": team.description } }),
            Outcome::Success,
        )
        .await?;
        Ok(team)
    })
    .await
}

/// Deletes an empty team; a team with members is refused so nobody loses their team silently.
pub async fn delete(app: &App, caller: &Caller, id: Uuid) -> AppResult<()> {
    caller.require(Permission::StaffManage)?;
    let mut conn = app.db.get().await?;
    let caller = caller.clone();
    conn.transaction::<(), AppError, _>(async move |conn| {
        let team: Team = teams::table
            .find(id)
            .select(Team::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or_else(|| AppError::NotFound("team".into()))?;
        let members: i64 = staff_accounts::table
            .filter(staff_accounts::team_id.eq(id))
            .count()
            .get_result(conn)
            .await?;
        if members > 0 {
            return Err(AppError::Conflict(format!(
                "所属アカウントが{members}件あるため削除できません"
            )));
        }
        diesel::delete(teams::table.find(id)).execute(conn).await?;
        audit::record(
            conn,
            &caller,
            "staff.team.delete",
            Some(Target::new("team", id)),
            json!({ "name": team.name }),
            Outcome::Success,
        )
        .await?;
        Ok(())
    })
    .await
}

/// Whether a team's deliveries need a second person's approval. Needs `staff.manage`.
pub async fn set_delivery_approval(
    app: &App,
    caller: &Caller,
    team: Uuid,
    required: bool,
) -> AppResult<bool> {
    caller.require(Permission::StaffManage)?;
    audit::audited(app, caller, "delivery.team_approval", move |conn| {
        Box::pin(async move {
            let n = diesel::update(teams::table.find(team))
                .set(teams::delivery_requires_approval.eq(required))
                .execute(conn)
                .await?;
            if n == 0 {
                return Err(AppError::NotFound("team".into()));
            }
            Ok((
                required,
                Target::new("team", team),
                json!({ "required": required }),
            ))
        })
    })
    .await
}

/// The team of a member and whether its deliveries need a second person's
/// approval (the delivery capability asks when one of them composes).
pub async fn delivery_approval_of_member(
    conn: &mut diesel_async::AsyncPgConnection,
    account: Uuid,
) -> QueryResult<Option<(Uuid, bool)>> {
    staff_accounts::table
        .inner_join(teams::table)
        .filter(staff_accounts::id.eq(account))
        .select((teams::id, teams::delivery_requires_approval))
        .first(conn)
        .await
        .optional()
}

/// The team an account belongs to, if any.
pub async fn team_of(
    conn: &mut diesel_async::AsyncPgConnection,
    account: Uuid,
) -> QueryResult<Option<Uuid>> {
    Ok(staff_accounts::table
        .find(account)
        .select(staff_accounts::team_id)
        .first::<Option<Uuid>>(conn)
        .await
        .optional()?
        .flatten())
}
