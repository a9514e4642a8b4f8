//! The house's three floors, enforced (README "Architecture"): the
//! infrastructure imports no capability and no assembly, a capability
//! imports no assembly, and no import circle spans two folders. Reads
//! `api/src` as text: every `crate::<module>` a file names is an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Floor 1: what every capability stands on. `App` holds these only.
const INFRASTRUCTURE: &[&str] = &[
    "tls",
    "app",
    "auth",
    "audit",
    "config",
    "crypto",
    "csv",
    "csv_row",
    "db",
    "erasure",
    "error",
    "gql",
    "jobs",
    "jst",
    "line",
    "metrics",
    "ratelimit",
    "registry",
    "settings",
    "sigv4",
    "storage",
    "store",
    "sync",
];
/// Floor 2: one room each.
const CAPABILITIES: &[&str] = &[
    "staff", "friends", "inbox", "audience", "delivery", "card", "media", "chatbot", "richmenu",
    "mailin", "survey",
];
/// Floor 3: the only modules that name every capability.
const ASSEMBLY: &[&str] = &[
    "router", "graphql", "worker", "server", "cli", "main", "lib",
];

fn floor(module: &str) -> Option<u8> {
    if INFRASTRUCTURE.contains(&module) {
        Some(1)
    } else if CAPABILITIES.contains(&module) {
        Some(2)
    } else if ASSEMBLY.contains(&module) {
        Some(3)
    } else {
        None
    }
}

fn source_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("api/src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            out.extend(source_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The top-level module each file belongs to, and the modules it names
/// (tests excluded: a test may reach anywhere).
fn imports() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/src");
    let mut by_module: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in source_files(&root) {
        let rel = file.strip_prefix(&root).expect("under api/src");
        let module = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|s| s.trim_end_matches(".rs").to_string())
            .expect("a module");
        if rel.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("source");
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let named: BTreeSet<String> = code
            .match_indices("crate::")
            .map(|(i, _)| {
                code[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .filter(|m| !m.is_empty() && *m != module)
            .collect();
        by_module
            .entry(module)
            .or_default()
            .insert(rel.display().to_string(), named);
    }
    by_module
}

#[test]
fn every_module_has_a_floor() {
    let unplaced: Vec<String> = imports()
        .into_keys()
        .filter(|m| floor(m).is_none())
        .collect();
    assert!(
        unplaced.is_empty(),
        "modules on no floor (add them to INFRASTRUCTURE, CAPABILITIES or ASSEMBLY): {unplaced:?}"
    );
}

#[test]
fn nothing_imports_upward() {
    let mut upward = Vec::new();
    for (module, files) in imports() {
        let Some(mine) = floor(&module) else { continue };
        for (file, named) in files {
            for other in named {
                if let Some(theirs) = floor(&other)
                    && theirs > mine
                {
                    upward.push(format!(
                        "{file} (floor {mine}) imports {other} (floor {theirs})"
                    ));
                }
            }
        }
    }
    assert!(upward.is_empty(), "upward imports:\n{}", upward.join("\n"));
}

#[test]
fn no_import_circle_spans_two_folders() {
    let graph: BTreeMap<String, BTreeSet<String>> = imports()
        .into_iter()
        .map(|(m, files)| (m, files.into_values().flatten().collect()))
        .collect();
    // Every module that can reach itself through another one is in a circle.
    let reaches = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<String> = graph.get(from).into_iter().flatten().cloned().collect();
        while let Some(m) = todo.pop() {
            if seen.insert(m.clone()) {
                todo.extend(graph.get(&m).into_iter().flatten().cloned());
            }
        }
        seen
    };
    let circles: Vec<String> = graph
        .keys()
        .filter_map(|m| {
            let back: Vec<&String> = graph[m]
                .iter()
                .filter(|other| reaches(other).contains(m))
                .collect();
            (!back.is_empty()).then(|| format!("{m} ↔ {back:?}"))
        })
        .collect();
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}
