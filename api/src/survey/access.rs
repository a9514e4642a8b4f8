//! Who may see and change a survey. Results are the residents' answers, so
//! `survey.manage` alone is not enough: the survey's creator and their team
//! own it; accounts it was granted to may read it (never edit, never grant
//! further); the system may do anything.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::model::SurveyRow;
use crate::auth::{Caller, Permission, Principal};
use crate::db::schema::{survey_grants, surveys};
use crate::error::{AppError, AppResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Sees results (granted).
    Read,
    /// Edits, publishes, grants (creator, team, system).
    Own,
}

/// Who the caller is, as far as survey ownership goes.
pub struct Viewer {
    pub account: Option<Uuid>,
    pub team: Option<Uuid>,
    pub system: bool,
}

pub async fn viewer(conn: &mut AsyncPgConnection, caller: &Caller) -> AppResult<Viewer> {
    caller.require(Permission::SurveyManage)?;
    Ok(match &caller.principal {
        Principal::Staff(s) => Viewer {
            account: Some(s.account_id),
            team: crate::staff::teams::team_of(conn, s.account_id).await?,
            system: false,
        },
        Principal::Service(s) => Viewer {
            account: Some(s.id),
            team: None,
            system: false,
        },
        Principal::System => Viewer {
            account: None,
            team: None,
            system: true,
        },
        _ => {
            return Err(AppError::Forbidden(
                "アンケートを扱う権限がありません".into(),
            ));
        }
    })
}

impl Viewer {
    /// Whether the caller owns `s` (the system, its creator, their team).
    pub fn owns(&self, s: &SurveyRow) -> bool {
        self.system
            || (self.account.is_some() && s.created_by == self.account)
            || (self.team.is_some() && s.team_id == self.team)
    }

    /// The caller's access to `s`, if any.
    pub async fn access(
        &self,
        conn: &mut AsyncPgConnection,
        s: &SurveyRow,
    ) -> AppResult<Option<Access>> {
        if self.owns(s) {
            return Ok(Some(Access::Own));
        }
        let Some(account) = self.account else {
            return Ok(None);
        };
        let granted: bool = diesel::select(diesel::dsl::exists(
            survey_grants::table
                .filter(survey_grants::survey_id.eq(s.id))
                .filter(survey_grants::account_id.eq(account)),
        ))
        .get_result(conn)
        .await?;
        Ok(granted.then_some(Access::Read))
    }

    /// The ids of the surveys this caller may see (`None`: all of them).
    pub async fn visible_ids(&self, conn: &mut AsyncPgConnection) -> AppResult<Option<Vec<i32>>> {
        if self.system {
            return Ok(None);
        }
        let mut q = surveys::table.select(surveys::id).into_boxed();
        q = q.filter(surveys::created_by.eq(self.account));
        if let Some(team) = self.team {
            q = q.or_filter(surveys::team_id.eq(team));
        }
        let mut ids: Vec<i32> = q.load(conn).await?;
        if let Some(account) = self.account {
            let granted: Vec<i32> = survey_grants::table
                .filter(survey_grants::account_id.eq(account))
                .select(survey_grants::survey_id)
                .load(conn)
                .await?;
            ids.extend(granted);
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(Some(ids))
    }
}

/// The survey, if the caller has at least `needed` on it. A survey the
/// caller may not see is reported as not found (its existence is not told).
pub async fn load(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: i32,
    needed: Access,
) -> AppResult<(SurveyRow, Access)> {
    let viewer = viewer(conn, caller).await?;
    let row: Option<SurveyRow> = surveys::table
        .find(id)
        .select(SurveyRow::as_select())
        .first(conn)
        .await
        .optional()?;
    let not_found = || AppError::NotFound("survey".into());
    let row = row.ok_or_else(not_found)?;
    match viewer.access(conn, &row).await? {
        None => Err(not_found()),
        Some(a) if a < needed => Err(AppError::Forbidden(
            "このアンケートは閲覧のみ許可されています（変更できるのは作成者とそのチームです）"
                .into(),
        )),
        Some(a) => Ok((row, a)),
    }
}
