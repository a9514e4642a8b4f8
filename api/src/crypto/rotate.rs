//! KEK rotation: every live data key is unwrapped with the KEK that wrapped
//! it and wrapped again with the current one. The data is never touched.
//! Work goes in batches, each committed on its own, so an interrupted
//! rotation resumes where it stopped; progress is kept in `keyring.kek_rotations`.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use uuid::Uuid;

use super::keyring::Keyring;
use crate::db::DbPool;
use crate::db::schema::{data_keys, kek_rotations};

const BATCH: i64 = 200;

pub struct Progress {
    pub rotation_id: i64,
    pub total: i32,
    pub done: i32,
}

/// Re-wraps every key not yet under the current KEK; `report` is called after each batch.
pub async fn rotate(
    db: &DbPool,
    keyring: &Keyring,
    mut report: impl FnMut(&Progress),
) -> anyhow::Result<Progress> {
    let kek = keyring.kek().current().clone();
    let mut conn = db.get().await?;
    let remaining: i64 = data_keys::table
        .filter(data_keys::wrapped.is_not_null())
        .filter(data_keys::kek_id.ne(kek.id()))
        .count()
        .get_result(&mut conn)
        .await?;
    // Resume an unfinished rotation to the same KEK, or start one.
    let open: Option<(i64, i32, i32)> = kek_rotations::table
        .filter(kek_rotations::to_kek_id.eq(kek.id()))
        .filter(kek_rotations::finished_at.is_null())
        .select((kek_rotations::id, kek_rotations::total, kek_rotations::done))
        .order(kek_rotations::id.desc())
        .first(&mut conn)
        .await
        .optional()?;
    let (rotation_id, total, mut done) = match open {
        Some(r) => r,
        None => {
            let id: i64 = diesel::insert_into(kek_rotations::table)
                .values((
                    kek_rotations::to_kek_id.eq(kek.id()),
                    kek_rotations::total.eq(remaining as i32),
                ))
                .returning(kek_rotations::id)
                .get_result(&mut conn)
                .await?;
            (id, remaining as i32, 0)
        }
    };
    loop {
        let batch: Vec<(Uuid, Option<Vec<u8>>, String)> = data_keys::table
            .filter(data_keys::wrapped.is_not_null())
            .filter(data_keys::kek_id.ne(kek.id()))
            .select((data_keys::id, data_keys::wrapped, data_keys::kek_id))
            .order(data_keys::id)
            .limit(BATCH)
            .load(&mut conn)
            .await?;
        if batch.is_empty() {
            break;
        }
        let mut rewrapped = Vec::with_capacity(batch.len());
        for (id, wrapped, kek_id) in &batch {
            let old = keyring.kek().find(kek_id).ok_or_else(|| {
                anyhow::anyhow!(
                    "data key {id} is wrapped by {kek_id}, which is not in TENOHIRA_KEK_PREVIOUS"
                )
            })?;
            // Selected with `wrapped IS NOT NULL`: a destroyed key is not re-wrapped.
            let Some(wrapped) = wrapped.as_deref() else {
                continue;
            };
            let plain = old.unwrap(wrapped, &id.to_string()).await?;
            rewrapped.push((
                *id,
                kek_id.clone(),
                kek.wrap(&plain, &id.to_string()).await?,
            ));
        }
        let n = rewrapped.len() as i32;
        conn.transaction::<_, anyhow::Error, _>(async |conn| {
            for (id, old_kek, wrapped) in &rewrapped {
                // Only if still wrapped by the KEK we read (not destroyed meanwhile).
                diesel::update(
                    data_keys::table
                        .find(id)
                        .filter(data_keys::kek_id.eq(old_kek))
                        .filter(data_keys::wrapped.is_not_null()),
                )
                .set((
                    data_keys::wrapped.eq(Some(wrapped)),
                    data_keys::kek_id.eq(kek.id()),
                    data_keys::rewrapped_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            }
            diesel::update(kek_rotations::table.find(rotation_id))
                .set(kek_rotations::done.eq(kek_rotations::done + n))
                .execute(conn)
                .await?;
            Ok(())
        })
        .await?;
        done += n;
        report(&Progress {
            rotation_id,
            total,
            done,
        });
    }
    diesel::update(kek_rotations::table.find(rotation_id))
        .set(kek_rotations::finished_at.eq(diesel::dsl::now))
        .execute(&mut conn)
        .await?;
    keyring.forget_all();
    Ok(Progress {
        rotation_id,
        total,
        done,
    })
}

/// Live data keys per KEK.
pub async fn status(db: &DbPool) -> anyhow::Result<Vec<(String, i64)>> {
    let mut conn = db.get().await?;
    Ok(data_keys::table
        .filter(data_keys::wrapped.is_not_null())
        .group_by(data_keys::kek_id)
        .select((data_keys::kek_id, diesel::dsl::count_star()))
        .order(data_keys::kek_id)
        .load(&mut conn)
        .await?)
}
