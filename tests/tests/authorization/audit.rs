//! The audit log (`audit.read`).

use serde_json::{Value, json};
use tenohira::auth::Permission::*;

use super::{Fixture, Op};

/// Each operation with the permission that guards it.
pub fn ops() -> Vec<Op> {
    vec![Op {
        field: "auditLog",
        permission: AuditRead,
        query: "{ auditLog { totalCount } }",
        vars: |_| json!({}),
        audit: None,
        also: &[],
    }]
}

/// Mutations given bad input: (field, query, variables, the input path named).
pub fn bad_inputs(
    _f: &Fixture,
    _me: &str,
) -> Vec<(&'static str, &'static str, Value, &'static str)> {
    vec![]
}
