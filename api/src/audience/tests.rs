//! Bitmap evaluation against a brute-force reference on random data.

use std::collections::HashSet;

use chrono::{TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::expr::{Catalog, Expr, OptionInfo};
use super::index::{Bitmaps, Member, jst_day};

const OPTIONS: i32 = 12;

fn catalog() -> Catalog {
    let mut c = Catalog::default();
    for id in 1..=OPTIONS {
        let kind = match id {
            1..=3 => "gender",
            4..=7 => "municipality",
            _ => "regions",
        };
        c.options.insert(
            id,
            OptionInfo {
                attribute_id: id / 4,
                kind: kind.into(),
                deleted: false,
            },
        );
    }
    // Tree: 100 › {101, 102}, 101 › {103}, 200 alone.
    for (id, parent) in [
        (100, None),
        (101, Some(100)),
        (102, Some(100)),
        (103, Some(101)),
        (200, None),
    ] {
        c.parent.insert(id, parent);
        if let Some(p) = parent {
            c.children.entry(p).or_default().push(id);
        }
    }
    c
}

/// The reference: a straightforward reading of each predicate for one member.
fn matches(m: &Member, e: &Expr, c: &Catalog) -> bool {
    match e {
        Expr::And(v) => v.iter().all(|x| matches(m, x, c)),
        Expr::Or(v) => v.iter().any(|x| matches(m, x, c)),
        Expr::Not(x) => !matches(m, x, c),
        Expr::AnyOf(o) | Expr::GenderIn(o) | Expr::ResidenceIn(o) | Expr::RegionsOverlap(o) => {
            o.iter().any(|i| m.options.contains(i))
        }
        Expr::AllOf(o) => !o.is_empty() && o.iter().all(|i| m.options.contains(i)),
        Expr::BirthYear { from, to } => m
            .birth_year
            .is_some_and(|y| from.is_none_or(|f| y >= f) && to.is_none_or(|t| y <= t)),
        Expr::SubscribedTo(n) => {
            let related = c.related_nodes(*n);
            m.nodes.iter().any(|x| related.contains(x))
        }
        Expr::Registered(r) => m.registered == *r,
        Expr::FriendSince(t) => m.followed_day >= jst_day(*t),
    }
}

fn random_expr(rng: &mut StdRng, depth: usize) -> Expr {
    let ids = |rng: &mut StdRng| -> Vec<i32> {
        (0..rng.random_range(1..4))
            .map(|_| rng.random_range(1..=OPTIONS))
            .collect()
    };
    let pick = if depth >= 3 {
        rng.random_range(3..12)
    } else {
        rng.random_range(0..12)
    };
    match pick {
        0 => Expr::And(
            (0..rng.random_range(1..4))
                .map(|_| random_expr(rng, depth + 1))
                .collect(),
        ),
        1 => Expr::Or(
            (0..rng.random_range(1..4))
                .map(|_| random_expr(rng, depth + 1))
                .collect(),
        ),
        2 => Expr::Not(Box::new(random_expr(rng, depth + 1))),
        3 => Expr::AnyOf(ids(rng)),
        4 => Expr::AllOf(ids(rng)),
        5 => {
            let from = rng.random_bool(0.7).then(|| rng.random_range(1950..2010));
            let to = if from.is_none() || rng.random_bool(0.7) {
                Some(rng.random_range(1960..2015))
            } else {
                None
            };
            Expr::BirthYear { from, to }
        }
        6 => Expr::GenderIn(ids(rng)),
        7 => Expr::ResidenceIn(ids(rng)),
        8 => Expr::RegionsOverlap(ids(rng)),
        9 => Expr::SubscribedTo([100, 101, 102, 103, 200][rng.random_range(0..5)]),
        10 => Expr::Registered(rng.random_bool(0.5)),
        _ => Expr::FriendSince(
            Utc.timestamp_opt(1_700_000_000 + rng.random_range(0..40_000_000), 0)
                .unwrap(),
        ),
    }
}

fn random_members(rng: &mut StdRng, n: u32) -> Vec<Member> {
    (1..=n)
        .map(|id| Member {
            id,
            following: rng.random_bool(0.85),
            followed_day: jst_day(
                Utc.timestamp_opt(1_700_000_000 + rng.random_range(0..40_000_000), 0)
                    .unwrap(),
            ),
            registered: rng.random_bool(0.6),
            options: (1..=OPTIONS).filter(|_| rng.random_bool(0.25)).collect(),
            nodes: [100, 101, 102, 103, 200]
                .into_iter()
                .filter(|_| rng.random_bool(0.2))
                .collect(),
            birth_year: rng.random_bool(0.8).then(|| rng.random_range(1940..2015)),
        })
        .collect()
}

#[test]
fn bitmaps_agree_with_the_reference() {
    let c = catalog();
    for seed in 0..20u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let members = random_members(&mut rng, 400);
        let mut b = Bitmaps::default();
        for m in &members {
            b.upsert(m);
        }
        // Updates too: some members change after being indexed.
        let mut members = members;
        for m in members.iter_mut() {
            if rng.random_bool(0.2) {
                *m = Member {
                    id: m.id,
                    ..random_members(&mut rng, 1).remove(0)
                };
                b.upsert(m);
            }
        }
        for _ in 0..60 {
            let e = random_expr(&mut rng, 0);
            let got: HashSet<u32> = b.audience(&e, &c).iter().collect();
            let want: HashSet<u32> = members
                .iter()
                .filter(|m| m.following && matches(m, &e, &c))
                .map(|m| m.id)
                .collect();
            assert_eq!(got, want, "seed {seed}: {e:?}");
        }
    }
}

#[test]
fn subscriptions_cover_ancestors_and_descendants() {
    let c = catalog();
    let m = |id, nodes: Vec<i32>| Member {
        id,
        following: true,
        nodes,
        ..Default::default()
    };
    let mut b = Bitmaps::default();
    b.upsert(&m(1, vec![100])); // the whole field
    b.upsert(&m(2, vec![103])); // one region under it
    b.upsert(&m(3, vec![102])); // a sibling subfield
    b.upsert(&m(4, vec![200])); // another field
    let who = |n| {
        b.audience(&Expr::SubscribedTo(n), &c)
            .iter()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        who(103),
        vec![1, 2],
        "a leaf reaches its own and the field's subscribers"
    );
    assert_eq!(
        who(101),
        vec![1, 2],
        "a subfield reaches the field and the regions under it"
    );
    assert_eq!(
        who(100),
        vec![1, 2, 3],
        "a field reaches everything under it"
    );
    assert_eq!(who(200), vec![4]);
}

#[test]
fn validation_points_at_the_offending_node() {
    let mut c = catalog();
    c.options.get_mut(&5).unwrap().deleted = true;
    let e = Expr::And(vec![
        Expr::AnyOf(vec![1]),
        Expr::Or(vec![Expr::ResidenceIn(vec![1]), Expr::AnyOf(vec![5, 99])]),
        Expr::BirthYear {
            from: Some(2000),
            to: Some(1990),
        },
        Expr::SubscribedTo(7),
    ]);
    let errors = super::expr::validate(&e, &c, "expression");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "expression.and[1].or[0].residenceIn[0]",
            "expression.and[1].or[1].anyOf[0]",
            "expression.and[1].or[1].anyOf[1]",
            "expression.and[2].birthYear",
            "expression.and[3].subscribedTo",
        ]
    );
    assert!(super::expr::validate(&Expr::Or(vec![]), &c, "e")[0].field == "e.or");
}
