//! Rich menus (seed §2.4(1)): the account's front door. Staff draw menus —
//! one page, or a tab set of 2–4 pages — in versions; a version that has
//! been live is never edited. Permission `richmenu.manage` (the PR
//! division, seed §1.6(1)5).

pub mod graphql;
pub mod image;
pub mod model;
pub mod publish;
pub mod store;

/// Rich menus' part in the worker.
pub fn register(r: &mut crate::registry::Registry) {
    publish::register(r);
}
