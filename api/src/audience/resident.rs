//! The resident's own settings (受信設定), always for the caller's verified
//! LINE user id: there is no argument naming another resident.

use std::collections::{HashMap, HashSet};

use chrono::Datelike;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use super::service::{self, AttrOption, Attribute, Node};
use crate::app::App;
use crate::audit::{self, Outcome, Target};
use crate::auth::Caller;
use crate::db::schema::friend_settings;
use crate::error::{AppError, AppResult, Problems};

#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub registered: bool,
    pub option_ids: Vec<i32>,
    pub node_ids: Vec<i32>,
    pub birth_year: Option<i32>,
    /// Free-text answers by attribute id.
    pub free_text: HashMap<i32, String>,
}

/// One item of the registration page.
#[derive(Clone, Debug)]
pub struct FormEntry {
    pub attribute: Attribute,
    pub options: Vec<AttrOption>,
    pub required: bool,
}

/// What the registration page shows: the latest published form (or, before
/// any, every live attribute), and the receive items it includes.
pub async fn form(app: &App) -> AppResult<(Option<i32>, Vec<FormEntry>, Vec<Node>)> {
    let mut conn = app.db.get().await?;
    let live: Vec<(Attribute, Vec<AttrOption>)> = service::attributes_with_options(&mut conn)
        .await?
        .into_iter()
        .filter(|(a, _)| a.archived_at.is_none())
        .map(|(a, o)| {
            (
                a,
                o.into_iter().filter(|o| o.archived_at.is_none()).collect(),
            )
        })
        .collect();
    let nodes: Vec<Node> = service::nodes(&mut conn)
        .await?
        .into_iter()
        .filter(|n| n.archived_at.is_none())
        .collect();
    let Some(published) = super::forms::current(&mut conn).await? else {
        let entries = live
            .into_iter()
            .map(|(attribute, options)| FormEntry {
                attribute,
                options,
                required: false,
            })
            .collect();
        return Ok((None, entries, nodes));
    };
    let entries = published
        .items
        .iter()
        .filter_map(|item| {
            let (a, o) = live.iter().find(|(a, _)| a.id == item.attribute_id)?;
            let mut attribute = a.clone();
            if let Some(h) = item.help_text.as_ref().filter(|h| !h.trim().is_empty()) {
                attribute.help_text = h.clone();
            }
            Some(FormEntry {
                attribute,
                options: o.clone(),
                required: item.required,
            })
        })
        .collect();
    // Only the chosen subtrees of the receive-item tree.
    let mut keep: HashSet<i32> = published.category_root_ids.iter().copied().collect();
    let mut grew = true;
    while grew {
        grew = false;
        for n in &nodes {
            if n.parent_id.is_some_and(|p| keep.contains(&p)) && keep.insert(n.id) {
                grew = true;
            }
        }
    }
    let shown = nodes.into_iter().filter(|n| keep.contains(&n.id)).collect();
    Ok((Some(published.version), entries, shown))
}

async fn friend_id(conn: &mut AsyncPgConnection, line_user_id: &str) -> AppResult<Option<i64>> {
    Ok(crate::friends::lookup::id_of(conn, line_user_id).await?)
}

/// (option ids, node ids, birth year, free text) as stored.
type StoredSettings = (Vec<i32>, Vec<i32>, Option<i32>, serde_json::Value);

pub async fn get(app: &App, caller: &Caller) -> AppResult<Settings> {
    let user = &caller.resident()?.line_user_id;
    let mut conn = app.db.get().await?;
    let Some(fid) = friend_id(&mut conn, user).await? else {
        return Ok(Settings::default());
    };
    let row: Option<StoredSettings> = friend_settings::table
        .find(fid)
        .select((
            friend_settings::option_ids,
            friend_settings::node_ids,
            friend_settings::birth_year,
            friend_settings::free_text,
        ))
        .first(&mut conn)
        .await
        .optional()?;
    Ok(match row {
        None => Settings::default(),
        Some((option_ids, node_ids, birth_year, free)) => Settings {
            registered: true,
            option_ids,
            node_ids,
            birth_year,
            free_text: serde_json::from_value::<HashMap<String, String>>(free)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(k, v)| k.parse().ok().map(|k| (k, v)))
                .collect(),
        },
    })
}

/// Checks settings against the live catalogue; paths name the input fields.
async fn check(app: &App, s: &Settings) -> AppResult<()> {
    let (_, entries, nodes) = form(app).await?;
    let mut option_attr: HashMap<i32, &Attribute> = HashMap::new();
    for e in &entries {
        for o in &e.options {
            option_attr.insert(o.id, &e.attribute);
        }
    }
    let mut p = Problems::new();
    let mut single_seen: HashSet<i32> = HashSet::new();
    for (i, id) in s.option_ids.iter().enumerate() {
        match option_attr.get(id) {
            None => p.add(format!("optionIds[{i}]"), "選べない選択肢です"),
            Some(a)
                if matches!(a.kind.as_str(), "single" | "gender" | "municipality")
                    && !single_seen.insert(a.id) =>
            {
                p.add(
                    format!("optionIds[{i}]"),
                    format!("「{}」は1つだけ選んでください", a.name),
                )
            }
            Some(_) => {}
        }
    }
    let live_nodes: HashSet<i32> = nodes.iter().map(|n| n.id).collect();
    for (i, id) in s.node_ids.iter().enumerate() {
        p.check(
            live_nodes.contains(id),
            &format!("nodeIds[{i}]"),
            "選べない受信項目です",
        );
    }
    if let Some(y) = s.birth_year {
        let this_year = chrono::Utc::now().year();
        p.check(
            (1900..=this_year).contains(&y),
            "birthYear",
            "生まれ年は西暦4桁で入力してください",
        );
    }
    let free_attrs: HashSet<i32> = entries
        .iter()
        .filter(|e| e.attribute.kind == "free_text")
        .map(|e| e.attribute.id)
        .collect();
    for (attr, text) in &s.free_text {
        let field = format!("freeText.{attr}");
        p.check(free_attrs.contains(attr), &field, "記入できない項目です");
        p.check(
            text.chars().count() <= 500,
            &field,
            "500文字以内で入力してください",
        );
    }
    for e in entries.iter().filter(|e| e.required) {
        let a = &e.attribute;
        let answered = match a.kind.as_str() {
            "birth_year" => s.birth_year.is_some(),
            "free_text" => s.free_text.get(&a.id).is_some_and(|t| !t.trim().is_empty()),
            _ => s
                .option_ids
                .iter()
                .any(|o| option_attr.get(o).is_some_and(|x| x.id == a.id)),
        };
        p.check(
            answered,
            &format!("attributes.{}", a.id),
            &format!("「{}」は必須です", a.name),
        );
    }
    p.into_result()
}

/// Registers or replaces the caller's settings.
pub async fn save(app: &App, caller: &Caller, mut s: Settings) -> AppResult<Settings> {
    let user = caller.resident()?.line_user_id.clone();
    s.option_ids.sort_unstable();
    s.option_ids.dedup();
    s.node_ids.sort_unstable();
    s.node_ids.dedup();
    s.free_text.retain(|_, t| !t.trim().is_empty());
    check(app, &s).await?;
    let mut conn = app.db.get().await?;
    let Some(fid) = friend_id(&mut conn, &user).await? else {
        return Err(AppError::NotFound(
            "友だち追加してから登録してください".into(),
        ));
    };
    let caller = caller.clone();
    let saved = s.clone();
    conn.transaction::<(), AppError, _>(async move |conn| {
        let free: HashMap<String, String> = saved.free_text.iter().map(|(k, v)| (k.to_string(), v.trim().to_string())).collect();
        let free = serde_json::to_value(free).map_err(AppError::internal)?;
        diesel::insert_into(friend_settings::table)
            .values((
                friend_settings::friend_id.eq(fid),
                friend_settings::option_ids.eq(&saved.option_ids),
                friend_settings::node_ids.eq(&saved.node_ids),
                friend_settings::birth_year.eq(saved.birth_year),
                friend_settings::free_text.eq(&free),
            ))
            .on_conflict(friend_settings::friend_id)
            .do_update()
            .set((
                friend_settings::option_ids.eq(&saved.option_ids),
                friend_settings::node_ids.eq(&saved.node_ids),
                friend_settings::birth_year.eq(saved.birth_year),
                friend_settings::free_text.eq(&free),
                friend_settings::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        // What changed is the resident's own business: the audit row keeps only its shape.
        audit::record(
            conn,
            &caller,
            "audience.settings.save",
            Some(Target::new("friend", fid)),
            json!({ "options": saved.option_ids.len(), "nodes": saved.node_ids.len(), "birthYear": saved.birth_year.is_some() }),
            Outcome::Success,
        )
        .await
    })
    .await?;
    Ok(Settings {
        registered: true,
        ..s
    })
}

/// Withdraws: every attribute and subscription of the caller is deleted.
pub async fn withdraw(app: &App, caller: &Caller) -> AppResult<bool> {
    let user = caller.resident()?.line_user_id.clone();
    let mut conn = app.db.get().await?;
    let Some(fid) = friend_id(&mut conn, &user).await? else {
        return Ok(false);
    };
    let caller = caller.clone();
    conn.transaction::<bool, AppError, _>(async move |conn| {
        let n = diesel::delete(friend_settings::table.find(fid))
            .execute(conn)
            .await?;
        // What other capabilities keep of the resident (the chatbot's talk log) goes too.
        crate::erasure::erase(conn, &user).await?;
        audit::record(
            conn,
            &caller,
            "audience.settings.withdraw",
            Some(Target::new("friend", fid)),
            json!({ "deleted": n > 0 }),
            Outcome::Success,
        )
        .await?;
        Ok(n > 0)
    })
    .await
}
