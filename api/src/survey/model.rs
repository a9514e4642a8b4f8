//! A survey as stored: its row, its settings and the state residents see.

use async_graphql::{Enum, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::form::Form;
use crate::db::schema::surveys;
use crate::error::FieldError;

pub const DEFAULT_TEXT_LIMIT: i32 = 500;
pub const MAX_TEXT_LIMIT: i32 = 4000;
pub const MAX_TITLE: usize = 100;

/// When and how a survey takes answers (not versioned: staff may extend a
/// deadline while it runs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, SimpleObject, InputObject)]
#[graphql(name = "SurveySettings", input_name = "SurveySettingsInput")]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// Answers are taken from (JST shown in the console; empty: from publishing).
    pub opens_at: Option<DateTime<Utc>>,
    /// …until (empty: until closed by hand).
    pub closes_at: Option<DateTime<Utc>>,
    /// Answers are tied to the friend (never to their LINE profile beyond the id).
    /// Fixed once published.
    #[serde(default)]
    #[graphql(default)]
    pub identified: bool,
    /// One answer per resident, which they may change until it closes.
    #[serde(default = "yes")]
    #[graphql(default = true)]
    pub one_per_resident: bool,
    /// Only residents in this saved segment may answer (empty: every friend).
    #[serde(skip)]
    pub segment_id: Option<i32>,
    /// Closes after this many answers.
    pub quota: Option<i32>,
    /// Shown after answering (empty: a standard thank-you).
    #[serde(default)]
    #[graphql(default)]
    pub thank_you: String,
    /// The most characters of one free-text answer.
    #[serde(default = "default_text_limit")]
    #[graphql(default = 500)]
    pub text_limit: i32,
}

fn yes() -> bool {
    true
}

fn default_text_limit() -> i32 {
    DEFAULT_TEXT_LIMIT
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            opens_at: None,
            closes_at: None,
            identified: false,
            one_per_resident: true,
            segment_id: None,
            quota: None,
            thank_you: String::new(),
            text_limit: DEFAULT_TEXT_LIMIT,
        }
    }
}

impl Settings {
    pub fn check(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        if let (Some(o), Some(c)) = (self.opens_at, self.closes_at)
            && o >= c
        {
            e.push(FieldError::new(
                "closesAt",
                "終了日時は開始日時より後にしてください",
            ));
        }
        if self.quota.is_some_and(|q| !(1..=10_000_000).contains(&q)) {
            e.push(FieldError::new("quota", "定員は1〜10,000,000件です"));
        }
        if self.thank_you.chars().count() > 1000 {
            e.push(FieldError::new(
                "thankYou",
                "お礼のメッセージは1000文字以内です",
            ));
        }
        if !(1..=MAX_TEXT_LIMIT).contains(&self.text_limit) {
            e.push(FieldError::new(
                "textLimit",
                format!("自由記述の文字数は1〜{MAX_TEXT_LIMIT}文字です"),
            ));
        }
        e
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = surveys)]
pub struct SurveyRow {
    pub id: i32,
    pub title: String,
    pub form: serde_json::Value,
    pub settings: serde_json::Value,
    pub segment_id: Option<i32>,
    pub team_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_by_label: String,
    pub live_version: Option<i32>,
    pub data_key_id: Uuid,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where a survey is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(name = "SurveyStatus")]
pub enum Status {
    /// 下書き（未公開）
    Draft,
    /// 公開前（開始日時を待っている）
    Scheduled,
    /// 受付中
    Open,
    /// 終了
    Closed,
}

impl SurveyRow {
    pub fn form(&self) -> Form {
        serde_json::from_value(self.form.clone()).unwrap_or_default()
    }

    pub fn settings(&self) -> Settings {
        let mut s: Settings = serde_json::from_value(self.settings.clone()).unwrap_or_default();
        s.segment_id = self.segment_id;
        s
    }

    pub fn status(&self, now: DateTime<Utc>) -> Status {
        let s = self.settings();
        if self.live_version.is_none() {
            Status::Draft
        } else if self.closed_at.is_some() || s.closes_at.is_some_and(|c| now >= c) {
            Status::Closed
        } else if s.opens_at.is_some_and(|o| now < o) {
            Status::Scheduled
        } else {
            Status::Open
        }
    }

    /// The owner string of its data key and sealed answers.
    pub fn owner(&self) -> String {
        owner(self.id)
    }
}

pub fn owner(survey: i32) -> String {
    format!("survey:{survey}")
}
