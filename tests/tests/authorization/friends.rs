//! Friend counts and the welcome message.

use serde_json::{Value, json};
use tenohira::auth::Permission::*;

use super::{Fixture, Op};

/// Each operation with the permission that guards it.
pub fn ops() -> Vec<Op> {
    vec![
        Op {
            field: "friendCounts",
            permission: FriendsRead,
            query: "{ friendCounts { following blockRate } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "friendDailyCounts",
            permission: FriendsRead,
            query: "{ friendDailyCounts(from: \"2026-11-01\", to: \"2026-11-07\") { date following } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "welcomeMessage",
            permission: SegmentManage,
            query: "{ welcomeMessage }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "setWelcomeMessage",
            permission: SegmentManage,
            query: "mutation { setWelcomeMessage(text: \"ようこそ\") }",
            vars: |_| json!({}),
            audit: Some("friends.welcome_message.update"),
            also: &[],
        },
    ]
}

/// Mutations given bad input: (field, query, variables, the input path named).
pub fn bad_inputs(
    _f: &Fixture,
    _me: &str,
) -> Vec<(&'static str, &'static str, Value, &'static str)> {
    vec![(
        "setWelcomeMessage",
        "mutation { setWelcomeMessage(text: \" \") }",
        json!({}),
        "text",
    )]
}
