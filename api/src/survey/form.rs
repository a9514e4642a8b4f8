//! A survey's form (seed §2.4(5)): sections of questions, each of one kind,
//! with conditions that show a question or skip to a section depending on an
//! earlier answer. Two checks live here, both without a database: the
//! builder's (is the form well made?) and the answer's (does this answer fit
//! this version of the form?). The answer check is the server's, whatever
//! the LIFF page checked; its problems name `answers[i].values` paths.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::error::FieldError;

/// What a question asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One of the options (radio buttons).
    Single,
    /// Several options, between `min_picks` and `max_picks`.
    Multiple,
    /// One of the options, from a list.
    Dropdown,
    /// One line; `format` says what it must look like.
    ShortText,
    /// Several lines.
    LongText,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// 1..=`scale` (5 or 10) with labels at both ends.
    Rating,
    /// One of the prefecture's municipalities (the attribute catalogue's list).
    Municipality,
    /// A box that must be ticked to go on when required.
    Consent,
    /// Text shown to the resident; nothing is asked.
    Description,
}

/// What a short text must look like.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Plain,
    /// A number, within `min`..=`max` when given.
    Number,
    Email,
    Phone,
    PostalCode,
    Katakana,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// Stable within the survey (CSV columns and results are keyed by it).
    pub key: String,
    pub label: String,
}

/// Show a question only when an earlier question's answer is one of `any_of`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShowIf {
    pub question: String,
    pub any_of: Vec<String>,
}

/// After a section, go to `to` (a section key, or `end`) when `question`'s
/// answer is one of `any_of`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Jump {
    pub question: String,
    pub any_of: Vec<String>,
    pub to: String,
}

pub const END: &str = "end";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub key: String,
    pub kind: Kind,
    pub title: String,
    #[serde(default)]
    pub help: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub choices: Vec<Choice>,
    #[serde(default)]
    pub min_picks: Option<u32>,
    #[serde(default)]
    pub max_picks: Option<u32>,
    #[serde(default)]
    pub format: Format,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// The longest free text (characters); the survey's setting when absent.
    #[serde(default)]
    pub max_length: Option<u32>,
    /// 5 or 10 for a rating.
    #[serde(default)]
    pub scale: Option<u32>,
    #[serde(default)]
    pub low_label: String,
    #[serde(default)]
    pub high_label: String,
    /// Options shown in random order.
    #[serde(default)]
    pub shuffle: bool,
    #[serde(default)]
    pub show_if: Option<ShowIf>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub key: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub questions: Vec<Question>,
    #[serde(default)]
    pub jumps: Vec<Jump>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Form {
    pub sections: Vec<Section>,
}

/// The municipalities a municipality question offers: (key, name).
pub type Municipalities<'a> = &'a [(String, String)];

pub const MAX_SECTIONS: usize = 20;
pub const MAX_QUESTIONS: usize = 100;
pub const MAX_CHOICES: usize = 50;
/// The longest free text any survey allows.
pub const TEXT_CEILING: u32 = 4000;

fn key_ok(k: &str) -> bool {
    !k.is_empty() && k.len() <= 40 && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Form {
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }

    pub fn question(&self, key: &str) -> Option<&Question> {
        self.questions().find(|q| q.key == key)
    }

    /// Questions that ask something (not descriptions), in order.
    pub fn asked(&self) -> impl Iterator<Item = &Question> {
        self.questions().filter(|q| q.kind != Kind::Description)
    }

    /// Everything wrong with the form as built, each at its path (`form.sections[0].questions[2].choices`).
    pub fn check(&self) -> Vec<FieldError> {
        let mut p = Vec::new();
        if self.sections.is_empty() || self.sections.len() > MAX_SECTIONS {
            p.push(FieldError::new("form.sections", format!("セクションは1〜{MAX_SECTIONS}個にしてください")));
        }
        let total = self.questions().count();
        if total == 0 || total > MAX_QUESTIONS {
            p.push(FieldError::new("form.sections", format!("質問は1〜{MAX_QUESTIONS}問にしてください")));
        }
        let mut section_keys = HashSet::new();
        let mut seen: HashMap<&str, &Question> = HashMap::new();
        for (si, s) in self.sections.iter().enumerate() {
            let at = format!("form.sections[{si}]");
            if !key_ok(&s.key) || s.key == END || !section_keys.insert(s.key.as_str()) {
                p.push(FieldError::new(format!("{at}.key"), "セクションのキーは英数字で、重複しないようにしてください"));
            }
            for (qi, q) in s.questions.iter().enumerate() {
                let at = format!("{at}.questions[{qi}]");
                check_question(q, &at, &seen, &mut p);
                if seen.insert(q.key.as_str(), q).is_some() {
                    p.push(FieldError::new(format!("{at}.key"), "質問のキーが重複しています"));
                }
            }
            for (ji, j) in s.jumps.iter().enumerate() {
                let at = format!("{at}.jumps[{ji}]");
                match seen.get(j.question.as_str()) {
                    Some(q) if s.questions.iter().any(|x| x.key == q.key) => {
                        check_values(q, &j.any_of, &format!("{at}.anyOf"), &mut p)
                    }
                    _ => p.push(FieldError::new(format!("{at}.question"), "このセクションの質問を選んでください")),
                }
                // Only forward: a jump back could loop forever.
                let target = self.sections.iter().position(|x| x.key == j.to);
                if j.to != END && target.is_none_or(|t| t <= si) {
                    p.push(FieldError::new(format!("{at}.to"), "移動先は後ろのセクションか「終了」にしてください"));
                }
            }
        }
        p
    }
}

fn check_question(q: &Question, at: &str, earlier: &HashMap<&str, &Question>, p: &mut Vec<FieldError>) {
    if !key_ok(&q.key) {
        p.push(FieldError::new(format!("{at}.key"), "質問のキーは英数字・_・- の40文字以内にしてください"));
    }
    let title = q.title.trim().chars().count();
    if title == 0 || title > 500 {
        p.push(FieldError::new(format!("{at}.title"), "質問文は1〜500文字で入力してください"));
    }
    if q.help.chars().count() > 2000 {
        p.push(FieldError::new(format!("{at}.help"), "説明は2000文字以内にしてください"));
    }
    let with_choices = matches!(q.kind, Kind::Single | Kind::Multiple | Kind::Dropdown);
    if with_choices {
        let mut keys = HashSet::new();
        if q.choices.len() < 2 || q.choices.len() > MAX_CHOICES {
            p.push(FieldError::new(format!("{at}.choices"), format!("選択肢は2〜{MAX_CHOICES}個にしてください")));
        }
        for (ci, c) in q.choices.iter().enumerate() {
            let label = c.label.trim().chars().count();
            if !key_ok(&c.key) || !keys.insert(c.key.as_str()) || label == 0 || label > 200 {
                p.push(FieldError::new(
                    format!("{at}.choices[{ci}]"),
                    "選択肢は1〜200文字で、キーが重複しないようにしてください",
                ));
            }
        }
    } else if !q.choices.is_empty() {
        p.push(FieldError::new(format!("{at}.choices"), "この種類の質問に選択肢は設定できません"));
    }
    if q.kind == Kind::Multiple {
        let n = q.choices.len() as u32;
        let (lo, hi) = (q.min_picks.unwrap_or(0), q.max_picks.unwrap_or(n));
        if lo > hi || hi > n || hi == 0 {
            p.push(FieldError::new(format!("{at}.maxPicks"), "選択できる数の範囲が正しくありません"));
        }
    }
    if q.kind == Kind::Rating && !matches!(q.scale, Some(5) | Some(10)) {
        p.push(FieldError::new(format!("{at}.scale"), "評価の段階は5か10にしてください"));
    }
    if let (Some(lo), Some(hi)) = (q.min, q.max)
        && (lo > hi || !lo.is_finite() || !hi.is_finite())
    {
        p.push(FieldError::new(format!("{at}.max"), "数値の範囲が正しくありません"));
    }
    if q.max_length.is_some_and(|m| m == 0 || m > TEXT_CEILING) {
        p.push(FieldError::new(format!("{at}.maxLength"), format!("文字数の上限は1〜{TEXT_CEILING}にしてください")));
    }
    if q.kind == Kind::Description && q.required {
        p.push(FieldError::new(format!("{at}.required"), "説明文は必須にできません"));
    }
    if let Some(cond) = &q.show_if {
        match earlier.get(cond.question.as_str()) {
            Some(before) => check_values(before, &cond.any_of, &format!("{at}.showIf.anyOf"), p),
            None => p.push(FieldError::new(
                format!("{at}.showIf.question"),
                "条件には、この質問より前の質問を選んでください",
            )),
        }
    }
}

/// A condition's values must be answers `q` can have (its choice keys; for
/// other kinds, any non-empty text, matched exactly).
fn check_values(q: &Question, values: &[String], at: &str, p: &mut Vec<FieldError>) {
    let ok = !values.is_empty()
        && match q.kind {
            Kind::Single | Kind::Multiple | Kind::Dropdown => {
                values.iter().all(|v| q.choices.iter().any(|c| &c.key == v))
            }
            Kind::Description => false,
            _ => values.iter().all(|v| !v.is_empty()),
        };
    if !ok {
        p.push(FieldError::new(at, "条件の値を、対象の質問の選択肢から選んでください"));
    }
}

/// One question's answer as given: its values (a choice key or keys, a
/// text, a date, a number, `true` for consent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Given {
    pub question: String,
    pub values: Vec<String>,
}

/// The questions a resident sees given their answers so far: sections in
/// order, following jumps; a question hidden by its condition is not seen.
pub fn seen<'f>(form: &'f Form, answers: &HashMap<&str, &[String]>) -> Vec<&'f Question> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(s) = form.sections.get(i) {
        for q in &s.questions {
            let shown = q.show_if.as_ref().is_none_or(|c| {
                answers
                    .get(c.question.as_str())
                    .is_some_and(|vals| vals.iter().any(|v| c.any_of.contains(v)))
            });
            if shown {
                out.push(q);
            }
        }
        let jump = s.jumps.iter().find(|j| {
            out.iter().any(|q| q.key == j.question)
                && answers
                    .get(j.question.as_str())
                    .is_some_and(|vals| vals.iter().any(|v| j.any_of.contains(v)))
        });
        i = match jump {
            Some(j) if j.to == END => break,
            Some(j) => form.sections.iter().position(|x| x.key == j.to).unwrap_or(form.sections.len()),
            None => i + 1,
        };
    }
    out
}

/// Checks an answer against the form; the answers kept (normalised: NFKC
/// text, trimmed) or every problem at `answers[i].values`.
pub fn check_answers(
    form: &Form,
    given: &[Given],
    text_limit: u32,
    municipalities: Municipalities<'_>,
) -> Result<Vec<Given>, Vec<FieldError>> {
    let mut p = Vec::new();
    let mut by_key: HashMap<&str, (usize, &[String])> = HashMap::new();
    for (i, g) in given.iter().enumerate() {
        match form.question(&g.question) {
            Some(q) if q.kind != Kind::Description => {
                if by_key.insert(q.key.as_str(), (i, g.values.as_slice())).is_some() {
                    p.push(FieldError::new(format!("answers[{i}].question"), "同じ質問への回答が2つあります"));
                }
            }
            _ => p.push(FieldError::new(format!("answers[{i}].question"), "この質問はアンケートにありません")),
        }
    }
    let plain: HashMap<&str, &[String]> = by_key.iter().map(|(k, (_, v))| (*k, *v)).collect();
    let seen = seen(form, &plain);
    let visible: HashSet<&str> = seen.iter().map(|q| q.key.as_str()).collect();
    let mut kept = Vec::new();
    for (key, (i, values)) in &by_key {
        if !visible.contains(key) && !values.is_empty() {
            p.push(FieldError::new(
                format!("answers[{i}].question"),
                "表示されていない質問には回答できません",
            ));
        }
    }
    for q in seen {
        if q.kind == Kind::Description {
            continue;
        }
        let (i, values) = by_key.get(q.key.as_str()).copied().unwrap_or((usize::MAX, &[]));
        let at = if i == usize::MAX {
            format!("answers.{}", q.key)
        } else {
            format!("answers[{i}].values")
        };
        let values: Vec<String> = values
            .iter()
            .map(|v| v.nfkc().collect::<String>().trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            if q.required {
                p.push(FieldError::new(at, "この質問は回答が必要です"));
            }
            continue;
        }
        match check_one(q, &values, text_limit, municipalities) {
            Ok(()) => kept.push(Given {
                question: q.key.clone(),
                values,
            }),
            Err(message) => p.push(FieldError::new(at, message)),
        }
    }
    if p.is_empty() {
        Ok(kept)
    } else {
        p.sort_by(|a, b| a.field.cmp(&b.field));
        Err(p)
    }
}

fn one(values: &[String]) -> Result<&str, String> {
    match values {
        [v] => Ok(v.as_str()),
        _ => Err("回答は1つにしてください".into()),
    }
}

fn check_one(q: &Question, values: &[String], text_limit: u32, municipalities: Municipalities<'_>) -> Result<(), String> {
    let is_choice = |v: &str| q.choices.iter().any(|c| c.key == v);
    match q.kind {
        Kind::Single | Kind::Dropdown => {
            let v = one(values)?;
            if !is_choice(v) {
                return Err("選択肢から選んでください".into());
            }
        }
        Kind::Multiple => {
            let distinct: HashSet<&String> = values.iter().collect();
            if distinct.len() != values.len() || !values.iter().all(|v| is_choice(v)) {
                return Err("選択肢から選んでください".into());
            }
            let n = values.len() as u32;
            let (lo, hi) = (q.min_picks.unwrap_or(0), q.max_picks.unwrap_or(q.choices.len() as u32));
            if n < lo || n > hi {
                return Err(if lo == hi {
                    format!("{lo}個選んでください")
                } else {
                    format!("{lo}〜{hi}個選んでください")
                });
            }
        }
        Kind::ShortText | Kind::LongText => {
            let v = one(values)?;
            let limit = q.max_length.unwrap_or(text_limit).min(text_limit).min(TEXT_CEILING);
            if v.chars().count() as u32 > limit {
                return Err(format!("{limit}文字以内で入力してください"));
            }
            if q.kind == Kind::ShortText && v.contains(['\n', '\r']) {
                return Err("1行で入力してください".into());
            }
            check_format(q, v)?;
        }
        Kind::Date => {
            let v = one(values)?;
            if chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err() || v.len() != 10 {
                return Err("日付を正しく入力してください（例: 2026-04-01）".into());
            }
        }
        Kind::Rating => {
            let v = one(values)?;
            let scale = q.scale.unwrap_or(5);
            if !v.parse::<u32>().is_ok_and(|n| (1..=scale).contains(&n)) {
                return Err(format!("1〜{scale}で選んでください"));
            }
        }
        Kind::Municipality => {
            let v = one(values)?;
            if !municipalities.iter().any(|(k, _)| k == v) {
                return Err("市町村を一覧から選んでください".into());
            }
        }
        Kind::Consent => {
            if one(values)? != "true" {
                return Err("同意する場合はチェックを入れてください".into());
            }
        }
        Kind::Description => {}
    }
    Ok(())
}

fn check_format(q: &Question, v: &str) -> Result<(), String> {
    match q.format {
        Format::Plain => Ok(()),
        Format::Number => {
            let n: f64 = v
                .replace(',', "")
                .parse()
                .ok()
                .filter(|n: &f64| n.is_finite())
                .ok_or("数値を入力してください")?;
            match (q.min, q.max) {
                (Some(lo), Some(hi)) if n < lo || n > hi => Err(format!("{lo}〜{hi}の数値を入力してください")),
                (Some(lo), None) if n < lo => Err(format!("{lo}以上の数値を入力してください")),
                (None, Some(hi)) if n > hi => Err(format!("{hi}以下の数値を入力してください")),
                _ => Ok(()),
            }
        }
        Format::Email => {
            let ok = v.len() <= 254
                && v.split_once('@').is_some_and(|(local, domain)| {
                    !local.is_empty()
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !v.contains(char::is_whitespace)
                        && v.matches('@').count() == 1
                });
            if ok { Ok(()) } else { Err("メールアドレスを正しく入力してください".into()) }
        }
        Format::Phone => {
            let digits: String = v.chars().filter(|c| *c != '-').collect();
            if digits.starts_with('0') && (10..=11).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
                Ok(())
            } else {
                Err("電話番号を正しく入力してください（例: 048-824-2111）".into())
            }
        }
        Format::PostalCode => {
            let digits: String = v.chars().filter(|c| *c != '-').collect();
            if digits.len() == 7 && digits.chars().all(|c| c.is_ascii_digit()) {
                Ok(())
            } else {
                Err("郵便番号を7桁で入力してください（例: 330-9301）".into())
            }
        }
        Format::Katakana => {
            // Full-width katakana, the long-vowel mark and spaces (NFKC has already widened half-width kana).
            if v.chars().all(|c| matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー' | '・' | ' ' | '　')) {
                Ok(())
            } else {
                Err("全角カタカナで入力してください".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(key: &str, kind: Kind) -> Question {
        Question {
            key: key.into(),
            kind,
            title: format!("質問{key}"),
            help: String::new(),
            required: false,
            choices: vec![],
            min_picks: None,
            max_picks: None,
            format: Format::Plain,
            min: None,
            max: None,
            max_length: None,
            scale: None,
            low_label: String::new(),
            high_label: String::new(),
            shuffle: false,
            show_if: None,
        }
    }

    fn choices(keys: &[&str]) -> Vec<Choice> {
        keys.iter()
            .map(|k| Choice { key: (*k).into(), label: format!("選択肢{k}") })
            .collect()
    }

    /// 参加しますか (yes/no) → when yes, 人数 (number 1–10); no jumps to the end.
    fn event_form() -> Form {
        let mut join = q("join", Kind::Single);
        join.required = true;
        join.choices = choices(&["yes", "no"]);
        let mut people = q("people", Kind::ShortText);
        people.format = Format::Number;
        people.min = Some(1.0);
        people.max = Some(10.0);
        people.required = true;
        people.show_if = Some(ShowIf { question: "join".into(), any_of: vec!["yes".into()] });
        let mut why = q("why", Kind::LongText);
        why.max_length = Some(20);
        Form {
            sections: vec![
                Section {
                    key: "s1".into(),
                    title: String::new(),
                    description: String::new(),
                    questions: vec![join, people],
                    jumps: vec![Jump { question: "join".into(), any_of: vec!["no".into()], to: END.into() }],
                },
                Section {
                    key: "s2".into(),
                    title: String::new(),
                    description: String::new(),
                    questions: vec![why],
                    jumps: vec![],
                },
            ],
        }
    }

    fn given(pairs: &[(&str, &[&str])]) -> Vec<Given> {
        pairs
            .iter()
            .map(|(k, v)| Given { question: (*k).into(), values: v.iter().map(|s| s.to_string()).collect() })
            .collect()
    }

    fn fields(r: Result<Vec<Given>, Vec<FieldError>>) -> Vec<String> {
        r.err().unwrap_or_default().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn conditions_show_questions_and_jumps_end_the_survey() {
        let f = event_form();
        assert!(f.check().is_empty(), "{:?}", f.check());
        let ok = check_answers(&f, &given(&[("join", &["yes"]), ("people", &["３"]), ("why", &["楽しみ"])]), 400, &[]);
        assert_eq!(ok.unwrap()[1].values, vec!["3"], "NFKC: full-width digits");
        // "no" hides 人数 and ends the survey: answering either is refused.
        assert_eq!(fields(check_answers(&f, &given(&[("join", &["no"]), ("people", &["2"])]), 400, &[])), vec!["answers[1].question"]);
        assert_eq!(fields(check_answers(&f, &given(&[("join", &["no"]), ("why", &["x"])]), 400, &[])), vec!["answers[1].question"]);
        assert!(check_answers(&f, &given(&[("join", &["no"])]), 400, &[]).is_ok());
        // Shown and required but missing; out of range; too long; unknown question.
        assert_eq!(fields(check_answers(&f, &given(&[("join", &["yes"])]), 400, &[])), vec!["answers.people"]);
        assert_eq!(fields(check_answers(&f, &given(&[("join", &["yes"]), ("people", &["11"])]), 400, &[])), vec!["answers[1].values"]);
        let long = "あ".repeat(21);
        assert_eq!(
            fields(check_answers(&f, &given(&[("join", &["yes"]), ("people", &["1"]), ("why", &[long.as_str()])]), 400, &[])),
            vec!["answers[2].values"]
        );
        assert_eq!(fields(check_answers(&f, &given(&[("join", &["maybe"])]), 400, &[])), vec!["answers[0].values"]);
        assert_eq!(fields(check_answers(&f, &given(&[("join", &["yes"]), ("nope", &["1"])]), 400, &[])), vec!["answers.people", "answers[1].question"]);
    }

    #[test]
    fn each_kind_checks_its_values() {
        let one = |question: Question, v: &[&str]| {
            let f = Form {
                sections: vec![Section {
                    key: "s".into(),
                    title: String::new(),
                    description: String::new(),
                    questions: vec![question],
                    jumps: vec![],
                }],
            };
            let towns = [("11203".to_string(), "川口市".to_string())];
            check_answers(&f, &given(&[("a", v)]), 400, &towns).is_ok()
        };
        let mut m = q("a", Kind::Multiple);
        m.choices = choices(&["x", "y", "z"]);
        m.min_picks = Some(1);
        m.max_picks = Some(2);
        assert!(one(m.clone(), &["x", "z"]));
        assert!(!one(m.clone(), &["x", "y", "z"]), "more than max");
        assert!(!one(m.clone(), &["x", "x"]), "twice");
        let mut d = q("a", Kind::Date);
        assert!(one(d.clone(), &["2026-04-01"]));
        assert!(!one(d.clone(), &["2026-02-30"]));
        d.kind = Kind::Rating;
        d.scale = Some(5);
        assert!(one(d.clone(), &["5"]) && !one(d.clone(), &["6"]) && !one(d.clone(), &["0"]));
        let muni = q("a", Kind::Municipality);
        assert!(one(muni.clone(), &["11203"]) && !one(muni, &["99999"]));
        let consent = q("a", Kind::Consent);
        assert!(one(consent.clone(), &["true"]) && !one(consent, &["false"]));
        let mut t = q("a", Kind::ShortText);
        for (format, good, bad) in [
            (Format::Email, "taro@example.jp", "taro@example"),
            (Format::Phone, "048-824-2111", "12345"),
            (Format::PostalCode, "３３０－９３０１", "330-93"),
            (Format::Katakana, "ｻｲﾀﾏ タロウ", "さいたま"),
        ] {
            t.format = format;
            assert!(one(t.clone(), &[good]), "{format:?} {good}");
            assert!(!one(t.clone(), &[bad]), "{format:?} {bad}");
        }
        t.format = Format::Plain;
        assert!(!one(t, &["一行目\n二行目"]), "a short text is one line");
    }

    #[test]
    fn badly_built_forms_are_refused_at_their_fields() {
        let mut f = event_form();
        f.sections[0].questions[0].choices.truncate(1);
        f.sections[0].jumps[0].to = "s1".into();
        f.sections[1].questions[0].show_if = Some(ShowIf { question: "later".into(), any_of: vec!["x".into()] });
        f.sections[1].questions[0].key = "join".into();
        let got: Vec<String> = f.check().into_iter().map(|e| e.field).collect();
        for want in [
            "form.sections[0].questions[0].choices",
            "form.sections[0].jumps[0].to",
            "form.sections[1].questions[0].showIf.question",
            "form.sections[1].questions[0].key",
        ] {
            assert!(got.iter().any(|g| g == want), "{want} in {got:?}");
        }
    }
}
