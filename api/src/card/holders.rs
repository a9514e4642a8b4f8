//! Sealed holder rows: writing a registration under the resident's data key
//! and opening it again. Every personal value is bound to (owner, field).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bytea, Date, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::eligibility;
use super::model::{ChildInput, Household, Registration};
use crate::app::App;
use crate::crypto::{DataKey, blind, seal};
use crate::db::schema::{card_holders, card_name_index};
use crate::error::{AppError, AppResult};

/// The owner string a resident's values are bound to.
pub fn owner(line_user_id: &str) -> String {
    format!("resident:{line_user_id}")
}

/// A holder row as stored, with its wrapped data key.
#[derive(QueryableByName, Queryable, Clone)]
pub struct SealedRow {
    #[diesel(sql_type = Text)]
    pub line_user_id: String,
    #[diesel(sql_type = SqlUuid)]
    pub data_key_id: Uuid,
    #[diesel(sql_type = Bytea)]
    pub holder_name: Vec<u8>,
    #[diesel(sql_type = Bytea)]
    pub relation: Vec<u8>,
    #[diesel(sql_type = Bytea)]
    pub children: Vec<u8>,
    #[diesel(sql_type = Bytea)]
    pub household: Vec<u8>,
    #[diesel(sql_type = Nullable<Date>)]
    pub eligible_until: Option<NaiveDate>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Bytea>)]
    pub wrapped: Option<Vec<u8>>,
    #[diesel(sql_type = Text)]
    pub kek_id: String,
}

pub const SELECT_SEALED: &str = "SELECT h.line_user_id, h.data_key_id, h.holder_name, h.relation, h.children, \
     h.household, h.eligible_until, h.created_at, h.updated_at, k.wrapped, k.kek_id \
     FROM card_holders h JOIN keyring.data_keys k ON k.id = h.data_key_id";

/// An opened registration with its bookkeeping.
#[derive(Clone, Debug)]
pub struct Holder {
    pub id: Uuid,
    pub line_user_id: String,
    pub registration: Registration,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn forged(e: seal::SealError, line_user_id: &str) -> AppError {
    // Never garbage: a row that does not open is an incident, not data.
    tracing::error!(error = %e, holder = %line_user_id, "a sealed card value did not open");
    AppError::internal(anyhow::anyhow!("sealed card value did not open: {e}"))
}

pub async fn open_row(app: &App, row: &SealedRow) -> AppResult<Holder> {
    let key = app
        .keyring
        .open(row.data_key_id, row.wrapped.as_deref(), &row.kek_id)
        .await?;
    open_with(&key, row)
}

pub fn open_with(key: &DataKey, row: &SealedRow) -> AppResult<Holder> {
    let o = owner(&row.line_user_id);
    let text = |field: &str, v: &[u8]| -> AppResult<String> {
        let bytes = seal::open(key, &o, field, v).map_err(|e| forged(e, &row.line_user_id))?;
        String::from_utf8(bytes).map_err(|_| forged(seal::SealError::Malformed, &row.line_user_id))
    };
    let registration = Registration {
        holder_name: text("holder_name", &row.holder_name)?,
        relation: text("relation", &row.relation)?,
        children: seal::open_json::<Vec<ChildInput>>(key, &o, "children", &row.children)
            .map_err(|e| forged(e, &row.line_user_id))?,
        household: seal::open_json::<Household>(key, &o, "household", &row.household)
            .map_err(|e| forged(e, &row.line_user_id))?,
    };
    Ok(Holder {
        id: row.data_key_id,
        line_user_id: row.line_user_id.clone(),
        registration,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Each child with the last day they count and whether that is still ahead on `today`.
pub fn child_views(
    children: Vec<ChildInput>,
    today: NaiveDate,
) -> Vec<super::resident::CardChildView> {
    children
        .into_iter()
        .map(|c| {
            let until = eligibility::child_until(c.birth_date);
            super::resident::CardChildView {
                name: c.name,
                birth_date: c.birth_date,
                eligible_until: until,
                eligible: today <= until,
            }
        })
        .collect()
}

pub fn until(r: &Registration, grace_days: i32) -> Option<NaiveDate> {
    let births: Vec<NaiveDate> = r.children.iter().map(|c| c.birth_date).collect();
    eligibility::household_until(&births, r.household.expected_date, grace_days)
}

/// Writes (inserts or replaces) a registration sealed under `key`.
pub async fn write(
    app: &App,
    conn: &mut AsyncPgConnection,
    line_user_id: &str,
    key_id: Uuid,
    key: &Arc<DataKey>,
    r: &Registration,
    grace_days: i32,
) -> AppResult<()> {
    let o = owner(line_user_id);
    let holder_name = seal::seal(key, &o, "holder_name", r.holder_name.as_bytes());
    let relation = seal::seal(key, &o, "relation", r.relation.as_bytes());
    let children = seal::seal_json(key, &o, "children", &r.children);
    let household = seal::seal_json(key, &o, "household", &r.household);
    let eligible_until = until(r, grace_days);
    diesel::insert_into(card_holders::table)
        .values((
            card_holders::line_user_id.eq(line_user_id),
            card_holders::data_key_id.eq(key_id),
            card_holders::holder_name.eq(&holder_name),
            card_holders::relation.eq(&relation),
            card_holders::children.eq(&children),
            card_holders::household.eq(&household),
            card_holders::eligible_until.eq(eligible_until),
        ))
        .on_conflict(card_holders::line_user_id)
        .do_update()
        .set((
            card_holders::holder_name.eq(&holder_name),
            card_holders::relation.eq(&relation),
            card_holders::children.eq(&children),
            card_holders::household.eq(&household),
            card_holders::eligible_until.eq(eligible_until),
            card_holders::lapse_notified_at.eq(None::<DateTime<Utc>>),
            card_holders::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    // The blind index: holder and children names, whole and by part.
    let blind_key = app.keyring.load_or_create(conn, blind::OWNER).await?;
    let mut tokens = blind::tokens(&blind_key, &r.holder_name);
    for c in &r.children {
        tokens.extend(blind::tokens(&blind_key, &c.name));
    }
    tokens.sort();
    tokens.dedup();
    diesel::delete(card_name_index::table.filter(card_name_index::line_user_id.eq(line_user_id)))
        .execute(conn)
        .await?;
    let rows: Vec<_> = tokens
        .into_iter()
        .map(|t| {
            (
                card_name_index::line_user_id.eq(line_user_id),
                card_name_index::token.eq(t),
            )
        })
        .collect();
    diesel::insert_into(card_name_index::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}

/// One holder's sealed row by LINE user id. Written with the query builder
/// so PostgreSQL keeps it prepared per connection (a card view's only query).
pub async fn sealed_of(
    conn: &mut AsyncPgConnection,
    line_user_id: &str,
) -> AppResult<Option<SealedRow>> {
    use crate::db::schema::data_keys;
    Ok(card_holders::table
        .inner_join(data_keys::table.on(data_keys::id.eq(card_holders::data_key_id)))
        .filter(card_holders::line_user_id.eq(line_user_id))
        .select((
            card_holders::line_user_id,
            card_holders::data_key_id,
            card_holders::holder_name,
            card_holders::relation,
            card_holders::children,
            card_holders::household,
            card_holders::eligible_until,
            card_holders::created_at,
            card_holders::updated_at,
            data_keys::wrapped,
            data_keys::kek_id,
        ))
        .first::<SealedRow>(conn)
        .await
        .optional()?)
}
