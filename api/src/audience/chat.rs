//! Attributes in the LINE chat (the chatbot's public entry point into a
//! resident's settings): what a scenario branches on, and an answer the
//! resident chose under the bot's consent line saved as their attribute.
//! Only choice attributes (one option or several) take part; the resident
//! is always the event's own sender.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use crate::audit::{self, Outcome, Target};
use crate::auth::{Caller, Principal, ResidentPrincipal};
use crate::db::schema::{attribute_options, attributes, friend_settings};
use crate::error::{AppError, AppResult};

/// Attribute kinds a chat answer can be saved to: one option, or several.
const SINGLE: &[&str] = &["single", "gender", "municipality"];
const MULTIPLE: &[&str] = &["multiple", "regions"];

/// The resident's values of every choice attribute, by attribute name (option labels).
pub async fn values_of(
    conn: &mut AsyncPgConnection,
    line_user_id: &str,
) -> AppResult<BTreeMap<String, Vec<String>>> {
    let Some(fid) = crate::friends::lookup::id_of(conn, line_user_id).await? else {
        return Ok(BTreeMap::new());
    };
    let option_ids: Vec<i32> = friend_settings::table
        .find(fid)
        .select(friend_settings::option_ids)
        .first(conn)
        .await
        .optional()?
        .unwrap_or_default();
    let rows: Vec<(String, String)> = attribute_options::table
        .inner_join(attributes::table)
        .filter(attribute_options::id.eq_any(&option_ids))
        .filter(attributes::deleted_at.is_null())
        .select((attributes::name, attribute_options::label))
        .order((attributes::position, attribute_options::position))
        .load(conn)
        .await?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, label) in rows {
        out.entry(name).or_default().push(label);
    }
    Ok(out)
}

/// A live choice attribute by name: its id and whether it takes one option.
async fn choice_attribute(
    conn: &mut AsyncPgConnection,
    attribute: &str,
) -> AppResult<Option<(i32, bool)>> {
    let found: Option<(i32, String)> = attributes::table
        .filter(attributes::name.eq(attribute))
        .filter(attributes::archived_at.is_null())
        .filter(attributes::deleted_at.is_null())
        .select((attributes::id, attributes::kind))
        .first(conn)
        .await
        .optional()?;
    Ok(found.and_then(|(id, kind)| {
        if SINGLE.contains(&kind.as_str()) {
            Some((id, true))
        } else if MULTIPLE.contains(&kind.as_str()) {
            Some((id, false))
        } else {
            None
        }
    }))
}

/// The live option labels of a choice attribute by its name (`None`: no
/// such attribute, or not one a chat answer can be saved to).
pub async fn options_of(
    conn: &mut AsyncPgConnection,
    attribute: &str,
) -> AppResult<Option<Vec<String>>> {
    let Some((id, _)) = choice_attribute(conn, attribute).await? else {
        return Ok(None);
    };
    Ok(Some(
        attribute_options::table
            .filter(attribute_options::attribute_id.eq(id))
            .filter(attribute_options::archived_at.is_null())
            .filter(attribute_options::deleted_at.is_null())
            .order(attribute_options::position)
            .select(attribute_options::label)
            .load(conn)
            .await?,
    ))
}

/// Saves `label` as the resident's `attribute` (replacing their value of a
/// one-option attribute, adding to a several-option one), audited as the
/// resident's own act. `false` when there is nothing to save it to: the
/// resident is not a friend, or the attribute or option is gone.
pub async fn save_chosen(
    conn: &mut AsyncPgConnection,
    line_user_id: &str,
    attribute: &str,
    label: &str,
) -> AppResult<bool> {
    let Some(fid) = crate::friends::lookup::id_of(conn, line_user_id).await? else {
        return Ok(false);
    };
    let Some((attr_id, single)) = choice_attribute(conn, attribute).await? else {
        return Ok(false);
    };
    let options: Vec<(i32, String)> = attribute_options::table
        .filter(attribute_options::attribute_id.eq(attr_id))
        .filter(attribute_options::deleted_at.is_null())
        .select((attribute_options::id, attribute_options::label))
        .load(conn)
        .await?;
    let Some(chosen) = options
        .iter()
        .find(|(_, l)| l.trim() == label.trim())
        .map(|(id, _)| *id)
    else {
        return Ok(false);
    };
    let siblings: Vec<i32> = options.iter().map(|(id, _)| *id).collect();
    let caller = Caller::with(Principal::Resident(ResidentPrincipal {
        line_user_id: line_user_id.to_string(),
    }));
    let attribute = attribute.to_string();
    conn.transaction::<(), AppError, _>(async move |conn| {
        let current: Vec<i32> = friend_settings::table
            .find(fid)
            .select(friend_settings::option_ids)
            .for_update()
            .first(conn)
            .await
            .optional()?
            .unwrap_or_default();
        let mut ids: Vec<i32> = current
            .into_iter()
            .filter(|id| !single || !siblings.contains(id))
            .collect();
        ids.push(chosen);
        ids.sort_unstable();
        ids.dedup();
        diesel::insert_into(friend_settings::table)
            .values((
                friend_settings::friend_id.eq(fid),
                friend_settings::option_ids.eq(&ids),
            ))
            .on_conflict(friend_settings::friend_id)
            .do_update()
            .set((
                friend_settings::option_ids.eq(&ids),
                friend_settings::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        // Which attribute, not which answer: that is the resident's own business.
        audit::record(
            conn,
            &caller,
            "audience.settings.chat",
            Some(Target::new("friend", fid)),
            json!({ "attribute": attribute }),
            Outcome::Success,
        )
        .await
    })
    .await?;
    Ok(true)
}
