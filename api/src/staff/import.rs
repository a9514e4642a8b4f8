//! CSV bulk import of staff accounts with teams and permissions (the list the
//! prefecture supplies before release). Every bad row is reported; nothing is
//! imported unless every row is good. Teams named in the file are created.

use std::collections::{BTreeSet, HashMap, HashSet};

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use futures::StreamExt;
use serde_json::json;
use uuid::Uuid;

use super::accounts;
use super::model::NewAccount;
use super::validate;
use crate::app::App;
use crate::audit::{self, Outcome, Target};
use crate::auth::{Caller, Permission, PermissionSet, password};
use crate::db::schema::{staff_accounts, teams};
use crate::error::{AppError, AppResult, FieldError, Problems};

pub const MAX_ROWS: usize = 5000;

#[derive(Clone, Debug)]
pub struct Row {
    /// Line number in the file (the header is line 1).
    pub line: usize,
    pub login_id: String,
    pub display_name: String,
    pub team: String,
    pub permissions: Vec<String>,
    pub errors: Vec<FieldError>,
}

pub struct Report {
    pub rows: Vec<Row>,
    pub new_teams: Vec<String>,
    /// login id and temporary password of each created account (real import only).
    pub created: Vec<(String, String)>,
    pub applied: bool,
}

impl Report {
    pub fn error_count(&self) -> usize {
        self.rows.iter().map(|r| r.errors.len()).sum()
    }
}

fn column(header: &str) -> Option<&'static str> {
    match header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .as_str()
    {
        "login_id" | "loginid" | "ログインid" => Some("login_id"),
        "display_name" | "name" | "氏名" | "名前" => Some("display_name"),
        "team" | "所属チーム" | "チーム" | "所属" => Some("team"),
        "permissions" | "権限" => Some("permissions"),
        "role" | "preset" | "ロール" => Some("role"),
        _ => None,
    }
}

/// Parses and checks the file against the database; changes nothing.
pub async fn check(app: &App, csv_text: &str) -> AppResult<(Vec<Row>, Vec<String>)> {
    let text = csv_text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|_| AppError::bad_input("csv", "CSVの見出し行を読めません"))?
        .clone();
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    let mut p = Problems::new();
    for (i, h) in headers.iter().enumerate() {
        match column(h) {
            Some(c) => {
                index.insert(c, i);
            }
            None => p.add(format!("header[{i}]"), format!("不明な列です: {h}")),
        }
    }
    for required in ["login_id", "display_name"] {
        if !index.contains_key(required) {
            p.add("header", format!("必須の列がありません: {required}"));
        }
    }
    p.into_result()?;

    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        if rows.len() >= MAX_ROWS {
            return Err(AppError::bad_input(
                "csv",
                format!("一度に取り込めるのは{MAX_ROWS}行までです"),
            ));
        }
        let record = match record {
            Ok(r) => r,
            Err(_) => {
                rows.push(Row {
                    line,
                    login_id: String::new(),
                    display_name: String::new(),
                    team: String::new(),
                    permissions: vec![],
                    errors: vec![FieldError::new(
                        format!("rows[{line}]"),
                        "この行を読めません",
                    )],
                });
                continue;
            }
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |c: &str| {
            index
                .get(c)
                .and_then(|i| record.get(*i))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let perms_text = get("permissions");
        let permissions: Vec<String> = perms_text
            .split(|c: char| c.is_whitespace() || matches!(c, ';' | '|' | '、' | '，'))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let role = get("role");
        let mut rp = Problems::new();
        let at = |f: &str| format!("rows[{line}].{f}");
        validate::login_id(&mut rp, &at("loginId"), &get("login_id"));
        validate::display_name(&mut rp, &at("displayName"), &get("display_name"));
        let team = get("team");
        if !team.is_empty() {
            validate::team_name(&mut rp, &at("team"), &team);
        }
        let set = validate::permissions(&mut rp, &at("permissions"), &permissions, None);
        let mut all: Vec<String> = set.names();
        if !role.is_empty() {
            match crate::auth::permission::preset(&role) {
                Some(preset) => all.extend(preset.permissions.iter().map(|p| p.name().to_string())),
                None => rp.add(at("role"), format!("不明なロールです: {role}")),
            }
        }
        let all: Vec<String> = all
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let errors = match rp.into_result() {
            Ok(()) => vec![],
            Err(AppError::BadInput(e)) => e,
            Err(_) => vec![],
        };
        rows.push(Row {
            line,
            login_id: get("login_id"),
            display_name: get("display_name"),
            team,
            permissions: all,
            errors,
        });
    }
    if rows.is_empty() {
        return Err(AppError::bad_input("csv", "取り込む行がありません"));
    }

    // Duplicates inside the file and against existing accounts.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for row in &mut rows {
        let key = row.login_id.to_lowercase();
        if key.is_empty() {
            continue;
        }
        if let Some(first) = seen.get(&key) {
            row.errors.push(FieldError::new(
                format!("rows[{}].loginId", row.line),
                format!("{first}行目と同じログインIDです"),
            ));
        } else {
            seen.insert(key, row.line);
        }
    }
    let mut conn = app.db.get().await?;
    let lower: Vec<String> = seen.keys().cloned().collect();
    let existing: HashSet<String> = staff_accounts::table
        .select(staff_accounts::login_id)
        .load::<String>(&mut conn)
        .await?
        .into_iter()
        .map(|l| l.to_lowercase())
        .filter(|l| lower.contains(l))
        .collect();
    for row in &mut rows {
        if existing.contains(&row.login_id.to_lowercase()) {
            row.errors.push(FieldError::new(
                format!("rows[{}].loginId", row.line),
                "このログインIDは既に使われています",
            ));
        }
    }
    let known_teams: HashSet<String> = teams::table
        .select(teams::name)
        .load::<String>(&mut conn)
        .await?
        .into_iter()
        .map(|t| t.to_lowercase())
        .collect();
    let new_teams: Vec<String> = rows
        .iter()
        .filter(|r| !r.team.is_empty() && !known_teams.contains(&r.team.to_lowercase()))
        .map(|r| r.team.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Ok((rows, new_teams))
}

pub async fn import(
    app: &App,
    caller: &Caller,
    csv_text: &str,
    dry_run: bool,
) -> AppResult<Report> {
    caller.require(Permission::StaffManage)?;
    let (mut rows, new_teams) = check(app, csv_text).await?;
    for row in &mut rows {
        let perms = PermissionSet::from_names(&row.permissions);
        if let Err(AppError::Forbidden(message) | AppError::Unauthenticated(message)) =
            caller.require_grant(perms.iter())
        {
            row.errors.push(FieldError::new(
                format!("rows[{}].permissions", row.line),
                message,
            ));
        }
    }
    let problems: Vec<FieldError> = rows.iter().flat_map(|r| r.errors.clone()).collect();
    if dry_run {
        return Ok(Report {
            rows,
            new_teams,
            created: vec![],
            applied: false,
        });
    }
    if !problems.is_empty() {
        return Err(AppError::BadInput(problems));
    }

    // Argon2 is slow by design: hash with as many threads as there are cores.
    let passwords: Vec<String> = rows
        .iter()
        .map(|_| password::generate_temporary())
        .collect();
    let hashes: Vec<String> = futures::stream::iter(
        passwords
            .clone()
            .into_iter()
            .map(|p| async move { password::hash(&p).await }),
    )
    .buffered(std::thread::available_parallelism().map_or(2, |n| n.get()))
    .collect::<Vec<_>>()
    .await
    .into_iter()
    .collect::<AppResult<_>>()?;

    let mut conn = app.db.get().await?;
    let caller = caller.clone();
    let rows_tx = rows.clone();
    let teams_tx = new_teams.clone();
    let created = conn
        .transaction::<Vec<String>, AppError, _>(async move |conn| {
            for name in &teams_tx {
                diesel::insert_into(teams::table)
                    .values((teams::id.eq(Uuid::new_v4()), teams::name.eq(name)))
                    .execute(conn)
                    .await?;
            }
            let team_ids: HashMap<String, Uuid> = teams::table
                .select((teams::name, teams::id))
                .load::<(String, Uuid)>(conn)
                .await?
                .into_iter()
                .map(|(n, id)| (n.to_lowercase(), id))
                .collect();
            let mut created = Vec::new();
            for (row, hash) in rows_tx.iter().zip(hashes) {
                let account = accounts::insert(
                    conn,
                    NewAccount {
                        id: Uuid::new_v4(),
                        login_id: row.login_id.clone(),
                        display_name: row.display_name.clone(),
                        team_id: team_ids.get(&row.team.to_lowercase()).copied(),
                        permissions: row.permissions.clone(),
                        password_hash: hash,
                        must_change_password: true,
                    },
                )
                .await?;
                accounts::record_personal_data_grant(
                    conn,
                    &caller,
                    &account,
                    &PermissionSet::default(),
                )
                .await?;
                created.push(account.login_id);
            }
            audit::record(
                conn,
                &caller,
                "staff.account.import",
                Some(Target::new("staff_account", "bulk")),
                json!({ "accounts": created, "newTeams": teams_tx }),
                Outcome::Success,
            )
            .await?;
            Ok(created)
        })
        .await?;
    Ok(Report {
        rows,
        new_teams,
        created: created.into_iter().zip(passwords).collect(),
        applied: true,
    })
}
