//! Scenarios in the staff API (`chatbot.manage` for every field). A graph
//! travels as JSON (the console's flow chart edits it as a document) and is
//! checked here field by field, errors addressed like `graph.nodes[2].next`.

use async_graphql::{ComplexObject, Context, InputObject, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::engine::{Effect, Input, Position, Runner};
use super::store::{self, Header, Scenario as Row, Version as VersionRow};
use crate::auth::Permission;
use crate::error::AppError;
use crate::gql::ContextExt;

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Scenario {
    pub id: i32,
    pub name: String,
    pub description: String,
    /// What a resident types to start it (the whole message; width and kana do not matter).
    pub triggers: Vec<String>,
    /// The version residents get; none: not on the air.
    pub live_version: Option<i32>,
    pub updated_at: DateTime<Utc>,
}

impl From<Row> for Scenario {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            name: r.name,
            description: r.description,
            triggers: r.triggers,
            live_version: r.live_version,
            updated_at: r.updated_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct ScenarioVersion {
    pub version: i32,
    pub graph: Json<Value>,
    pub created_at: DateTime<Utc>,
    /// When it first went live; a version that has been live is never edited.
    pub published_at: Option<DateTime<Utc>>,
    pub live: bool,
}

fn version_of(v: VersionRow, live: Option<i32>) -> ScenarioVersion {
    ScenarioVersion {
        live: live == Some(v.version),
        version: v.version,
        graph: Json(v.graph),
        created_at: v.created_at,
        published_at: v.published_at,
    }
}

#[ComplexObject]
impl Scenario {
    /// Every version, newest first.
    async fn versions(&self, ctx: &Context<'_>) -> Result<Vec<ScenarioVersion>> {
        Ok(store::versions_for(ctx.app(), ctx.caller(), self.id)
            .await?
            .into_iter()
            .map(|v| version_of(v, self.live_version))
            .collect())
    }

    /// The newest version if it has never been live (what saving edits).
    async fn draft_version(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        // Read once per request for every scenario, not once per scenario.
        struct Drafts(std::collections::HashMap<i32, i32>);
        let (app, caller) = (ctx.app(), ctx.caller());
        let drafts = ctx
            .request_cache()
            .get_or_load(|| async { store::drafts(app, caller).await.map(Drafts) })
            .await?;
        Ok(drafts.0.get(&self.id).copied())
    }
}

#[derive(InputObject)]
pub struct ScenarioInput {
    pub name: String,
    #[graphql(default)]
    pub description: String,
    #[graphql(default)]
    pub triggers: Vec<String>,
    /// `{ start, nodes: [{ id, type, … }] }` (README, "Scenario graphs").
    pub graph: Json<Value>,
}

impl ScenarioInput {
    fn split(self) -> (Header, Value) {
        (
            Header {
                name: self.name,
                description: self.description,
                triggers: self.triggers,
            },
            self.graph.0,
        )
    }
}

#[derive(SimpleObject)]
pub struct ScenarioDraft {
    pub scenario: Scenario,
    pub version: i32,
}

#[derive(SimpleObject)]
pub struct ScenarioProblem {
    pub field: String,
    pub message: String,
}

#[derive(SimpleObject)]
pub struct ScenarioCheck {
    /// What publishing would refuse (empty: it may be published).
    pub problems: Vec<ScenarioProblem>,
    /// Nodes the start never reaches (allowed; shown greyed out).
    pub unreachable: Vec<String>,
}

#[derive(InputObject)]
pub struct SimulationStep {
    /// What the resident typed …
    pub text: Option<String>,
    /// … or the quick reply they tapped: its node and index.
    pub choice_node: Option<String>,
    pub choice_index: Option<i32>,
}

#[derive(SimpleObject)]
pub struct Simulation {
    /// The reply as LINE would get it.
    pub messages: Json<Vec<Value>>,
    /// Send back with the next step; none: the scenario ended.
    pub position: Option<Json<Position>>,
    pub visited: Vec<String>,
    /// FAQ answers, scenario starts and hand-overs the turn asks for.
    pub effects: Json<Vec<Effect>>,
    /// The text was not an answer the node takes: the chat would leave the scenario.
    pub left_scenario: bool,
    /// The FAQ answer a jump leads to.
    pub faq_answer: Option<String>,
}

fn problems_of(e: AppError) -> Result<Vec<ScenarioProblem>> {
    match e {
        AppError::BadInput(v) => Ok(v
            .into_iter()
            .map(|f| ScenarioProblem {
                field: f.field,
                message: f.message,
            })
            .collect()),
        other => Err(other.into()),
    }
}

#[derive(Default)]
pub struct ScenarioQuery;

#[Object]
impl ScenarioQuery {
    /// Residents waiting for a person, newest first (`closed`: those already taken over).
    async fn chatbot_handovers(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] closed: bool,
    ) -> Result<Vec<super::handover::Handover>> {
        Ok(super::handover::list(ctx.app(), ctx.caller(), closed).await?)
    }

    async fn chatbot_scenarios(&self, ctx: &Context<'_>) -> Result<Vec<Scenario>> {
        Ok(store::list(ctx.app(), ctx.caller())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    async fn chatbot_scenario(&self, ctx: &Context<'_>, id: i32) -> Result<Option<Scenario>> {
        Ok(store::get(ctx.app(), ctx.caller(), id)
            .await?
            .map(Into::into))
    }

    /// What publishing this graph would refuse, without saving it.
    async fn check_scenario_graph(
        &self,
        ctx: &Context<'_>,
        graph: Json<Value>,
    ) -> Result<ScenarioCheck> {
        ctx.caller().require(Permission::ChatbotManage)?;
        let graph = match store::parse_graph(&graph.0) {
            Ok(g) => g,
            Err(e) => {
                return Ok(ScenarioCheck {
                    problems: problems_of(e)?,
                    unreachable: vec![],
                });
            }
        };
        let mut conn = ctx.app().db.get().await.map_err(AppError::from)?;
        let problems = match store::publish_problems(&mut conn, &graph).await {
            Ok(()) => vec![],
            Err(e) => problems_of(e)?,
        };
        Ok(ScenarioCheck {
            problems,
            unreachable: graph.unreachable(),
        })
    }

    /// One turn of a version in the console's chat simulator (nothing is
    /// stored and nothing is sent to LINE).
    async fn simulate_scenario(
        &self,
        ctx: &Context<'_>,
        id: i32,
        version: i32,
        position: Option<Json<Position>>,
        step: Option<SimulationStep>,
    ) -> Result<Simulation> {
        let app = ctx.app();
        ctx.caller().require(Permission::ChatbotManage)?;
        let mut conn = app.db.get().await.map_err(AppError::from)?;
        let v = store::version(&mut conn, id, version)
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| AppError::NotFound("scenario version".into()))?;
        let graph = v.graph()?;
        let input = match step {
            None => Input::Start,
            Some(SimulationStep {
                text: Some(t),
                choice_node: None,
                ..
            }) => {
                if t.chars().count() > 1000 {
                    return Err(AppError::bad_input(
                        "step.text",
                        "1,000文字以内で入力してください",
                    )
                    .into());
                }
                Input::Text(t)
            }
            Some(SimulationStep {
                text: None,
                choice_node: Some(node),
                choice_index: Some(i),
            }) if i >= 0 => Input::Choice {
                node,
                index: i as usize,
            },
            Some(_) => {
                return Err(AppError::bad_input(
                    "step",
                    "文字か選択肢（ノードと番号）のどちらか一方を指定してください",
                )
                .into());
            }
        };
        let at = position.map(|p| p.0);
        let turn = Runner::new(&graph, id, version).step(at.as_ref(), input);
        let faq_answer = match turn.effects.iter().find_map(|e| match e {
            Effect::Faq { id } => Some(*id),
            _ => None,
        }) {
            Some(faq) => crate::chatbot::faq::by_ids(&mut conn, &[faq])
                .await?
                .pop()
                .map(|e| e.answer),
            None => None,
        };
        Ok(Simulation {
            messages: Json(turn.messages),
            position: turn.position.map(Json),
            visited: turn.visited,
            effects: Json(turn.effects),
            left_scenario: turn.unmatched,
            faq_answer,
        })
    }
}

#[derive(Default)]
pub struct ScenarioMutation;

#[Object]
impl ScenarioMutation {
    /// A new scenario; its graph is version 1, a draft.
    async fn create_scenario(&self, ctx: &Context<'_>, input: ScenarioInput) -> Result<Scenario> {
        let (header, graph) = input.split();
        Ok(store::create(ctx.app(), ctx.caller(), header, graph)
            .await?
            .into())
    }

    /// Saves the draft (a new version when the newest has been live).
    async fn save_scenario_draft(
        &self,
        ctx: &Context<'_>,
        id: i32,
        input: ScenarioInput,
    ) -> Result<ScenarioDraft> {
        let (header, graph) = input.split();
        let (s, version) = store::save_draft(ctx.app(), ctx.caller(), id, header, graph).await?;
        Ok(ScenarioDraft {
            scenario: s.into(),
            version,
        })
    }

    /// Makes a version live after checking it (refused with each problem's path).
    async fn publish_scenario(&self, ctx: &Context<'_>, id: i32, version: i32) -> Result<Scenario> {
        Ok(store::publish(ctx.app(), ctx.caller(), id, version)
            .await?
            .into())
    }

    /// Makes an earlier live version live again.
    async fn rollback_scenario(
        &self,
        ctx: &Context<'_>,
        id: i32,
        version: i32,
    ) -> Result<Scenario> {
        Ok(store::rollback(ctx.app(), ctx.caller(), id, version)
            .await?
            .into())
    }

    async fn unpublish_scenario(&self, ctx: &Context<'_>, id: i32) -> Result<Scenario> {
        Ok(store::unpublish(ctx.app(), ctx.caller(), id).await?.into())
    }

    /// Marks a hand-over as taken over by a person (対応済み).
    async fn close_chatbot_handover(&self, ctx: &Context<'_>, id: i64) -> Result<bool> {
        Ok(super::handover::close(ctx.app(), ctx.caller(), id).await?)
    }

    async fn delete_scenario(&self, ctx: &Context<'_>, id: i32) -> Result<bool> {
        Ok(store::delete(ctx.app(), ctx.caller(), id).await?)
    }
}
