//! What a household registers (seed 2.6(2)ウ) and how it is checked.

use async_graphql::{InputObject, SimpleObject};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{AppResult, Problems};

pub const MAX_CHILDREN: usize = 5;
const NAME_MAX: usize = 50;
const RELATION_MAX: usize = 20;

#[derive(Clone, Debug, InputObject)]
pub struct CardInput {
    /// カード対象者氏名 (required).
    pub holder_name: String,
    /// 続柄 (required), e.g. 母, 父, 祖母.
    pub relation: String,
    /// 対象子: up to five; the first is required unless a pregnancy is registered.
    pub children: Vec<ChildInput>,
    /// 妊娠中: the expected date of birth.
    pub expected_date: Option<NaiveDate>,
    /// A grandparent supporting the family's child-raising (seed 2.6(2)エ③).
    #[graphql(default)]
    pub grandparent: bool,
}

#[derive(Clone, Debug, InputObject, Serialize, Deserialize, SimpleObject, PartialEq, Eq)]
#[graphql(input_name = "ChildInput", name = "CardChild")]
#[serde(rename_all = "camelCase")]
pub struct ChildInput {
    pub name: String,
    pub birth_date: NaiveDate,
}

/// The household facts sealed together in `card_holders.household`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Household {
    pub expected_date: Option<NaiveDate>,
    pub grandparent: bool,
}

/// A registration as the resident entered it, opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    pub holder_name: String,
    pub relation: String,
    pub children: Vec<ChildInput>,
    pub household: Household,
}

fn clean(s: &str) -> String {
    s.trim().to_string()
}

impl CardInput {
    /// Checks every field (all problems at once, in Japanese) and returns the tidy registration.
    pub fn validate(&self, today: NaiveDate) -> AppResult<Registration> {
        let mut p = Problems::new();
        let holder_name = clean(&self.holder_name);
        p.check(
            !holder_name.is_empty(),
            "holderName",
            "カード対象者氏名を入力してください",
        );
        p.check(
            holder_name.chars().count() <= NAME_MAX,
            "holderName",
            "カード対象者氏名は50文字以内で入力してください",
        );
        let relation = clean(&self.relation);
        p.check(!relation.is_empty(), "relation", "続柄を入力してください");
        p.check(
            relation.chars().count() <= RELATION_MAX,
            "relation",
            "続柄は20文字以内で入力してください",
        );
        if self.children.len() > MAX_CHILDREN {
            p.add("children", "お子さまは5人まで登録できます");
        }
        if self.children.is_empty() && self.expected_date.is_none() {
            p.add(
                "children[0].name",
                "第1子の氏名と生年月日を入力してください（妊娠中の方は出産予定日を入力してください）",
            );
        }
        let mut children = Vec::new();
        for (i, c) in self.children.iter().enumerate().take(MAX_CHILDREN) {
            let name = clean(&c.name);
            if name.is_empty() {
                p.add(
                    format!("children[{i}].name"),
                    format!("第{}子の氏名を入力してください", i + 1),
                );
            } else if name.chars().count() > NAME_MAX {
                p.add(
                    format!("children[{i}].name"),
                    "氏名は50文字以内で入力してください",
                );
            }
            if c.birth_date > today {
                p.add(
                    format!("children[{i}].birthDate"),
                    "生年月日に未来の日付は入力できません（妊娠中の場合は出産予定日に入力してください）",
                );
            } else if c.birth_date < today - Duration::days(366 * 30) {
                p.add(
                    format!("children[{i}].birthDate"),
                    "生年月日を確認してください",
                );
            }
            children.push(ChildInput {
                name,
                birth_date: c.birth_date,
            });
        }
        if let Some(e) = self.expected_date
            && !(today - Duration::days(366 * 2) <= e && e <= today + Duration::days(310))
        {
            p.add(
                "expectedDate",
                "出産予定日を確認してください（今日から310日以内の日付）",
            );
        }
        p.into_result()?;
        Ok(Registration {
            holder_name,
            relation,
            children,
            household: Household {
                expected_date: self.expected_date,
                grandparent: self.grandparent,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn input() -> CardInput {
        CardInput {
            holder_name: " 埼玉 花子 ".into(),
            relation: "母".into(),
            children: vec![ChildInput {
                name: "埼玉 一郎".into(),
                birth_date: d("2020-05-05"),
            }],
            expected_date: None,
            grandparent: false,
        }
    }

    #[test]
    fn tidy_registration() {
        let r = input().validate(d("2026-11-26")).unwrap();
        assert_eq!(r.holder_name, "埼玉 花子");
    }

    #[test]
    fn every_problem_at_once_with_paths() {
        let mut i = input();
        i.holder_name = "  ".into();
        i.relation = String::new();
        i.children.push(ChildInput {
            name: String::new(),
            birth_date: d("2027-01-01"),
        });
        let Err(crate::error::AppError::BadInput(errs)) = i.validate(d("2026-11-26")) else {
            panic!("refused")
        };
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "holderName",
                "relation",
                "children[1].name",
                "children[1].birthDate"
            ]
        );
    }

    #[test]
    fn first_child_required_unless_pregnant() {
        let mut i = input();
        i.children.clear();
        assert!(i.validate(d("2026-11-26")).is_err());
        i.expected_date = Some(d("2027-03-01"));
        assert!(i.validate(d("2026-11-26")).is_ok());
        i.children = vec![
            i.children.first().cloned().unwrap_or(ChildInput {
                name: "a".into(),
                birth_date: d("2020-01-01")
            });
            6
        ];
        assert!(i.validate(d("2026-11-26")).is_err(), "six children");
    }
}
