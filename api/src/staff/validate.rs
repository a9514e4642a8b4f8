//! Input rules shared by the forms and the CSV import.

use crate::auth::permission::{self, Permission, PermissionSet};
use crate::error::Problems;

pub fn login_id(p: &mut Problems, field: &str, value: &str) {
    let len = value.chars().count();
    if !(3..=64).contains(&len) {
        p.add(field, "ログインIDは3〜64文字で入力してください");
    } else if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        p.add(field, "ログインIDに使えるのは半角英数字と . _ - @ です");
    }
}

pub fn display_name(p: &mut Problems, field: &str, value: &str) {
    let len = value.trim().chars().count();
    if len == 0 {
        p.add(field, "氏名を入力してください");
    } else if len > 100 {
        p.add(field, "氏名は100文字以内で入力してください");
    } else if value.chars().any(char::is_control) {
        p.add(field, "氏名に制御文字は使えません");
    }
}

pub fn team_name(p: &mut Problems, field: &str, value: &str) {
    let len = value.trim().chars().count();
    if len == 0 {
        p.add(field, "チーム名を入力してください");
    } else if len > 100 || value.chars().any(char::is_control) {
        p.add(
            field,
            "チーム名は制御文字を含まない100文字以内で入力してください",
        );
    }
}

/// Parses permission names (and optionally a preset) into a set; unknown names are errors.
pub fn permissions(
    p: &mut Problems,
    field: &str,
    names: &[String],
    preset: Option<&str>,
) -> PermissionSet {
    let mut set: Vec<Permission> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match Permission::parse(name.trim()) {
            Some(perm) => set.push(perm),
            None => p.add(format!("{field}[{i}]"), format!("不明な権限です: {name}")),
        }
    }
    if let Some(key) = preset.map(str::trim).filter(|k| !k.is_empty()) {
        match permission::preset(key) {
            Some(preset) => set.extend(preset.permissions.iter().copied()),
            None => p.add("preset", format!("不明なロールです: {key}")),
        }
    }
    set.into_iter().collect()
}
