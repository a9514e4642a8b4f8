//! Staff side: the catalogue (attributes, options, receive-item tree) and
//! saved segments. Every change is audited; deleting something a saved
//! segment names flags that segment for review instead of silently changing
//! whom it reaches.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use futures::future::BoxFuture;

use super::expr::{self, Catalog, Expr, OptionInfo};
use crate::app::App;
use crate::audit::{self, Target};
use crate::auth::{Caller, Permission};
use crate::db::schema::{attribute_options, attributes, category_nodes, segments};
use crate::error::{AppError, AppResult, Problems};

pub const KINDS: &[&str] = &[
    "single",
    "multiple",
    "birth_year",
    "gender",
    "municipality",
    "regions",
    "free_text",
];
pub const GENDER_OPTIONS: &[&str] = &["男性", "女性", "その他", "回答しない"];

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = attributes)]
pub struct Attribute {
    pub id: i32,
    pub name: String,
    pub kind: String,
    pub help_text: String,
    pub position: i32,
    pub archived_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = attribute_options)]
pub struct AttrOption {
    pub id: i32,
    pub attribute_id: i32,
    pub label: String,
    pub position: i32,
    pub archived_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = category_nodes)]
pub struct Node {
    pub id: i32,
    pub parent_id: Option<i32>,
    pub name: String,
    pub level: i32,
    pub position: i32,
    pub archived_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = segments)]
pub struct Segment {
    pub id: i32,
    pub name: String,
    pub expression: serde_json::Value,
    pub needs_review: bool,
    pub review_reason: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Segment {
    pub fn expr(&self) -> AppResult<Expr> {
        serde_json::from_value(self.expression.clone()).map_err(AppError::internal)
    }
}

pub async fn load_catalog(conn: &mut AsyncPgConnection) -> QueryResult<Catalog> {
    let opts: Vec<(i32, i32, String, Option<DateTime<Utc>>)> = attribute_options::table
        .inner_join(attributes::table)
        .select((
            attribute_options::id,
            attributes::id,
            attributes::kind,
            attribute_options::deleted_at,
        ))
        .load(conn)
        .await?;
    let nodes: Vec<(i32, Option<i32>)> = category_nodes::table
        .select((category_nodes::id, category_nodes::parent_id))
        .load(conn)
        .await?;
    let mut c = Catalog::default();
    for (id, attribute_id, kind, deleted) in opts {
        c.options.insert(
            id,
            OptionInfo {
                attribute_id,
                kind,
                deleted: deleted.is_some(),
            },
        );
    }
    for (id, parent) in nodes {
        c.parent.insert(id, parent);
        if let Some(p) = parent {
            c.children.entry(p).or_default().push(id);
        }
    }
    Ok(c)
}

/// Attributes (position order) with their options; deleted options are left out.
pub async fn attributes_with_options(
    conn: &mut AsyncPgConnection,
) -> QueryResult<Vec<(Attribute, Vec<AttrOption>)>> {
    let attrs: Vec<Attribute> = attributes::table
        .filter(attributes::deleted_at.is_null())
        .order((attributes::position, attributes::id))
        .select(Attribute::as_select())
        .load(conn)
        .await?;
    let opts: Vec<AttrOption> = attribute_options::table
        .filter(attribute_options::deleted_at.is_null())
        .order((attribute_options::position, attribute_options::id))
        .select(AttrOption::as_select())
        .load(conn)
        .await?;
    let mut by_attr: HashMap<i32, Vec<AttrOption>> = HashMap::new();
    for o in opts {
        by_attr.entry(o.attribute_id).or_default().push(o);
    }
    Ok(attrs
        .into_iter()
        .map(|a| {
            let o = by_attr.remove(&a.id).unwrap_or_default();
            (a, o)
        })
        .collect())
}

pub async fn nodes(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Node>> {
    category_nodes::table
        .order((
            category_nodes::level,
            category_nodes::position,
            category_nodes::id,
        ))
        .select(Node::as_select())
        .load(conn)
        .await
}

/// Reading the catalogue and the saved segments: their managers, and
/// delivery authors, who build a delivery's target from them (reading only).
pub const READERS: &[Permission] = &[Permission::SegmentManage, Permission::DeliveryCreate];

pub async fn list_attributes(
    app: &App,
    caller: &Caller,
) -> AppResult<Vec<(Attribute, Vec<AttrOption>)>> {
    caller.require_any(READERS)?;
    let mut conn = app.db.get().await?;
    Ok(attributes_with_options(&mut conn).await?)
}

pub async fn list_nodes(app: &App, caller: &Caller) -> AppResult<Vec<Node>> {
    caller.require_any(READERS)?;
    let mut conn = app.db.get().await?;
    Ok(nodes(&mut conn).await?)
}

fn label_ok(p: &mut Problems, field: &str, s: &str, max: usize) {
    let n = s.trim().chars().count();
    p.check(
        n > 0 && n <= max && !s.chars().any(char::is_control),
        field,
        &format!("1〜{max}文字で入力してください"),
    );
}

/// Runs `f` in one transaction with its audit row (`action` on the target `f` names).
async fn audited<T, F>(app: &App, caller: &Caller, action: &'static str, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: for<'c> FnOnce(
            &'c mut AsyncPgConnection,
        ) -> BoxFuture<'c, AppResult<(T, Target, serde_json::Value)>>
        + Send
        + 'static,
{
    caller.require(Permission::SegmentManage)?;
    audit::audited(app, caller, action, f).await
}

pub struct NewAttribute {
    pub name: String,
    pub kind: String,
    pub help_text: String,
    pub options: Vec<String>,
}

pub async fn create_attribute(
    app: &App,
    caller: &Caller,
    input: NewAttribute,
) -> AppResult<Attribute> {
    caller.require(Permission::SegmentManage)?;
    let mut p = Problems::new();
    label_ok(&mut p, "name", &input.name, 100);
    p.check(
        KINDS.contains(&input.kind.as_str()),
        "kind",
        "項目の種類が正しくありません",
    );
    p.check(
        input.help_text.chars().count() <= 500,
        "helpText",
        "説明は500文字以内で入力してください",
    );
    for (i, o) in input.options.iter().enumerate() {
        label_ok(&mut p, &format!("options[{i}]"), o, 100);
    }
    let choice = matches!(
        input.kind.as_str(),
        "single" | "multiple" | "municipality" | "regions"
    );
    p.check(
        !choice || !input.options.is_empty(),
        "options",
        "選択肢を1つ以上入力してください",
    );
    p.check(
        choice || input.kind == "gender" || input.options.is_empty(),
        "options",
        "この種類の項目に選択肢は付けられません",
    );
    p.check(
        input.options.len() <= 1000,
        "options",
        "選択肢は1000個までです",
    );
    p.into_result()?;
    let options = if input.kind == "gender" && input.options.is_empty() {
        GENDER_OPTIONS.iter().map(|s| s.to_string()).collect()
    } else {
        input.options
    };
    audited(app, caller, "audience.attribute.create", move |conn| {
        Box::pin(async move {
            let position: Option<i32> = attributes::table
                .select(diesel::dsl::max(attributes::position))
                .first(conn)
                .await?;
            let a: Attribute = diesel::insert_into(attributes::table)
                .values((
                    attributes::name.eq(input.name.trim()),
                    attributes::kind.eq(&input.kind),
                    attributes::help_text.eq(input.help_text.trim()),
                    attributes::position.eq(position.unwrap_or(0) + 1),
                ))
                .returning(Attribute::as_returning())
                .get_result(conn)
                .await?;
            let rows: Vec<_> = options
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    (
                        attribute_options::attribute_id.eq(a.id),
                        attribute_options::label.eq(l.trim().to_string()),
                        attribute_options::position.eq(i as i32 + 1),
                    )
                })
                .collect();
            diesel::insert_into(attribute_options::table)
                .values(rows)
                .execute(conn)
                .await?;
            let summary = json!({ "name": a.name, "kind": a.kind, "options": options });
            Ok((a.clone(), Target::new("attribute", a.id), summary))
        })
    })
    .await
}

pub async fn update_attribute(
    app: &App,
    caller: &Caller,
    id: i32,
    name: Option<String>,
    help_text: Option<String>,
    archived: Option<bool>,
) -> AppResult<Attribute> {
    caller.require(Permission::SegmentManage)?;
    let mut p = Problems::new();
    if let Some(n) = &name {
        label_ok(&mut p, "name", n, 100);
    }
    if let Some(h) = &help_text {
        p.check(
            h.chars().count() <= 500,
            "helpText",
            "説明は500文字以内で入力してください",
        );
    }
    p.into_result()?;
    audited(app, caller, "audience.attribute.update", move |conn| {
        Box::pin(async move {
            let before: Attribute = attributes::table
                .find(id)
                .select(Attribute::as_select())
                .first(conn)
                .await
                .optional()?
                .ok_or_else(|| AppError::NotFound("attribute".into()))?;
            let archived_at = match archived {
                Some(true) => Some(before.archived_at.unwrap_or_else(Utc::now)),
                Some(false) => None,
                None => before.archived_at,
            };
            let after: Attribute = diesel::update(attributes::table.find(id))
                .set((
                    attributes::name.eq(name.as_deref().map(str::trim).unwrap_or(&before.name)),
                    attributes::help_text.eq(help_text.as_deref().map(str::trim).unwrap_or(&before.help_text)),
                    attributes::archived_at.eq(archived_at),
                    attributes::updated_at.eq(diesel::dsl::now),
                ))
                .returning(Attribute::as_returning())
                .get_result(conn)
                .await?;
            let summary = json!({ "before": { "name": before.name, "archived": before.archived_at.is_some() },
                                  "after": { "name": after.name, "archived": after.archived_at.is_some() } });
            Ok((after, Target::new("attribute", id), summary))
        })
    })
    .await
}

/// Puts attributes (or one attribute's options) in the given order.
pub async fn reorder(
    app: &App,
    caller: &Caller,
    attribute_id: Option<i32>,
    ids: Vec<i32>,
) -> AppResult<()> {
    caller.require(Permission::SegmentManage)?;
    let unique: HashSet<i32> = ids.iter().copied().collect();
    if unique.len() != ids.len() || ids.is_empty() {
        return Err(AppError::bad_input("ids", "並び順に重複があります"));
    }
    audited(
        app,
        caller,
        if attribute_id.is_some() {
            "audience.option.reorder"
        } else {
            "audience.attribute.reorder"
        },
        move |conn| {
            Box::pin(async move {
                for (i, id) in ids.iter().enumerate() {
                    let n = match attribute_id {
                        None => {
                            diesel::update(attributes::table.find(id))
                                .set(attributes::position.eq(i as i32 + 1))
                                .execute(conn)
                                .await?
                        }
                        Some(a) => {
                            diesel::update(
                                attribute_options::table
                                    .find(id)
                                    .filter(attribute_options::attribute_id.eq(a)),
                            )
                            .set(attribute_options::position.eq(i as i32 + 1))
                            .execute(conn)
                            .await?
                        }
                    };
                    if n == 0 {
                        return Err(AppError::bad_input(
                            format!("ids[{i}]"),
                            "並べ替えの対象ではありません",
                        ));
                    }
                }
                let target = Target::new(
                    if attribute_id.is_some() {
                        "attribute"
                    } else {
                        "attributes"
                    },
                    attribute_id.map_or("all".into(), |a| a.to_string()),
                );
                Ok(((), target, json!({ "order": ids })))
            })
        },
    )
    .await
}

pub async fn add_option(
    app: &App,
    caller: &Caller,
    attribute_id: i32,
    label: String,
) -> AppResult<AttrOption> {
    caller.require(Permission::SegmentManage)?;
    let mut p = Problems::new();
    label_ok(&mut p, "label", &label, 100);
    p.into_result()?;
    audited(app, caller, "audience.option.create", move |conn| {
        Box::pin(async move {
            let kind: String = attributes::table
                .find(attribute_id)
                .select(attributes::kind)
                .first(conn)
                .await
                .optional()?
                .ok_or_else(|| AppError::NotFound("attribute".into()))?;
            if matches!(kind.as_str(), "birth_year" | "free_text") {
                return Err(AppError::bad_input(
                    "attributeId",
                    "この種類の項目に選択肢は付けられません",
                ));
            }
            let position: Option<i32> = attribute_options::table
                .filter(attribute_options::attribute_id.eq(attribute_id))
                .select(diesel::dsl::max(attribute_options::position))
                .first(conn)
                .await?;
            let o: AttrOption = diesel::insert_into(attribute_options::table)
                .values((
                    attribute_options::attribute_id.eq(attribute_id),
                    attribute_options::label.eq(label.trim()),
                    attribute_options::position.eq(position.unwrap_or(0) + 1),
                ))
                .returning(AttrOption::as_returning())
                .get_result(conn)
                .await?;
            Ok((
                o.clone(),
                Target::new("attribute_option", o.id),
                json!({ "attributeId": attribute_id, "label": o.label }),
            ))
        })
    })
    .await
}

pub async fn update_option(
    app: &App,
    caller: &Caller,
    id: i32,
    label: Option<String>,
    archived: Option<bool>,
) -> AppResult<AttrOption> {
    caller.require(Permission::SegmentManage)?;
    let mut p = Problems::new();
    if let Some(l) = &label {
        label_ok(&mut p, "label", l, 100);
    }
    p.into_result()?;
    audited(app, caller, "audience.option.update", move |conn| {
        Box::pin(async move {
            let before: AttrOption = live_option(conn, id).await?;
            let archived_at = match archived {
                Some(true) => Some(before.archived_at.unwrap_or_else(Utc::now)),
                Some(false) => None,
                None => before.archived_at,
            };
            let after: AttrOption = diesel::update(attribute_options::table.find(id))
                .set((
                    attribute_options::label.eq(label.as_deref().map(str::trim).unwrap_or(&before.label)),
                    attribute_options::archived_at.eq(archived_at),
                ))
                .returning(AttrOption::as_returning())
                .get_result(conn)
                .await?;
            let summary = json!({ "before": { "label": before.label, "archived": before.archived_at.is_some() },
                                  "after": { "label": after.label, "archived": after.archived_at.is_some() } });
            Ok((after, Target::new("attribute_option", id), summary))
        })
    })
    .await
}

async fn live_option(conn: &mut AsyncPgConnection, id: i32) -> AppResult<AttrOption> {
    attribute_options::table
        .find(id)
        .filter(attribute_options::deleted_at.is_null())
        .select(AttrOption::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::NotFound("attribute option".into()))
}

/// Deletes options: residents' answers lose them, and saved segments that
/// name them are flagged for review (their audience would change).
async fn delete_options(
    conn: &mut AsyncPgConnection,
    ids: &[i32],
    reason: &str,
) -> AppResult<Vec<i32>> {
    diesel::update(attribute_options::table.filter(attribute_options::id.eq_any(ids)))
        .set(attribute_options::deleted_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
    diesel::sql_query(
        "UPDATE friend_settings SET option_ids = (SELECT coalesce(array_agg(o), '{}') FROM unnest(option_ids) o WHERE o <> ALL($1)),          updated_at = now() WHERE option_ids && $1",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Int4>, _>(ids)
    .execute(conn)
    .await?;
    let all: Vec<Segment> = segments::table
        .select(Segment::as_select())
        .load(conn)
        .await?;
    let doomed: HashSet<i32> = ids.iter().copied().collect();
    let mut flagged = Vec::new();
    for s in all {
        let mut used = HashSet::new();
        Catalog::options_in(&s.expr()?, &mut used);
        if !used.is_disjoint(&doomed) {
            diesel::update(segments::table.find(s.id))
                .set((
                    segments::needs_review.eq(true),
                    segments::review_reason.eq(reason),
                ))
                .execute(conn)
                .await?;
            flagged.push(s.id);
        }
    }
    Ok(flagged)
}

pub async fn delete_option(app: &App, caller: &Caller, id: i32) -> AppResult<Vec<i32>> {
    audited(app, caller, "audience.option.delete", move |conn| {
        Box::pin(async move {
            let o = live_option(conn, id).await?;
            let reason = format!("条件に使われている選択肢「{}」が削除されました", o.label);
            let flagged = delete_options(conn, &[id], &reason).await?;
            Ok((
                flagged.clone(),
                Target::new("attribute_option", id),
                json!({ "label": o.label, "flaggedSegments": flagged }),
            ))
        })
    })
    .await
}

pub async fn delete_attribute(app: &App, caller: &Caller, id: i32) -> AppResult<Vec<i32>> {
    audited(app, caller, "audience.attribute.delete", move |conn| {
        Box::pin(async move {
            let a: Attribute = attributes::table
                .find(id)
                .filter(attributes::deleted_at.is_null())
                .select(Attribute::as_select())
                .first(conn)
                .await
                .optional()?
                .ok_or_else(|| AppError::NotFound("attribute".into()))?;
            let ids: Vec<i32> = attribute_options::table
                .filter(attribute_options::attribute_id.eq(id))
                .filter(attribute_options::deleted_at.is_null())
                .select(attribute_options::id)
                .load(conn)
                .await?;
            let reason = format!("条件に使われている項目「{}」が削除されました", a.name);
            let flagged = delete_options(conn, &ids, &reason).await?;
            if a.kind == "birth_year" {
                diesel::sql_query(
                    "UPDATE friend_settings SET birth_year = NULL WHERE birth_year IS NOT NULL",
                )
                .execute(conn)
                .await?;
            }
            diesel::update(attributes::table.find(id))
                .set(attributes::deleted_at.eq(diesel::dsl::now))
                .execute(conn)
                .await?;
            Ok((
                flagged.clone(),
                Target::new("attribute", id),
                json!({ "name": a.name, "flaggedSegments": flagged }),
            ))
        })
    })
    .await
}

pub async fn create_node(
    app: &App,
    caller: &Caller,
    parent_id: Option<i32>,
    name: String,
) -> AppResult<Node> {
    caller.require(Permission::SegmentManage)?;
    let mut p = Problems::new();
    label_ok(&mut p, "name", &name, 100);
    p.into_result()?;
    audited(app, caller, "audience.category.create", move |conn| {
        Box::pin(async move {
            let level = match parent_id {
                None => 1,
                Some(pid) => {
                    let parent_level: i32 = category_nodes::table
                        .find(pid)
                        .select(category_nodes::level)
                        .first(conn)
                        .await
                        .optional()?
                        .ok_or_else(|| {
                            AppError::bad_input("parentId", "親の受信項目がありません")
                        })?;
                    if parent_level >= 3 {
                        return Err(AppError::bad_input(
                            "parentId",
                            "受信項目は大・中・小の3段階までです",
                        ));
                    }
                    parent_level + 1
                }
            };
            let position: Option<i32> = category_nodes::table
                .filter(category_nodes::parent_id.is_not_distinct_from(parent_id))
                .select(diesel::dsl::max(category_nodes::position))
                .first(conn)
                .await?;
            let n: Node = diesel::insert_into(category_nodes::table)
                .values((
                    category_nodes::parent_id.eq(parent_id),
                    category_nodes::name.eq(name.trim()),
                    category_nodes::level.eq(level),
                    category_nodes::position.eq(position.unwrap_or(0) + 1),
                ))
                .returning(Node::as_returning())
                .get_result(conn)
                .await?;
            Ok((
                n.clone(),
                Target::new("category_node", n.id),
                json!({ "name": n.name, "parentId": parent_id, "level": level }),
            ))
        })
    })
    .await
}

pub async fn rename_node(app: &App, caller: &Caller, id: i32, name: String) -> AppResult<Node> {
    caller.require(Permission::SegmentManage)?;
    let mut p = Problems::new();
    label_ok(&mut p, "name", &name, 100);
    p.into_result()?;
    audited(app, caller, "audience.category.update", move |conn| {
        Box::pin(async move {
            let before: String = category_nodes::table
                .find(id)
                .select(category_nodes::name)
                .first(conn)
                .await
                .optional()?
                .ok_or_else(|| AppError::NotFound("category node".into()))?;
            let n: Node = diesel::update(category_nodes::table.find(id))
                .set(category_nodes::name.eq(name.trim()))
                .returning(Node::as_returning())
                .get_result(conn)
                .await?;
            Ok((
                n.clone(),
                Target::new("category_node", id),
                json!({ "before": before, "after": n.name }),
            ))
        })
    })
    .await
}

/// Deletes a receive item and everything under it; residents' subscriptions
/// to them end; saved segments on them are flagged.
pub async fn delete_node(app: &App, caller: &Caller, id: i32) -> AppResult<Vec<i32>> {
    audited(app, caller, "audience.category.delete", move |conn| {
        Box::pin(async move {
            let catalog = load_catalog(conn).await?;
            if !catalog.parent.contains_key(&id) {
                return Err(AppError::NotFound("category node".into()));
            }
            let mut doomed = vec![id];
            let mut i = 0;
            while i < doomed.len() {
                doomed.extend(catalog.children.get(&doomed[i]).cloned().unwrap_or_default());
                i += 1;
            }
            diesel::sql_query(
                "UPDATE friend_settings SET node_ids = (SELECT coalesce(array_agg(n), '{}') FROM unnest(node_ids) n WHERE n <> ALL($1)),                  updated_at = now() WHERE node_ids && $1",
            )
            .bind::<diesel::sql_types::Array<diesel::sql_types::Int4>, _>(&doomed)
            .execute(conn)
            .await?;
            let all: Vec<Segment> = segments::table.select(Segment::as_select()).load(conn).await?;
            let mut flagged = Vec::new();
            for s in all {
                if expr_uses_nodes(&s.expr()?, &doomed) {
                    diesel::update(segments::table.find(s.id))
                        .set((segments::needs_review.eq(true), segments::review_reason.eq("条件に使われている受信項目が削除されました")))
                        .execute(conn)
                        .await?;
                    flagged.push(s.id);
                }
            }
            diesel::delete(category_nodes::table.find(id)).execute(conn).await?;
            Ok((flagged.clone(), Target::new("category_node", id), json!({ "deleted": doomed, "flaggedSegments": flagged })))
        })
    })
    .await
}

fn expr_uses_nodes(e: &Expr, nodes: &[i32]) -> bool {
    match e {
        Expr::And(v) | Expr::Or(v) => v.iter().any(|x| expr_uses_nodes(x, nodes)),
        Expr::Not(x) => expr_uses_nodes(x, nodes),
        Expr::SubscribedTo(n) => nodes.contains(n),
        _ => false,
    }
}

pub async fn list_segments(app: &App, caller: &Caller) -> AppResult<Vec<Segment>> {
    caller.require_any(READERS)?;
    let mut conn = app.db.get().await?;
    Ok(segments::table
        .order(segments::name)
        .select(Segment::as_select())
        .load(&mut conn)
        .await?)
}

pub async fn get_segment(app: &App, caller: &Caller, id: i32) -> AppResult<Segment> {
    caller.require_any(READERS)?;
    let mut conn = app.db.get().await?;
    segments::table
        .find(id)
        .select(Segment::as_select())
        .first(&mut conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::NotFound("segment".into()))
}

/// The labels of the residence attribute (kind municipality), in order:
/// the list other capabilities offer residents (no permission: it is the
/// same list the registration page shows everyone).
pub async fn municipality_names(conn: &mut AsyncPgConnection) -> QueryResult<Vec<String>> {
    attribute_options::table
        .inner_join(attributes::table)
        .filter(attributes::kind.eq("municipality"))
        .filter(attributes::deleted_at.is_null())
        .filter(attribute_options::deleted_at.is_null())
        .filter(attribute_options::archived_at.is_null())
        .order((
            attributes::position,
            attribute_options::position,
            attribute_options::id,
        ))
        .select(attribute_options::label)
        .load(conn)
        .await
}

/// Saved segments' ids and names, by name, for capabilities that let staff
/// pick one (no permission: the caller of theirs was checked by them).
pub async fn segment_names(conn: &mut AsyncPgConnection) -> QueryResult<Vec<(i32, String)>> {
    segments::table
        .order(segments::name)
        .select((segments::id, segments::name))
        .load(conn)
        .await
}

/// Whether a saved segment exists (for capabilities that point at one; no
/// permission: their caller was checked by them).
pub async fn segment_exists(conn: &mut AsyncPgConnection, id: i32) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(segments::table.find(id)))
        .get_result(conn)
        .await
}

/// A saved segment's expression, for capabilities that send to it (no
/// permission: the caller of theirs was checked by them). `None`: no such
/// segment (or one whose stored expression no longer reads).
pub async fn segment_expression(
    conn: &mut diesel_async::AsyncPgConnection,
    id: i32,
) -> QueryResult<Option<Expr>> {
    Ok(segments::table
        .find(id)
        .select(segments::expression)
        .first::<serde_json::Value>(conn)
        .await
        .optional()?
        .and_then(|v| serde_json::from_value(v).ok()))
}

/// The following friends a saved segment reaches now, from the audience
/// index (loaded on first use); empty when there is no such segment. For
/// capabilities that check membership (no permission: theirs was checked).
pub async fn segment_members(app: &App, id: i32) -> AppResult<roaring::RoaringBitmap> {
    let index = super::index(app);
    index
        .ensure_loaded(&app.db)
        .await
        .map_err(AppError::internal)?;
    let mut conn = app.db.get().await?;
    let expr = segment_expression(&mut conn, id).await?;
    drop(conn);
    Ok(expr.map(|e| index.members(&e)).unwrap_or_default())
}

/// Validates an expression against the current catalogue (paths under `field`).
pub async fn check_expression(app: &App, e: &Expr, field: &str) -> AppResult<()> {
    let mut conn = app.db.get().await?;
    let catalog = load_catalog(&mut conn).await?;
    let errors = expr::validate(e, &catalog, field);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::BadInput(errors))
    }
}

pub async fn save_segment(
    app: &App,
    caller: &Caller,
    id: Option<i32>,
    name: String,
    e: Expr,
) -> AppResult<Segment> {
    caller.require(Permission::SegmentManage)?;
    let mut p = Problems::new();
    label_ok(&mut p, "name", &name, 100);
    p.into_result()?;
    check_expression(app, &e, "expression").await?;
    let by = caller.staff().ok().map(|s| s.account_id);
    let value = serde_json::to_value(&e).map_err(AppError::internal)?;
    let action = if id.is_some() {
        "audience.segment.update"
    } else {
        "audience.segment.create"
    };
    audited(app, caller, action, move |conn| {
        Box::pin(async move {
            let saved: Segment = match id {
                None => diesel::insert_into(segments::table)
                    .values((
                        segments::name.eq(name.trim()),
                        segments::expression.eq(&value),
                        segments::created_by.eq(by),
                    ))
                    .returning(Segment::as_returning())
                    .get_result(conn)
                    .await
                    .map_err(|e| match AppError::from(e) {
                        AppError::Conflict(_) => {
                            AppError::Conflict("同じ名前のセグメントが既にあります".into())
                        }
                        other => other,
                    })?,
                Some(id) => diesel::update(segments::table.find(id))
                    .set((
                        segments::name.eq(name.trim()),
                        segments::expression.eq(&value),
                        // Saving after a review clears the flag.
                        segments::needs_review.eq(false),
                        segments::review_reason.eq(None::<String>),
                        segments::updated_at.eq(diesel::dsl::now),
                    ))
                    .returning(Segment::as_returning())
                    .get_result(conn)
                    .await
                    .optional()?
                    .ok_or_else(|| AppError::NotFound("segment".into()))?,
            };
            Ok((
                saved.clone(),
                Target::new("segment", saved.id),
                json!({ "name": saved.name, "expression": value }),
            ))
        })
    })
    .await
}

pub async fn delete_segment(app: &App, caller: &Caller, id: i32) -> AppResult<()> {
    audited(app, caller, "audience.segment.delete", move |conn| {
        Box::pin(async move {
            let name: String = segments::table
                .find(id)
                .select(segments::name)
                .first(conn)
                .await
                .optional()?
                .ok_or_else(|| AppError::NotFound("segment".into()))?;
            diesel::delete(segments::table.find(id))
                .execute(conn)
                .await?;
            Ok(((), Target::new("segment", id), json!({ "name": name })))
        })
    })
    .await
}

/// The count of a saved segment. No validation: a segment flagged because an
/// option it names was deleted still counts (the deleted option selects nobody).
pub async fn count_saved(app: &App, caller: &Caller, e: &Expr) -> AppResult<u64> {
    caller.require_any(READERS)?;
    crate::audience::index(app)
        .ensure_loaded(&app.db)
        .await
        .map_err(AppError::internal)?;
    Ok(crate::audience::index(app).count(e))
}

/// The live audience count of an expression (following friends it selects).
pub async fn count(app: &App, caller: &Caller, e: &Expr, field: &str) -> AppResult<u64> {
    caller.require(Permission::SegmentManage)?;
    crate::audience::index(app)
        .ensure_loaded(&app.db)
        .await
        .map_err(AppError::internal)?;
    let errors = expr::validate(e, &crate::audience::index(app).catalog(), field);
    if !errors.is_empty() {
        // The cached catalogue may be a moment old: check against the database before refusing.
        check_expression(app, e, field).await?;
    }
    Ok(crate::audience::index(app).count(e))
}

/// The LINE user ids an expression selects now, in batches of up to `batch`
/// (ascending friend id), without holding them all at once: for the delivery
/// pipeline, which snapshots recipients at send time. Dense stretches of ids
/// are read as one index range and filtered here, sparse ones by id list;
/// each batch comes back as one row of two arrays.
pub async fn recipients(
    app: &App,
    e: &Expr,
    batch: usize,
) -> anyhow::Result<impl futures::Stream<Item = anyhow::Result<Vec<String>>> + Send + 'static> {
    use futures::StreamExt;
    crate::audience::index(app).ensure_loaded(&app.db).await?;
    let members = std::sync::Arc::new(crate::audience::index(app).members(e));
    let ids: std::sync::Arc<Vec<u32>> = std::sync::Arc::new(members.iter().collect());
    let db = app.db.clone();
    let batch = batch.max(1);
    let chunks = ids.len().div_ceil(batch);
    Ok(futures::stream::iter(0..chunks)
        .map(move |c| {
            let (db, ids, members) = (db.clone(), ids.clone(), members.clone());
            async move {
                let part = &ids[c * batch..((c + 1) * batch).min(ids.len())];
                let (lo, hi) = (i64::from(part[0]), i64::from(part[part.len() - 1]));
                let mut conn = db.get().await?;
                let rows: RecipientBatch = if (hi - lo) as usize <= part.len() * 4 {
                    diesel::sql_query(
                        "SELECT array_agg(id ORDER BY id) AS ids, array_agg(line_user_id ORDER BY id) AS users \
                         FROM friends WHERE id BETWEEN $1 AND $2 AND status = 'following'",
                    )
                    .bind::<diesel::sql_types::BigInt, _>(lo)
                    .bind::<diesel::sql_types::BigInt, _>(hi)
                    .get_result(&mut conn)
                    .await?
                } else {
                    let list: Vec<i64> = part.iter().map(|i| i64::from(*i)).collect();
                    diesel::sql_query(
                        "SELECT array_agg(f.id ORDER BY f.id) AS ids, array_agg(f.line_user_id ORDER BY f.id) AS users \
                         FROM unnest($1::bigint[]) u(id) JOIN friends f ON f.id = u.id WHERE f.status = 'following'",
                    )
                    .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(&list)
                    .get_result(&mut conn)
                    .await?
                };
                anyhow::Ok(
                    rows.ids
                        .unwrap_or_default()
                        .into_iter()
                        .zip(rows.users.unwrap_or_default())
                        .filter(|(id, _)| u32::try_from(*id).is_ok_and(|i| members.contains(i)))
                        .map(|(_, l)| l)
                        .collect::<Vec<String>>(),
                )
            }
        })
        .buffered(2))
}

#[derive(QueryableByName)]
struct RecipientBatch {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Array<diesel::sql_types::BigInt>>)]
    ids: Option<Vec<i64>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Array<diesel::sql_types::Text>>)]
    users: Option<Vec<String>>,
}

/// Smallest audience a segment-narrowed friend list shows to accounts
/// without `friend.export` (fewer would point at individuals).
pub const MIN_SEGMENT_LIST: i64 = 5;

/// The audience of a saved segment (following friends), newest friend
/// first, paged from the audience index rather than by scanning friends.
/// Who matches a condition is what a segment reveals: it is the segment
/// managers' view, audited, and never narrow enough to single people out
/// without the export permission.
pub async fn friends_in_segment(
    app: &App,
    caller: &Caller,
    segment_id: i32,
    status: Option<&str>,
    offset: i64,
    limit: i64,
) -> AppResult<(Vec<crate::friends::service::Friend>, i64)> {
    caller.require(Permission::FriendsRead)?;
    caller.require(Permission::SegmentManage)?;
    crate::friends::service::check_page(offset, limit)?;
    let segment = get_segment(app, &Caller::system(), segment_id)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => AppError::bad_input("segmentId", "セグメントがありません"),
            other => other,
        })?;
    let (rows, total) = if status == Some("blocked") {
        (vec![], 0)
    } else {
        let index = super::index(app);
        index
            .ensure_loaded(&app.db)
            .await
            .map_err(AppError::internal)?;
        let members = index.members(&segment.expr()?);
        let ids: Vec<i64> = members
            .iter()
            .rev()
            .skip(offset as usize)
            .take(limit as usize)
            .map(i64::from)
            .collect();
        let mut conn = app.db.get().await?;
        let rows = crate::friends::lookup::newest_first(&mut conn, &ids).await?;
        (rows, members.len() as i64)
    };
    if (1..MIN_SEGMENT_LIST).contains(&total) && !caller.has(Permission::FriendExport) {
        return Err(AppError::Forbidden(format!(
            "対象が{MIN_SEGMENT_LIST}人未満のセグメントは一覧できません（個人の特定を防ぐため。friend.export を持つ職員は可能です）"
        )));
    }
    crate::audit::record_now(
        &app.db,
        caller,
        "friends.segment.list",
        Some(crate::audit::Target::new("segment", segment_id)),
        json!({ "total": total, "offset": offset, "limit": limit, "shown": rows.len() }),
        crate::audit::Outcome::Success,
    )
    .await?;
    Ok((rows, total))
}

/// Whom a delivery's target reaches, in words, for the capabilities that
/// show it before sending: a saved segment's name and conditions, or an
/// ad-hoc expression's conditions.
pub async fn describe_segment(
    conn: &mut diesel_async::AsyncPgConnection,
    id: i32,
) -> AppResult<Option<(String, String)>> {
    let row: Option<Segment> = segments::table
        .find(id)
        .select(Segment::as_select())
        .first(conn)
        .await
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    let names = super::describe::Names::load(conn).await?;
    Ok(Some((
        row.name.clone(),
        super::describe::describe(&row.expr()?, &names),
    )))
}

pub async fn describe_expression(
    conn: &mut diesel_async::AsyncPgConnection,
    e: &Expr,
) -> AppResult<String> {
    let names = super::describe::Names::load(conn).await?;
    Ok(super::describe::describe(e, &names))
}

/// How many following friends have registered their settings, and how many
/// registrations the last 7 days brought: aggregates for the dashboard.
pub struct RegistrationCounts {
    pub registered: u64,
    pub registered_last_7_days: i64,
}

/// Needs `friends.read` (numbers only, no one's settings).
pub async fn registration_counts(app: &App, caller: &Caller) -> AppResult<RegistrationCounts> {
    use crate::db::schema::friend_settings;
    caller.require(Permission::FriendsRead)?;
    let index = crate::audience::index(app);
    index
        .ensure_loaded(&app.db)
        .await
        .map_err(AppError::internal)?;
    let mut conn = app.db.get().await?;
    let week_ago = Utc::now() - chrono::Duration::days(7);
    let recent: i64 = friend_settings::table
        .filter(friend_settings::registered_at.ge(week_ago))
        .count()
        .get_result(&mut conn)
        .await?;
    Ok(RegistrationCounts {
        registered: index.count(&Expr::Registered(true)),
        registered_last_7_days: recent,
    })
}
