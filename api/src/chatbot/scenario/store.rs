//! Scenarios and their versions as staff keep them (`chatbot.manage`), and
//! where residents are in them. A version that has been live is never
//! written again: saving a change then makes the next version a draft.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Value, json};

use super::graph::{Graph, Target};
use crate::app::App;
use crate::audit::{self, Target as AuditTarget};
use crate::auth::{Caller, Permission};
use crate::db::schema::{
    chatbot_handovers, chatbot_scenario_versions as versions, chatbot_scenarios as scenarios,
    chatbot_sessions, faq_entries,
};
use crate::error::{AppError, AppResult, Problems};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = scenarios)]
pub struct Scenario {
    pub id: i32,
    pub name: String,
    pub description: String,
    pub triggers: Vec<String>,
    pub live_version: Option<i32>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = versions)]
pub struct Version {
    pub scenario_id: i32,
    pub version: i32,
    pub graph: Value,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

impl Version {
    pub fn graph(&self) -> AppResult<Graph> {
        serde_json::from_value(self.graph.clone()).map_err(AppError::internal)
    }
}

/// Name, description and triggers, as staff write them.
#[derive(Clone, Debug, Default)]
pub struct Header {
    pub name: String,
    pub description: String,
    pub triggers: Vec<String>,
}

impl Header {
    fn problems(&self, p: &mut Problems) {
        let n = self.name.trim().chars().count();
        p.check(
            (1..=60).contains(&n),
            "input.name",
            "シナリオ名は1〜60文字で入力してください",
        );
        p.check(
            self.description.chars().count() <= 500,
            "input.description",
            "説明は500文字以内で入力してください",
        );
        p.check(
            self.triggers.len() <= 20,
            "input.triggers",
            "開始キーワードは20個までです",
        );
        for (i, t) in self.triggers.iter().enumerate() {
            p.check(
                (1..=50).contains(&t.trim().chars().count()),
                &format!("input.triggers[{i}]"),
                "開始キーワードは1〜50文字で入力してください",
            );
        }
    }

    fn tidied(&self) -> Self {
        let mut triggers: Vec<String> = Vec::new();
        for t in self
            .triggers
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
        {
            if !triggers.iter().any(|o| o == t) {
                triggers.push(t.to_string());
            }
        }
        Self {
            name: self.name.trim().to_string(),
            description: self.description.trim().to_string(),
            triggers,
        }
    }
}

/// A graph as the API receives it: parsed and shaped, addressed under `graph`.
pub fn parse_graph(value: &Value) -> AppResult<Graph> {
    let graph: Graph = serde_json::from_value(value.clone()).map_err(|e| {
        AppError::bad_input("graph", format!("シナリオの形式が正しくありません（{e}）"))
    })?;
    let mut p = Problems::new();
    graph.shape_problems("graph", &mut p);
    p.into_result()?;
    Ok(graph)
}

pub async fn list(app: &App, caller: &Caller) -> AppResult<Vec<Scenario>> {
    caller.require(Permission::ChatbotManage)?;
    let mut conn = app.db.get().await?;
    Ok(scenarios::table
        .order(scenarios::id.asc())
        .select(Scenario::as_select())
        .load(&mut conn)
        .await?)
}

pub async fn get(app: &App, caller: &Caller, id: i32) -> AppResult<Option<Scenario>> {
    caller.require(Permission::ChatbotManage)?;
    let mut conn = app.db.get().await?;
    Ok(find(&mut conn, id).await?)
}

async fn find(conn: &mut AsyncPgConnection, id: i32) -> QueryResult<Option<Scenario>> {
    scenarios::table
        .find(id)
        .select(Scenario::as_select())
        .first(conn)
        .await
        .optional()
}

/// Every version of a scenario, newest first (no permission: the caller decides).
pub async fn versions_of(conn: &mut AsyncPgConnection, id: i32) -> QueryResult<Vec<Version>> {
    versions::table
        .filter(versions::scenario_id.eq(id))
        .order(versions::version.desc())
        .select(Version::as_select())
        .load(conn)
        .await
}

pub async fn version(
    conn: &mut AsyncPgConnection,
    id: i32,
    version: i32,
) -> QueryResult<Option<Version>> {
    versions::table
        .find((id, version))
        .select(Version::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn versions_for(app: &App, caller: &Caller, id: i32) -> AppResult<Vec<Version>> {
    caller.require(Permission::ChatbotManage)?;
    let mut conn = app.db.get().await?;
    Ok(versions_of(&mut conn, id).await?)
}

/// Each scenario's draft: its newest version when that has never been live.
/// One query for every scenario (a list shows them all).
pub async fn drafts(app: &App, caller: &Caller) -> AppResult<std::collections::HashMap<i32, i32>> {
    caller.require(Permission::ChatbotManage)?;
    let mut conn = app.db.get().await?;
    let newest: Vec<(i32, i32, Option<DateTime<Utc>>)> = versions::table
        .distinct_on(versions::scenario_id)
        .order((versions::scenario_id, versions::version.desc()))
        .select((
            versions::scenario_id,
            versions::version,
            versions::published_at,
        ))
        .load(&mut conn)
        .await?;
    Ok(newest
        .into_iter()
        .filter(|(_, _, published)| published.is_none())
        .map(|(id, v, _)| (id, v))
        .collect())
}

fn staff_id(caller: &Caller) -> Option<uuid::Uuid> {
    caller.staff().ok().map(|s| s.account_id)
}

fn audited_scenario(s: Scenario, extra: Value) -> (Scenario, AuditTarget, Value) {
    let target = AuditTarget::new("chatbot_scenario", s.id);
    let mut summary = json!({ "name": s.name, "liveVersion": s.live_version });
    if let (Some(m), Some(e)) = (summary.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    (s, target, summary)
}

pub async fn create(
    app: &App,
    caller: &Caller,
    header: Header,
    graph: Value,
) -> AppResult<Scenario> {
    caller.require(Permission::ChatbotManage)?;
    let mut p = Problems::new();
    header.problems(&mut p);
    p.into_result()?;
    let graph = serde_json::to_value(parse_graph(&graph)?).map_err(AppError::internal)?;
    let header = header.tidied();
    let by = staff_id(caller);
    audit::audited(app, caller, "chatbot.scenario.create", move |conn| {
        Box::pin(async move {
            let s = insert(conn, &header, graph, by).await?;
            Ok(audited_scenario(s, json!({ "version": 1 })))
        })
    })
    .await
}

/// Inserts a scenario with its first version as a draft (also the demo's templates).
pub async fn insert(
    conn: &mut AsyncPgConnection,
    header: &Header,
    graph: Value,
    by: Option<uuid::Uuid>,
) -> AppResult<Scenario> {
    let s: Scenario = diesel::insert_into(scenarios::table)
        .values((
            scenarios::name.eq(&header.name),
            scenarios::description.eq(&header.description),
            scenarios::triggers.eq(&header.triggers),
        ))
        .returning(Scenario::as_returning())
        .get_result(conn)
        .await
        .map_err(name_taken)?;
    diesel::insert_into(versions::table)
        .values((
            versions::scenario_id.eq(s.id),
            versions::version.eq(1),
            versions::graph.eq(graph),
            versions::created_by.eq(by),
        ))
        .execute(conn)
        .await?;
    Ok(s)
}

fn name_taken(e: diesel::result::Error) -> AppError {
    match AppError::from(e) {
        AppError::Conflict(_) => AppError::bad_input("input.name", "同じ名前のシナリオがあります"),
        other => other,
    }
}

/// Saves the header and the draft graph: the newest version when it has
/// never been live, otherwise a new version. Returns the draft's number.
pub async fn save_draft(
    app: &App,
    caller: &Caller,
    id: i32,
    header: Header,
    graph: Value,
) -> AppResult<(Scenario, i32)> {
    caller.require(Permission::ChatbotManage)?;
    let mut p = Problems::new();
    header.problems(&mut p);
    p.into_result()?;
    let graph = serde_json::to_value(parse_graph(&graph)?).map_err(AppError::internal)?;
    let header = header.tidied();
    let by = staff_id(caller);
    audit::audited(app, caller, "chatbot.scenario.save", move |conn| {
        Box::pin(async move {
            // One saver at a time per scenario: the version numbers do not race.
            let s: Scenario = scenarios::table
                .find(id)
                .for_update()
                .select(Scenario::as_select())
                .first(conn)
                .await
                .optional()?
                .ok_or_else(|| AppError::NotFound("scenario".into()))?;
            let newest = versions_of(conn, id).await?.into_iter().next();
            let draft = match newest {
                Some(v) if v.published_at.is_none() => {
                    diesel::update(versions::table.find((id, v.version)))
                        .set((versions::graph.eq(&graph), versions::created_by.eq(by)))
                        .execute(conn)
                        .await?;
                    v.version
                }
                newest => {
                    let n = newest.map_or(1, |v| v.version + 1);
                    diesel::insert_into(versions::table)
                        .values((
                            versions::scenario_id.eq(id),
                            versions::version.eq(n),
                            versions::graph.eq(&graph),
                            versions::created_by.eq(by),
                        ))
                        .execute(conn)
                        .await?;
                    n
                }
            };
            let s: Scenario = diesel::update(scenarios::table.find(s.id))
                .set((
                    scenarios::name.eq(&header.name),
                    scenarios::description.eq(&header.description),
                    scenarios::triggers.eq(&header.triggers),
                    scenarios::updated_at.eq(diesel::dsl::now),
                ))
                .returning(Scenario::as_returning())
                .get_result(conn)
                .await
                .map_err(name_taken)?;
            let (s, target, summary) = audited_scenario(s, json!({ "draftVersion": draft }));
            Ok(((s, draft), target, summary))
        })
    })
    .await
}

/// Everything publishing checks: the graph's own problems and that the FAQ
/// entries and scenarios it jumps to exist.
pub async fn publish_problems(conn: &mut AsyncPgConnection, graph: &Graph) -> AppResult<()> {
    let mut p = Problems::new();
    graph.publish_problems("graph", &mut p);
    for (i, target) in graph.jump_targets() {
        let exists = match target {
            Target::Faq { id } => {
                diesel::select(diesel::dsl::exists(faq_entries::table.find(*id)))
                    .get_result(conn)
                    .await?
            }
            Target::Scenario { id } => {
                diesel::select(diesel::dsl::exists(scenarios::table.find(*id)))
                    .get_result(conn)
                    .await?
            }
            Target::Survey { .. } | Target::Liff { .. } => true,
        };
        p.check(
            exists,
            &format!("graph.nodes[{i}].target.id"),
            &format!("「{}」の移動先が見つかりません", graph.nodes[i].id),
        );
    }
    // Saved or branched-on attributes exist, and each label is one of their options.
    for (i, attribute, labels) in graph.attributes() {
        let node = &graph.nodes[i].id;
        let Some(options) = crate::audience::chat::options_of(conn, attribute).await? else {
            p.add(
                format!("graph.nodes[{i}].attribute"),
                format!("「{node}」の属性「{attribute}」は選択式の属性として見つかりません"),
            );
            continue;
        };
        let field = |j: usize| match graph.nodes[i].kind {
            super::graph::Kind::Branch { .. } => format!("cases[{j}].equals"),
            _ => format!("choices[{j}].label"),
        };
        for (j, label) in labels.iter().enumerate() {
            p.check(
                options.iter().any(|o| o.trim() == *label),
                &format!("graph.nodes[{i}].{}", field(j)),
                &format!("「{label}」は属性「{attribute}」の選択肢にありません"),
            );
        }
    }
    p.into_result()
}

/// Makes `version` the live one after checking it.
pub async fn publish(app: &App, caller: &Caller, id: i32, version: i32) -> AppResult<Scenario> {
    caller.require(Permission::ChatbotManage)?;
    go_live(app, caller, id, version, "chatbot.scenario.publish").await
}

/// Points the scenario back at a version that was live before.
pub async fn rollback(app: &App, caller: &Caller, id: i32, version: i32) -> AppResult<Scenario> {
    caller.require(Permission::ChatbotManage)?;
    let mut conn = app.db.get().await?;
    let v = self::version(&mut conn, id, version)
        .await?
        .ok_or_else(|| AppError::NotFound("scenario version".into()))?;
    if v.published_at.is_none() {
        return Err(AppError::bad_input(
            "version",
            "公開したことのない版には戻せません（公開してください）",
        ));
    }
    drop(conn);
    go_live(app, caller, id, version, "chatbot.scenario.rollback").await
}

async fn go_live(
    app: &App,
    caller: &Caller,
    id: i32,
    version: i32,
    action: &'static str,
) -> AppResult<Scenario> {
    audit::audited(app, caller, action, move |conn| {
        Box::pin(async move {
            let before = scenarios::table
                .find(id)
                .for_update()
                .select(Scenario::as_select())
                .first(conn)
                .await
                .optional()?
                .ok_or_else(|| AppError::NotFound("scenario".into()))?;
            let v = self::version(conn, id, version)
                .await?
                .ok_or_else(|| AppError::NotFound("scenario version".into()))?;
            publish_problems(conn, &v.graph()?).await?;
            diesel::update(versions::table.find((id, version)))
                .filter(versions::published_at.is_null())
                .set(versions::published_at.eq(diesel::dsl::now))
                .execute(conn)
                .await?;
            let s: Scenario = diesel::update(scenarios::table.find(id))
                .set((
                    scenarios::live_version.eq(version),
                    scenarios::updated_at.eq(diesel::dsl::now),
                ))
                .returning(Scenario::as_returning())
                .get_result(conn)
                .await?;
            Ok(audited_scenario(
                s,
                json!({ "from": before.live_version, "to": version }),
            ))
        })
    })
    .await
}

/// Takes the scenario off the air (residents in it finish where they are).
pub async fn unpublish(app: &App, caller: &Caller, id: i32) -> AppResult<Scenario> {
    caller.require(Permission::ChatbotManage)?;
    audit::audited(app, caller, "chatbot.scenario.unpublish", move |conn| {
        Box::pin(async move {
            let s: Scenario = diesel::update(scenarios::table.find(id))
                .set((
                    scenarios::live_version.eq(None::<i32>),
                    scenarios::updated_at.eq(diesel::dsl::now),
                ))
                .returning(Scenario::as_returning())
                .get_result(conn)
                .await
                .optional()?
                .ok_or_else(|| AppError::NotFound("scenario".into()))?;
            Ok(audited_scenario(s, json!({})))
        })
    })
    .await
}

pub async fn delete(app: &App, caller: &Caller, id: i32) -> AppResult<bool> {
    caller.require(Permission::ChatbotManage)?;
    audit::audited(app, caller, "chatbot.scenario.delete", move |conn| {
        Box::pin(async move {
            let s: Scenario = diesel::delete(scenarios::table.find(id))
                .returning(Scenario::as_returning())
                .get_result(conn)
                .await
                .optional()?
                .ok_or_else(|| AppError::NotFound("scenario".into()))?;
            let (_, target, summary) = audited_scenario(s, json!({}));
            Ok((true, target, summary))
        })
    })
    .await
}

/// A resident's place in a scenario.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = chatbot_sessions)]
pub struct Session {
    pub line_user_id: String,
    pub scenario_id: i32,
    pub version: i32,
    pub node_id: String,
    pub answers: Value,
    pub testing: bool,
    pub updated_at: DateTime<Utc>,
}

pub async fn session_of(conn: &mut AsyncPgConnection, user: &str) -> QueryResult<Option<Session>> {
    chatbot_sessions::table
        .find(user)
        .select(Session::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn save_session(conn: &mut AsyncPgConnection, s: &Session) -> QueryResult<()> {
    diesel::insert_into(chatbot_sessions::table)
        .values((
            chatbot_sessions::line_user_id.eq(&s.line_user_id),
            chatbot_sessions::scenario_id.eq(s.scenario_id),
            chatbot_sessions::version.eq(s.version),
            chatbot_sessions::node_id.eq(&s.node_id),
            chatbot_sessions::answers.eq(&s.answers),
            chatbot_sessions::testing.eq(s.testing),
        ))
        .on_conflict(chatbot_sessions::line_user_id)
        .do_update()
        .set((
            chatbot_sessions::scenario_id.eq(s.scenario_id),
            chatbot_sessions::version.eq(s.version),
            chatbot_sessions::node_id.eq(&s.node_id),
            chatbot_sessions::answers.eq(&s.answers),
            chatbot_sessions::testing.eq(s.testing),
            chatbot_sessions::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn end_session(conn: &mut AsyncPgConnection, user: &str) -> QueryResult<()> {
    diesel::delete(chatbot_sessions::table.find(user))
        .execute(conn)
        .await?;
    Ok(())
}

/// Every scenario with a version: its triggers, live version and newest
/// version (a tester gets the newest, draft or not).
pub struct Triggers {
    pub id: i32,
    pub triggers: Vec<String>,
    pub live: Option<i32>,
    pub newest: i32,
}

/// (id, triggers, live version, newest version) as read.
type TriggerRow = (i32, Vec<String>, Option<i32>, Option<i32>);

pub async fn triggers(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Triggers>> {
    let rows: Vec<TriggerRow> = scenarios::table
        .left_join(versions::table)
        .group_by((scenarios::id, scenarios::triggers, scenarios::live_version))
        .select((
            scenarios::id,
            scenarios::triggers,
            scenarios::live_version,
            diesel::dsl::max(versions::version).nullable(),
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, triggers, live, newest)| {
            Some(Triggers {
                id,
                triggers,
                live,
                newest: newest?,
            })
        })
        .collect())
}

/// The scenario's live version, if it is on the air.
pub async fn find_live(conn: &mut AsyncPgConnection, id: i32) -> QueryResult<Option<i32>> {
    Ok(find(conn, id).await?.and_then(|s| s.live_version))
}

/// Flags a resident who asked for a person (one open flag per resident).
pub async fn open_handover(
    conn: &mut AsyncPgConnection,
    user: &str,
    scenario: i32,
    node: &str,
) -> QueryResult<()> {
    let open: bool = diesel::select(diesel::dsl::exists(
        chatbot_handovers::table
            .filter(chatbot_handovers::line_user_id.eq(user))
            .filter(chatbot_handovers::closed_at.is_null()),
    ))
    .get_result(conn)
    .await?;
    if !open {
        diesel::insert_into(chatbot_handovers::table)
            .values((
                chatbot_handovers::line_user_id.eq(user),
                chatbot_handovers::scenario_id.eq(scenario),
                chatbot_handovers::node_id.eq(node),
            ))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Sessions nobody answered for `minutes`: removed, and returned for the drop-off log.
pub async fn take_expired(conn: &mut AsyncPgConnection, minutes: i64) -> QueryResult<Vec<Session>> {
    let before = Utc::now() - chrono::Duration::minutes(minutes);
    diesel::delete(chatbot_sessions::table.filter(chatbot_sessions::updated_at.lt(before)))
        .returning(Session::as_returning())
        .get_results(conn)
        .await
}
