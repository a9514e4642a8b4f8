//! A survey's questions as pure data and pure checks (no database): what the
//! builder may save (`Form::check`), which questions a resident sees given
//! their answers so far (`visible`), and whether a set of answers is one the
//! form accepts (`check_answers`). The LIFF page and the chat run the same
//! rules, but only these decide: whatever a client checked, the server
//! checks again here.

use std::collections::{HashMap, HashSet};

use async_graphql::{Enum, InputObject, SimpleObject};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::error::FieldError;

pub const MAX_SECTIONS: usize = 20;
pub const MAX_QUESTIONS: usize = 100;
pub const MAX_CHOICES: usize = 100;
pub const MAX_TITLE: usize = 200;
pub const MAX_HELP: usize = 2000;
pub const MAX_LABEL: usize = 100;
/// The jump target that ends the survey.
pub const END: &str = "end";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[graphql(name = "SurveyQuestionKind")]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 単一選択（ラジオボタン）
    Single,
    /// 複数選択（チェックボックス、選べる数の下限・上限つき）
    Multiple,
    /// プルダウン
    Dropdown,
    /// 自由記述（1行）
    ShortText,
    /// 自由記述（複数行）
    LongText,
    Date,
    /// 評価（1〜5 または 1〜10）
    Rating,
    /// お住まいの市町村（属性の一覧から）
    Municipality,
    /// 同意のチェック
    Consent,
    /// 説明文（回答なし）
    Description,
}

impl Kind {
    pub fn has_choices(self) -> bool {
        matches!(self, Self::Single | Self::Multiple | Self::Dropdown)
    }

    /// Kinds whose answer is one of a known set (counted as bars in results).
    pub fn is_closed(self) -> bool {
        self.has_choices() || matches!(self, Self::Rating | Self::Consent | Self::Municipality)
    }

    /// Kinds a condition or a jump may look at (the municipality list is the
    /// catalogue's, which may change under a published form).
    pub fn conditionable(self) -> bool {
        self.is_closed() && self != Self::Municipality
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[graphql(name = "SurveyTextFormat")]
#[serde(rename_all = "snake_case")]
pub enum TextFormat {
    #[default]
    Plain,
    /// 数値（範囲つき）
    Number,
    Email,
    /// 電話番号
    Phone,
    /// 郵便番号
    PostalCode,
    /// カタカナ
    Katakana,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, SimpleObject, InputObject)]
#[graphql(name = "SurveyChoice", input_name = "SurveyChoiceInput")]
pub struct Choice {
    /// Stable within the survey: answers and CSV columns name it.
    pub key: String,
    pub label: String,
}

/// Shows a question only when an earlier one was answered with one of `any_of`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, SimpleObject, InputObject)]
#[graphql(name = "SurveyCondition", input_name = "SurveyConditionInput")]
#[serde(rename_all = "camelCase")]
pub struct ShowIf {
    pub question: String,
    pub any_of: Vec<String>,
}

/// After a section: go to section `to` (or `end`) when `question` was answered with one of `any_of`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, SimpleObject, InputObject)]
#[graphql(name = "SurveyJump", input_name = "SurveyJumpInput")]
#[serde(rename_all = "camelCase")]
pub struct Jump {
    pub question: String,
    pub any_of: Vec<String>,
    pub to: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, SimpleObject, InputObject)]
#[graphql(name = "SurveyQuestion", input_name = "SurveyQuestionInput")]
#[serde(rename_all = "camelCase")]
pub struct Question {
    pub key: String,
    pub kind: Kind,
    pub title: String,
    #[serde(default)]
    #[graphql(default)]
    pub help: String,
    #[serde(default)]
    #[graphql(default)]
    pub required: bool,
    #[serde(default)]
    #[graphql(default)]
    pub choices: Vec<Choice>,
    /// MULTIPLE: how many must / may be picked.
    pub min_picks: Option<i32>,
    pub max_picks: Option<i32>,
    #[serde(default)]
    #[graphql(default)]
    pub format: TextFormat,
    /// NUMBER: the allowed range.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// RATING: 5 or 10.
    pub scale: Option<i32>,
    #[serde(default)]
    #[graphql(default)]
    pub low_label: String,
    #[serde(default)]
    #[graphql(default)]
    pub high_label: String,
    /// Choices shown in a random order (each resident their own).
    #[serde(default)]
    #[graphql(default)]
    pub shuffle: bool,
    pub show_if: Option<ShowIf>,
}

impl Question {
    /// The values a condition or a jump may name (choice keys, `1`…`N`, `true`).
    fn condition_values(&self) -> Vec<String> {
        match self.kind {
            k if k.has_choices() => self.choices.iter().map(|c| c.key.clone()).collect(),
            Kind::Rating => (1..=self.scale.unwrap_or(5))
                .map(|n| n.to_string())
                .collect(),
            Kind::Consent => vec!["true".into()],
            _ => vec![],
        }
    }

    /// What a value means to a person (a choice's label, else the value).
    pub fn label_of<'a>(&'a self, value: &'a str) -> &'a str {
        self.choices
            .iter()
            .find(|c| c.key == value)
            .map_or(value, |c| c.label.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, SimpleObject, InputObject)]
#[graphql(name = "SurveySection", input_name = "SurveySectionInput")]
pub struct Section {
    pub key: String,
    #[serde(default)]
    #[graphql(default)]
    pub title: String,
    #[serde(default)]
    #[graphql(default)]
    pub description: String,
    pub questions: Vec<Question>,
    #[serde(default)]
    #[graphql(default)]
    pub jumps: Vec<Jump>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, SimpleObject, InputObject)]
#[graphql(name = "SurveyForm", input_name = "SurveyFormInput")]
pub struct Form {
    pub sections: Vec<Section>,
}

fn key_ok(k: &str) -> bool {
    (1..=40).contains(&k.len())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn too_long(s: &str, max: usize) -> bool {
    s.chars().count() > max
}

impl Form {
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }

    pub fn question(&self, key: &str) -> Option<&Question> {
        self.questions().find(|q| q.key == key)
    }

    /// Every problem a builder would want shown, at its field
    /// (`sections[1].questions[2].choices[0].label`).
    pub fn check(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        let mut add = |f: String, m: &str| e.push(FieldError::new(f, m));
        if self.sections.is_empty() || self.sections.len() > MAX_SECTIONS {
            add(
                "sections".into(),
                &format!("セクションは1〜{MAX_SECTIONS}個です"),
            );
        }
        let total = self.questions().count();
        if total == 0 || total > MAX_QUESTIONS {
            add(
                "sections".into(),
                &format!("質問は1〜{MAX_QUESTIONS}問です"),
            );
        }
        let mut section_keys = HashSet::new();
        for (i, s) in self.sections.iter().enumerate() {
            if !key_ok(&s.key) || !section_keys.insert(s.key.as_str()) || s.key == END {
                add(
                    format!("sections[{i}].key"),
                    "セクションのキーは英数字・_・-の40文字以内で、重複できません",
                );
            }
            if too_long(&s.title, MAX_TITLE) || too_long(&s.description, MAX_HELP) {
                add(
                    format!("sections[{i}].title"),
                    "見出しは200文字、説明は2000文字以内です",
                );
            }
        }
        // Questions seen so far (in order): conditions may only look back.
        let mut earlier: HashMap<&str, &Question> = HashMap::new();
        for (i, s) in self.sections.iter().enumerate() {
            for (j, q) in s.questions.iter().enumerate() {
                let p = format!("sections[{i}].questions[{j}]");
                check_question(q, &p, &earlier, &mut add);
                if !key_ok(&q.key) || earlier.contains_key(q.key.as_str()) {
                    add(
                        format!("{p}.key"),
                        "質問のキーは英数字・_・-の40文字以内で、重複できません",
                    );
                }
                earlier.insert(&q.key, q);
            }
            let here: HashSet<&str> = s.questions.iter().map(|q| q.key.as_str()).collect();
            let later: HashSet<&str> = self.sections[i + 1..]
                .iter()
                .map(|s| s.key.as_str())
                .collect();
            for (k, jump) in s.jumps.iter().enumerate() {
                let p = format!("sections[{i}].jumps[{k}]");
                match earlier.get(jump.question.as_str()) {
                    Some(q) if here.contains(jump.question.as_str()) && q.kind.conditionable() => {
                        check_values(q, &jump.any_of, &format!("{p}.anyOf"), &mut add)
                    }
                    _ => add(
                        format!("{p}.question"),
                        "分岐には、このセクションの選択式の質問を選んでください",
                    ),
                }
                if jump.to != END && !later.contains(jump.to.as_str()) {
                    add(
                        format!("{p}.to"),
                        "移動先は、このセクションより後のセクションか「終了」です",
                    );
                }
            }
        }
        e
    }
}

fn check_question(
    q: &Question,
    p: &str,
    earlier: &HashMap<&str, &Question>,
    add: &mut impl FnMut(String, &str),
) {
    if q.kind != Kind::Description && q.title.trim().is_empty() {
        add(format!("{p}.title"), "質問文を入力してください");
    }
    if too_long(&q.title, MAX_TITLE) {
        add(format!("{p}.title"), "質問文は200文字以内です");
    }
    if too_long(&q.help, MAX_HELP) {
        add(format!("{p}.help"), "説明は2000文字以内です");
    }
    if q.kind == Kind::Description && q.title.trim().is_empty() && q.help.trim().is_empty() {
        add(format!("{p}.help"), "説明文を入力してください");
    }
    if q.kind.has_choices() {
        if q.choices.is_empty() || q.choices.len() > MAX_CHOICES {
            add(
                format!("{p}.choices"),
                &format!("選択肢は1〜{MAX_CHOICES}個です"),
            );
        }
        let mut keys = HashSet::new();
        for (c, choice) in q.choices.iter().enumerate() {
            if !key_ok(&choice.key) || !keys.insert(choice.key.as_str()) {
                add(
                    format!("{p}.choices[{c}].key"),
                    "選択肢のキーは英数字・_・-の40文字以内で、重複できません",
                );
            }
            if choice.label.trim().is_empty() || too_long(&choice.label, MAX_LABEL) {
                add(
                    format!("{p}.choices[{c}].label"),
                    "選択肢の表示名は1〜100文字です",
                );
            }
        }
    } else if !q.choices.is_empty() {
        add(
            format!("{p}.choices"),
            "選択肢は単一選択・複数選択・プルダウンの質問にだけ設定できます",
        );
    }
    if q.kind == Kind::Multiple {
        let n = q.choices.len() as i32;
        let (lo, hi) = (q.min_picks.unwrap_or(0), q.max_picks.unwrap_or(n));
        if lo < 0 || hi < 1 || lo > hi || hi > n {
            add(
                format!("{p}.maxPicks"),
                "選べる数は 0 ≦ 下限 ≦ 上限 ≦ 選択肢の数 にしてください",
            );
        }
    }
    if q.kind == Kind::Rating && !matches!(q.scale, Some(5) | Some(10)) {
        add(format!("{p}.scale"), "評価の段階は5か10です");
    }
    if q.format == TextFormat::Number
        && let (Some(lo), Some(hi)) = (q.min, q.max)
        && lo > hi
    {
        add(format!("{p}.max"), "上限は下限以上にしてください");
    }
    if too_long(&q.low_label, 20) || too_long(&q.high_label, 20) {
        add(format!("{p}.lowLabel"), "両端の説明は20文字以内です");
    }
    if let Some(c) = &q.show_if {
        match earlier.get(c.question.as_str()) {
            Some(target) if target.kind.conditionable() => {
                check_values(target, &c.any_of, &format!("{p}.showIf.anyOf"), add)
            }
            _ => add(
                format!("{p}.showIf.question"),
                "表示条件には、この質問より前の選択式の質問を選んでください",
            ),
        }
    }
}

fn check_values(q: &Question, values: &[String], p: &str, add: &mut impl FnMut(String, &str)) {
    let known = q.condition_values();
    if values.is_empty() || values.iter().any(|v| !known.contains(v)) {
        add(p.into(), "条件の回答を、その質問の選択肢から選んでください");
    }
}

/// Given answers, normalised: question key → values (one for most kinds,
/// the picked keys for MULTIPLE).
pub type Answers = HashMap<String, Vec<String>>;

/// The questions a resident sees, in order, given their answers: sections
/// are walked from the first, a question shows when its condition holds,
/// and after each section the first matching jump decides where to go
/// (jumps only go forward, so the walk ends).
pub fn visible<'f>(form: &'f Form, answers: &Answers) -> Vec<&'f Question> {
    let mut out = Vec::new();
    let mut shown: HashSet<&str> = HashSet::new();
    let mut i = 0;
    while let Some(section) = form.sections.get(i) {
        for q in &section.questions {
            let ok = match &q.show_if {
                None => true,
                Some(c) => {
                    shown.contains(c.question.as_str()) && holds(answers, &c.question, &c.any_of)
                }
            };
            if ok {
                shown.insert(&q.key);
                out.push(q);
            }
        }
        let jump = section.jumps.iter().find(|j| {
            shown.contains(j.question.as_str()) && holds(answers, &j.question, &j.any_of)
        });
        i = match jump {
            Some(j) if j.to == END => break,
            Some(j) => match form.sections.iter().position(|s| s.key == j.to) {
                Some(next) if next > i => next,
                _ => i + 1,
            },
            None => i + 1,
        };
    }
    out
}

fn holds(answers: &Answers, question: &str, any_of: &[String]) -> bool {
    answers
        .get(question)
        .is_some_and(|vs| vs.iter().any(|v| any_of.contains(v)))
}

/// One answer as a client sends it: `value` for one-value kinds, `values`
/// for MULTIPLE.
#[derive(Clone, Debug, Default, Serialize, Deserialize, InputObject)]
#[graphql(name = "SurveyAnswerInput")]
pub struct GivenAnswer {
    pub question: String,
    pub value: Option<String>,
    pub values: Option<Vec<String>>,
}

/// What the server needs beside the form to check answers.
pub struct Limits<'a> {
    /// The most characters a free-text answer may have.
    pub text_limit: usize,
    /// The municipality list (the attribute catalogue's).
    pub municipalities: &'a [String],
}

/// Checks a submission against the form: every answered question exists,
/// is shown (given these very answers) and is answered once; every shown
/// required question is answered; every value is valid for its kind. The
/// normalised answers on success; otherwise every problem, at
/// `answers[i].value` / `answers[i].values` / `answers[i].question`, or
/// `answers.<question key>` for a required question left out.
pub fn check_answers(
    form: &Form,
    given: &[GivenAnswer],
    limits: &Limits,
) -> Result<Answers, Vec<FieldError>> {
    // More answers than the form has questions is no honest submission:
    // refused before any of them costs a check.
    if given.len() > form.questions().count() {
        return Err(vec![FieldError::new(
            "answers",
            "回答の数が質問の数を超えています",
        )]);
    }
    let mut e = Vec::new();
    let mut answers = Answers::new();
    let mut index_of: HashMap<&str, usize> = HashMap::new();
    for (i, g) in given.iter().enumerate() {
        let p = format!("answers[{i}]");
        let Some(q) = form.question(&g.question) else {
            e.push(FieldError::new(
                format!("{p}.question"),
                "この質問はありません",
            ));
            continue;
        };
        if index_of.insert(&g.question, i).is_some() {
            e.push(FieldError::new(
                format!("{p}.question"),
                "同じ質問に2回回答しています",
            ));
            continue;
        }
        match normalise(q, g, limits) {
            Ok(Some(values)) => {
                answers.insert(q.key.clone(), values);
            }
            Ok(None) => {}
            Err((field, message)) => e.push(FieldError::new(format!("{p}.{field}"), message)),
        }
    }
    let shown = visible(form, &answers);
    let shown_keys: HashSet<&str> = shown.iter().map(|q| q.key.as_str()).collect();
    for (key, i) in &index_of {
        if answers.contains_key(*key) && !shown_keys.contains(key) {
            e.push(FieldError::new(
                format!("answers[{i}].question"),
                "この質問は、ほかの回答の内容により表示されていないため回答できません",
            ));
        }
    }
    for q in shown {
        if q.required && q.kind != Kind::Description && !answers.contains_key(&q.key) {
            e.push(FieldError::new(
                format!("answers.{}", q.key),
                format!("「{}」は必須です", q.title.trim()),
            ));
        }
    }
    if e.is_empty() {
        Ok(answers)
    } else {
        e.sort_by(|a, b| a.field.cmp(&b.field));
        Err(e)
    }
}

type Refusal = (&'static str, String);

/// One answer's values in stored form; `None` when it was left empty.
fn normalise(
    q: &Question,
    g: &GivenAnswer,
    limits: &Limits,
) -> Result<Option<Vec<String>>, Refusal> {
    if q.kind == Kind::Multiple {
        if g.value.is_some() {
            return Err(("value", "この質問は values で回答してください".into()));
        }
        let picked = g.values.clone().unwrap_or_default();
        let keys: HashSet<&str> = q.choices.iter().map(|c| c.key.as_str()).collect();
        let mut seen = HashSet::new();
        for v in &picked {
            if !keys.contains(v.as_str()) || !seen.insert(v.as_str()) {
                return Err(("values", "選択肢から選んでください".into()));
            }
        }
        let n = picked.len() as i32;
        let lo = q.min_picks.unwrap_or(0).max(i32::from(q.required));
        let hi = q.max_picks.unwrap_or(q.choices.len() as i32);
        if n == 0 && !q.required {
            return Ok(None);
        }
        if n < lo || n > hi {
            return Err(("values", picks_message(lo, hi)));
        }
        // Stored in the form's order, whatever order they came in.
        let ordered = q
            .choices
            .iter()
            .filter(|c| seen.contains(c.key.as_str()))
            .map(|c| c.key.clone())
            .collect();
        return Ok(Some(ordered));
    }
    if g.values.is_some() {
        return Err(("values", "この質問は value で回答してください".into()));
    }
    if q.kind == Kind::Description {
        return Err(("value", "説明文には回答できません".into()));
    }
    let raw = g.value.as_deref().unwrap_or("");
    let text = if matches!(q.kind, Kind::LongText) {
        raw.trim().replace("\r\n", "\n")
    } else {
        raw.trim().to_string()
    };
    if text.is_empty() {
        return Ok(None);
    }
    if text
        .chars()
        .any(|c| c.is_control() && !(c == '\n' && q.kind == Kind::LongText))
    {
        return Err((
            "value",
            "使えない文字（制御文字・改行）が含まれています".into(),
        ));
    }
    let value = match q.kind {
        Kind::Single | Kind::Dropdown => {
            if !q.choices.iter().any(|c| c.key == text) {
                return Err(("value", "選択肢から選んでください".into()));
            }
            text
        }
        Kind::Rating => {
            let scale = q.scale.unwrap_or(5);
            match text.parse::<i32>() {
                Ok(n) if (1..=scale).contains(&n) => n.to_string(),
                _ => return Err(("value", format!("1〜{scale}の中から選んでください"))),
            }
        }
        Kind::Consent => {
            if text != "true" {
                return Err(("value", "同意する場合はチェックしてください".into()));
            }
            text
        }
        Kind::Municipality => {
            if !limits.municipalities.contains(&text) {
                return Err(("value", "市町村を一覧から選んでください".into()));
            }
            text
        }
        Kind::Date => match chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(d) => d.to_string(),
            Err(_) => return Err(("value", "日付を YYYY-MM-DD で入力してください".into())),
        },
        // Free text (MULTIPLE and DESCRIPTION returned above).
        _ => {
            if text.chars().count() > limits.text_limit {
                return Err((
                    "value",
                    format!("{}文字以内で入力してください", limits.text_limit),
                ));
            }
            formatted(q, &text)?
        }
    };
    Ok(Some(vec![value]))
}

fn picks_message(lo: i32, hi: i32) -> String {
    if lo == hi {
        format!("{lo}個選んでください")
    } else if lo <= 1 {
        format!("{hi}個まで選んでください")
    } else {
        format!("{lo}〜{hi}個選んでください")
    }
}

/// A free text in its format; residents type full-width digits and
/// half-width kana, which NFKC folds before the check.
fn formatted(q: &Question, text: &str) -> Result<String, Refusal> {
    let folded: String = text.nfkc().collect();
    match q.format {
        TextFormat::Plain => Ok(text.to_string()),
        TextFormat::Number => {
            let n: f64 = folded
                .replace(',', "")
                .parse()
                .ok()
                .filter(|n: &f64| n.is_finite())
                .ok_or(("value", "数値を入力してください".to_string()))?;
            if q.min.is_some_and(|lo| n < lo) || q.max.is_some_and(|hi| n > hi) {
                let range = match (q.min, q.max) {
                    (Some(lo), Some(hi)) => format!("{lo}〜{hi}"),
                    (Some(lo), None) => format!("{lo}以上"),
                    (None, Some(hi)) => format!("{hi}以下"),
                    (None, None) => String::new(),
                };
                return Err(("value", format!("{range}の数値を入力してください")));
            }
            Ok(n.to_string())
        }
        TextFormat::Email => {
            let ok = folded.len() <= 254
                && folded.split_once('@').is_some_and(|(local, domain)| {
                    !local.is_empty()
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !folded.contains(char::is_whitespace)
                        && domain
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                });
            ok.then(|| folded.clone())
                .ok_or(("value", "メールアドレスの形式で入力してください".into()))
        }
        TextFormat::Phone => {
            let digits: String = folded.chars().filter(|c| *c != '-').collect();
            let ok = digits.starts_with('0')
                && (10..=11).contains(&digits.len())
                && digits.chars().all(|c| c.is_ascii_digit());
            ok.then_some(folded.clone()).ok_or((
                "value",
                "電話番号を数字とハイフンで入力してください（例：048-830-0000）".into(),
            ))
        }
        TextFormat::PostalCode => {
            let digits: String = folded.chars().filter(|c| *c != '-').collect();
            if digits.len() == 7 && digits.chars().all(|c| c.is_ascii_digit()) {
                Ok(format!("{}-{}", &digits[..3], &digits[3..]))
            } else {
                Err((
                    "value",
                    "郵便番号を7桁で入力してください（例：330-9301）".into(),
                ))
            }
        }
        TextFormat::Katakana => {
            let ok = folded.chars().all(|c| {
                ('\u{30A1}'..='\u{30FA}').contains(&c)
                    || matches!(c, 'ー' | '・' | ' ' | '\u{3000}')
            });
            ok.then_some(folded.clone())
                .ok_or(("value", "カタカナで入力してください".into()))
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
            title: format!("{key}?"),
            help: String::new(),
            required: false,
            choices: vec![],
            min_picks: None,
            max_picks: None,
            format: TextFormat::Plain,
            min: None,
            max: None,
            scale: None,
            low_label: String::new(),
            high_label: String::new(),
            shuffle: false,
            show_if: None,
        }
    }

    fn choices(keys: &[&str]) -> Vec<Choice> {
        keys.iter()
            .map(|k| Choice {
                key: (*k).into(),
                label: format!("{k}です"),
            })
            .collect()
    }

    fn form() -> Form {
        let mut attend = q("attend", Kind::Single);
        attend.required = true;
        attend.choices = choices(&["yes", "no"]);
        let mut why = q("why", Kind::LongText);
        why.show_if = Some(ShowIf {
            question: "attend".into(),
            any_of: vec!["no".into()],
        });
        why.required = true;
        let mut people = q("people", Kind::ShortText);
        people.format = TextFormat::Number;
        people.min = Some(1.0);
        people.max = Some(5.0);
        let mut topics = q("topics", Kind::Multiple);
        topics.choices = choices(&["a", "b", "c"]);
        topics.min_picks = Some(1);
        topics.max_picks = Some(2);
        Form {
            sections: vec![
                Section {
                    key: "s1".into(),
                    title: String::new(),
                    description: String::new(),
                    questions: vec![attend, why],
                    jumps: vec![Jump {
                        question: "attend".into(),
                        any_of: vec!["no".into()],
                        to: END.into(),
                    }],
                },
                Section {
                    key: "s2".into(),
                    title: String::new(),
                    description: String::new(),
                    questions: vec![people, topics],
                    jumps: vec![],
                },
            ],
        }
    }

    fn given(question: &str, value: &str) -> GivenAnswer {
        GivenAnswer {
            question: question.into(),
            value: Some(value.into()),
            values: None,
        }
    }

    const LIMITS: Limits = Limits {
        text_limit: 12,
        municipalities: &[],
    };

    #[test]
    fn a_good_form_has_no_problems() {
        assert_eq!(form().check(), vec![]);
    }

    #[test]
    fn conditions_may_only_look_back_and_jumps_only_forward() {
        let mut f = form();
        f.sections[0].questions[1].show_if = Some(ShowIf {
            question: "people".into(),
            any_of: vec!["1".into()],
        });
        f.sections[0].jumps[0].to = "s1".into();
        let fields: Vec<String> = f.check().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![
                "sections[0].questions[1].showIf.question",
                "sections[0].jumps[0].to"
            ]
        );
    }

    #[test]
    fn the_condition_decides_what_is_shown_and_the_jump_ends_the_survey() {
        let f = form();
        let mut a = Answers::new();
        a.insert("attend".into(), vec!["no".into()]);
        let keys: Vec<&str> = visible(&f, &a).iter().map(|q| q.key.as_str()).collect();
        assert_eq!(keys, vec!["attend", "why"]);
        a.insert("attend".into(), vec!["yes".into()]);
        let keys: Vec<&str> = visible(&f, &a).iter().map(|q| q.key.as_str()).collect();
        assert_eq!(keys, vec!["attend", "people", "topics"]);
    }

    #[test]
    fn a_hidden_question_cannot_be_answered_and_a_shown_required_one_must_be() {
        let f = form();
        let e =
            check_answers(&f, &[given("attend", "yes"), given("why", "x")], &LIMITS).unwrap_err();
        assert_eq!(e[0].field, "answers[1].question");
        let e = check_answers(&f, &[given("attend", "no")], &LIMITS).unwrap_err();
        assert_eq!(e[0].field, "answers.why");
        assert!(check_answers(&f, &[given("attend", "no"), given("why", "遠い")], &LIMITS).is_ok());
    }

    #[test]
    fn each_kind_checks_its_values() {
        let f = form();
        let bad = |a: GivenAnswer| {
            check_answers(&f, &[given("attend", "yes"), a], &LIMITS)
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(bad(given("people", "9")), vec!["answers[1].value"]);
        assert_eq!(bad(given("people", "abc")), vec!["answers[1].value"]);
        let picks = |v: &[&str]| GivenAnswer {
            question: "topics".into(),
            value: None,
            values: Some(v.iter().map(|s| s.to_string()).collect()),
        };
        assert_eq!(bad(picks(&["a", "b", "c"])), vec!["answers[1].values"]);
        assert_eq!(bad(picks(&["a", "a"])), vec!["answers[1].values"]);
        assert_eq!(bad(picks(&["z"])), vec!["answers[1].values"]);
        assert_eq!(bad(given("nope", "1")), vec!["answers[1].question"]);
        let ok = check_answers(
            &f,
            &[
                given("attend", "yes"),
                given("people", "３"),
                picks(&["b", "a"]),
            ],
            &LIMITS,
        )
        .unwrap();
        assert_eq!(ok["people"], vec!["3"]);
        assert_eq!(ok["topics"], vec!["a", "b"]);
    }

    #[test]
    fn formats_fold_width_and_refuse_what_is_not_theirs() {
        let mut t = q("t", Kind::ShortText);
        let run = |t: &Question, v: &str| {
            normalise(t, &given("t", v), &LIMITS).map(|v| v.unwrap_or_default().join(""))
        };
        t.format = TextFormat::PostalCode;
        assert_eq!(run(&t, "３３０９３０１").unwrap(), "330-9301");
        assert!(run(&t, "33093").is_err());
        t.format = TextFormat::Katakana;
        assert_eq!(run(&t, "ｻｲﾀﾏ").unwrap(), "サイタマ");
        assert!(run(&t, "さいたま").is_err());
        t.format = TextFormat::Phone;
        assert!(run(&t, "048-830-0000").is_ok());
        assert!(run(&t, "12345").is_err());
        t.format = TextFormat::Email;
        assert!(run(&t, "a@example.jp").is_ok());
        assert!(run(&t, "a@b").is_err());
        t.format = TextFormat::Plain;
        assert!(run(&t, "1234567890123").is_err(), "over the text limit");
        assert!(run(&t, "a\nb").is_err(), "one line only");
        let mut r = q("t", Kind::Rating);
        r.scale = Some(5);
        assert!(run(&r, "6").is_err());
        assert_eq!(run(&r, "5").unwrap(), "5");
        let d = q("t", Kind::Date);
        assert!(run(&d, "2026-02-30").is_err());
    }
}
