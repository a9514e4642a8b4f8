//! The in-memory audience index: one roaring bitmap per option, receive item,
//! birth year and JST follow day, plus the sets of following and registered
//! friends. Counting a segment is a few bitmap operations (DESIGN.md §4.1:
//! PostgreSQL alone takes 60–240 ms for such counts at 2,000,000 friends).
//! Each process follows `audience_changes`, so a resident's change shows in
//! every replica's counts within the refresh interval.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use roaring::RoaringBitmap;

use super::expr::{Catalog, Expr};
use crate::db::DbPool;
use crate::friends::lookup::Ids;
use crate::sync::ReadWrite;

/// One friend's state as the index sees it.
#[derive(Clone, Debug, Default)]
pub struct Member {
    pub id: u32,
    pub following: bool,
    pub followed_day: i32,
    pub registered: bool,
    pub options: Vec<i32>,
    pub nodes: Vec<i32>,
    pub birth_year: Option<i32>,
}

/// "Not filed" in the per-friend day and year vectors.
const NONE: i32 = i32::MIN;

/// Days since 1970-01-01 in JST.
pub fn jst_day(t: DateTime<Utc>) -> i32 {
    ((t.timestamp() + 9 * 3600).div_euclid(86_400)) as i32
}

#[derive(Default)]
pub struct Bitmaps {
    following: RoaringBitmap,
    registered: RoaringBitmap,
    options: HashMap<i32, RoaringBitmap>,
    nodes: HashMap<i32, RoaringBitmap>,
    years: BTreeMap<i32, RoaringBitmap>,
    days: BTreeMap<i32, RoaringBitmap>,
    /// Per friend id (index): the follow day and birth year it is filed under,
    /// so an update can take it out of the right bitmaps.
    day_of: Vec<i32>,
    year_of: Vec<i32>,
}

impl Bitmaps {
    fn remove(&mut self, id: u32) {
        self.following.remove(id);
        self.registered.remove(id);
        for b in self.options.values_mut().chain(self.nodes.values_mut()) {
            b.remove(id);
        }
        let slot = id as usize;
        if let Some(d) = self.day_of.get(slot).copied().filter(|d| *d != NONE)
            && let Some(b) = self.days.get_mut(&d)
        {
            b.remove(id);
        }
        if let Some(y) = self.year_of.get(slot).copied().filter(|y| *y != NONE)
            && let Some(b) = self.years.get_mut(&y)
        {
            b.remove(id);
        }
        if slot < self.day_of.len() {
            self.day_of[slot] = NONE;
            self.year_of[slot] = NONE;
        }
    }

    pub fn upsert(&mut self, m: &Member) {
        self.remove(m.id);
        self.upsert_new(m);
    }

    /// Files a friend not yet in the index (the full load).
    fn upsert_new(&mut self, m: &Member) {
        if m.following {
            self.following.insert(m.id);
        }
        if m.registered {
            self.registered.insert(m.id);
        }
        for o in &m.options {
            self.options.entry(*o).or_default().insert(m.id);
        }
        for n in &m.nodes {
            self.nodes.entry(*n).or_default().insert(m.id);
        }
        let slot = m.id as usize;
        if slot >= self.day_of.len() {
            // Friend ids are dense (a sequence): a plain vector indexes them.
            let len = (slot + 1).max(self.day_of.len() * 2);
            self.day_of.resize(len, NONE);
            self.year_of.resize(len, NONE);
        }
        self.days.entry(m.followed_day).or_default().insert(m.id);
        self.day_of[slot] = m.followed_day;
        if let Some(y) = m.birth_year {
            self.years.entry(y).or_default().insert(m.id);
            self.year_of[slot] = y;
        }
    }

    /// Multi-way union (much faster than folding `|=` over many bitmaps).
    fn union<'a>(maps: impl Iterator<Item = &'a RoaringBitmap>) -> RoaringBitmap {
        use roaring::MultiOps;
        maps.union()
    }

    fn option_set(&self, ids: &[i32]) -> RoaringBitmap {
        Self::union(ids.iter().filter_map(|i| self.options.get(i)))
    }

    /// The friends an expression selects (before restricting to followers).
    pub fn eval(&self, expr: &Expr, catalog: &Catalog) -> RoaringBitmap {
        match expr {
            Expr::And(v) => {
                // Negated children subtract from the rest instead of being
                // complemented first; the others intersect smallest first.
                let (negated, plain): (Vec<&Expr>, Vec<&Expr>) =
                    v.iter().partition(|e| matches!(e, Expr::Not(_)));
                let mut sets: Vec<RoaringBitmap> =
                    plain.iter().map(|e| self.eval(e, catalog)).collect();
                sets.sort_by_key(|b| b.len());
                let mut it = sets.into_iter();
                let mut acc = it.next().unwrap_or_else(|| self.following.clone());
                for b in it {
                    if acc.is_empty() {
                        return acc;
                    }
                    acc &= b;
                }
                for n in negated {
                    if let Expr::Not(inner) = n {
                        if acc.is_empty() {
                            break;
                        }
                        acc -= self.eval(inner, catalog);
                    }
                }
                acc
            }
            Expr::Or(v) => {
                let sets: Vec<RoaringBitmap> = v.iter().map(|e| self.eval(e, catalog)).collect();
                Self::union(sets.iter())
            }
            Expr::Not(e) => &self.following - self.eval(e, catalog),
            Expr::AnyOf(ids)
            | Expr::GenderIn(ids)
            | Expr::ResidenceIn(ids)
            | Expr::RegionsOverlap(ids) => self.option_set(ids),
            Expr::AllOf(ids) => {
                let mut it = ids.iter();
                let Some(first) = it.next() else {
                    return RoaringBitmap::new();
                };
                let mut acc = self.options.get(first).cloned().unwrap_or_default();
                for i in it {
                    match self.options.get(i) {
                        Some(b) => acc &= b,
                        None => return RoaringBitmap::new(),
                    }
                }
                acc
            }
            Expr::BirthYear { from, to } => {
                let lo = from.unwrap_or(i32::MIN);
                let hi = to.unwrap_or(i32::MAX);
                if lo > hi {
                    return RoaringBitmap::new();
                }
                Self::union(self.years.range(lo..=hi).map(|(_, b)| b))
            }
            Expr::SubscribedTo(node) => {
                let related: HashSet<i32> = catalog.related_nodes(*node);
                Self::union(related.iter().filter_map(|n| self.nodes.get(n)))
            }
            Expr::Registered(true) => self.registered.clone(),
            Expr::Registered(false) => &self.following - &self.registered,
            Expr::FriendSince(t) => Self::union(self.days.range(jst_day(*t)..).map(|(_, b)| b)),
        }
    }

    /// Following friends the expression selects.
    pub fn audience(&self, expr: &Expr, catalog: &Catalog) -> RoaringBitmap {
        self.eval(expr, catalog) & &self.following
    }

    pub fn following_count(&self) -> u64 {
        self.following.len()
    }
}

/// The index of one process, kept current from the change log.
pub struct AudienceIndex {
    bitmaps: RwLock<Bitmaps>,
    catalog: RwLock<Catalog>,
    last_seq: AtomicI64,
    loaded: AtomicBool,
    load_lock: tokio::sync::Mutex<()>,
}

impl Default for AudienceIndex {
    fn default() -> Self {
        Self {
            bitmaps: RwLock::new(Bitmaps::default()),
            catalog: RwLock::new(Catalog::default()),
            last_seq: AtomicI64::new(0),
            loaded: AtomicBool::new(false),
            load_lock: tokio::sync::Mutex::new(()),
        }
    }
}

/// A friend's settings as the index needs them.
#[derive(Queryable)]
struct Filed {
    friend_id: i64,
    option_ids: Vec<i32>,
    node_ids: Vec<i32>,
    birth_year: Option<i32>,
}

/// The friends `ids` covers (through friends' own reads) with their
/// settings, as index members. Both reads come back in id order and are
/// merged as they stream past: no map of a page's settings is built (at
/// 2 million friends that map was the loader's largest allocation).
async fn read_members(
    conn: &mut diesel_async::AsyncPgConnection,
    ids: Ids<'_>,
) -> anyhow::Result<Vec<Member>> {
    use crate::db::schema::friend_settings as s;
    let friends = crate::friends::lookup::states(conn, ids).await?;
    let q = s::table
        .select((s::friend_id, s::option_ids, s::node_ids, s::birth_year))
        .order(s::friend_id);
    let settings: Vec<Filed> = match ids {
        Ids::Range(lo, hi) => {
            q.filter(s::friend_id.gt(lo))
                .filter(s::friend_id.le(hi))
                .load(conn)
                .await?
        }
        Ids::List(list) => q.filter(s::friend_id.eq_any(list)).load(conn).await?,
    };
    let mut settings = settings.into_iter().peekable();
    let mut members = Vec::with_capacity(friends.len());
    for f in friends {
        // Settings of friends not in this read (none in practice) are passed over.
        while settings.next_if(|s| s.friend_id < f.id).is_some() {}
        let own = settings.next_if(|s| s.friend_id == f.id);
        let Ok(id) = u32::try_from(f.id) else {
            continue;
        };
        let (registered, birth_year, options, nodes) = match own {
            Some(s) => (true, s.birth_year, s.option_ids, s.node_ids),
            None => (false, None, Vec::new(), Vec::new()),
        };
        members.push(Member {
            id,
            following: f.following(),
            followed_day: jst_day(f.followed_at),
            registered,
            birth_year,
            options,
            nodes,
        });
    }
    Ok(members)
}

pub const REFRESH_INTERVAL: Duration = Duration::from_millis(250);

impl AudienceIndex {
    /// Loads everything once (per process), then starts following changes.
    pub async fn ensure_loaded(self: &Arc<Self>, db: &DbPool) -> anyhow::Result<()> {
        if AtomicBool::load(&self.loaded, Ordering::Acquire) {
            return Ok(());
        }
        let _guard = self.load_lock.lock().await;
        if AtomicBool::load(&self.loaded, Ordering::Acquire) {
            return Ok(());
        }
        self.full_load(db).await?;
        self.loaded.store(true, Ordering::Release);
        let (me, db) = (Arc::downgrade(self), db.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(REFRESH_INTERVAL).await;
                let Some(index) = me.upgrade() else { return };
                if let Err(e) = index.refresh(&db).await {
                    tracing::warn!(error = %e, "audience index refresh failed");
                }
            }
        });
        Ok(())
    }

    /// Rebuilds the index from the tables (after a bulk load that bypassed the change log).
    pub async fn reload(&self, db: &DbPool) -> anyhow::Result<()> {
        self.full_load(db).await
    }

    async fn full_load(&self, db: &DbPool) -> anyhow::Result<()> {
        let mut conn = db.get().await?;
        // Changes after this point are applied by refresh; applying one twice is harmless.
        let seq: Option<i64> = crate::db::schema::audience_changes::table
            .select(diesel::dsl::max(crate::db::schema::audience_changes::seq))
            .first(&mut conn)
            .await?;
        let mut bitmaps = Bitmaps::default();
        let max_id = crate::friends::lookup::max_id(&mut conn).await?;
        // Pages are id ranges on both tables, so each is a cheap range read;
        // small enough that a page in memory is a few MiB, not tens.
        const PAGE: i64 = 25_000;
        let mut lo: i64 = 0;
        while lo < max_id.unwrap_or(0) {
            for m in read_members(&mut conn, Ids::Range(lo, lo + PAGE)).await? {
                bitmaps.upsert_new(&m);
            }
            lo += PAGE;
        }
        *self.bitmaps.writing() = bitmaps;
        *self.catalog.writing() = super::service::load_catalog(&mut conn).await?;
        self.last_seq.store(seq.unwrap_or(0), Ordering::Release);
        Ok(())
    }

    /// Applies changes logged since the last refresh, and reloads the catalogue.
    pub async fn refresh(&self, db: &DbPool) -> anyhow::Result<usize> {
        use crate::db::schema::audience_changes as ch;
        let mut conn = db.get().await?;
        let last = AtomicI64::load(&self.last_seq, Ordering::Acquire);
        let changes: Vec<(i64, i64)> = ch::table
            .filter(ch::seq.gt(last))
            .order(ch::seq)
            .limit(20_000)
            .select((ch::seq, ch::friend_id))
            .load(&mut conn)
            .await?;
        let catalog = super::service::load_catalog(&mut conn).await?;
        *self.catalog.writing() = catalog;
        let Some(max) = changes.last().map(|c| c.0) else {
            return Ok(0);
        };
        let ids: Vec<i64> = changes
            .iter()
            .map(|c| c.1)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let members = read_members(&mut conn, Ids::List(&ids)).await?;
        let present: HashSet<i64> = members.iter().map(|m| i64::from(m.id)).collect();
        {
            let mut b = self.bitmaps.writing();
            for m in &members {
                b.upsert(m);
            }
            // Friends deleted outright leave every bitmap.
            for id in ids.iter().filter(|i| !present.contains(i)) {
                if let Ok(id) = u32::try_from(*id) {
                    b.remove(id);
                }
            }
        }
        self.last_seq.store(max, Ordering::Release);
        Ok(ids.len())
    }

    /// How many following friends the expression selects.
    pub fn count(&self, expr: &Expr) -> u64 {
        let catalog = self.catalog.reading();
        self.bitmaps.reading().audience(expr, &catalog).len()
    }

    /// Every following friend's id (a delivery to all friends).
    pub fn following(&self) -> RoaringBitmap {
        self.bitmaps.reading().following.clone()
    }

    /// The selected friend ids, ascending (recipient resolution reads LINE ids by these).
    pub fn members(&self, expr: &Expr) -> RoaringBitmap {
        let catalog = self.catalog.reading();
        self.bitmaps.reading().audience(expr, &catalog)
    }

    pub fn catalog(&self) -> Catalog {
        self.catalog.reading().clone()
    }
}
