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
