//! What a rule looks for in a mail and how it rewrites the body, as pure
//! functions (no database): compiled once with every problem reported at its
//! field, then tried on a mail with the reasons shown to staff.
//!
//! Regular expressions use the `regex` crate, which matches in time linear
//! in the text (no backtracking): a pattern cannot run away, and what would
//! need backtracking (look-around, back-references) is refused when the
//! rule is saved. Patterns and their compiled size are bounded too.

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::error::FieldError;

pub const MAX_CONDITIONS: usize = 20;
pub const MAX_WORDS: usize = 50;
pub const MAX_PATTERN_CHARS: usize = 300;
pub const MAX_REWRITES: usize = 10;
/// Compiled program and DFA cache per pattern.
const REGEX_BYTES: usize = 256 * 1024;

/// One condition as stored (`mail_rules.conditions`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// sender | subject | body
    pub field: String,
    /// keywords | regex
    pub kind: String,
    #[serde(default)]
    pub words: Vec<String>,
    /// all | any (keywords)
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub pattern: String,
}

/// One body rewrite as stored (`mail_rules.rewrites`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rewrite {
    /// strip_signature | cut_from | drop_lines | keep_section
    pub kind: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub end: String,
}

/// The parts of a mail the conditions read.
pub struct MailText<'a> {
    pub sender: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

enum Test {
    Words { words: Vec<String>, all: bool },
    Pattern(Regex),
}

struct Compiled {
    field: String,
    test: Test,
}

/// A rule's conditions, ready to try.
pub struct Matcher {
    all: bool,
    conditions: Vec<Compiled>,
}

/// Why a condition held or not, in words for staff.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Reason {
    pub index: usize,
    pub matched: bool,
    pub detail: String,
}

fn field_label(field: &str) -> &'static str {
    match field {
        "sender" => "送信者",
        "subject" => "件名",
        _ => "本文",
    }
}

/// Compares as staff read: full-width and half-width alike, case ignored.
fn fold(s: &str) -> String {
    s.nfkc().collect::<String>().to_lowercase()
}

fn compile_pattern(pattern: &str, path: &str) -> Result<Regex, FieldError> {
    if pattern.is_empty() || pattern.chars().count() > MAX_PATTERN_CHARS {
        return Err(FieldError::new(
            path,
            format!("正規表現は1〜{MAX_PATTERN_CHARS}文字で入力してください"),
        ));
    }
    RegexBuilder::new(pattern)
        .size_limit(REGEX_BYTES)
        .dfa_size_limit(REGEX_BYTES)
        .nest_limit(50)
        .build()
        .map_err(|e| {
            let text = e.to_string();
            let message = if text.contains("look-around") || text.contains("backreference") {
                "先読み・後読み・後方参照は使えません（照合に時間がかかる書き方のため）".to_string()
            } else if matches!(e, regex::Error::CompiledTooBig(_)) {
                "正規表現が大きすぎます。条件を分けてください".to_string()
            } else {
                // The parser's own words name the place of the mistake.
                let last = text
                    .lines()
                    .rfind(|l| l.starts_with("error:"))
                    .unwrap_or("");
                format!(
                    "正規表現が正しくありません（{}）",
                    last.trim_start_matches("error: ")
                )
            };
            FieldError::new(path, message)
        })
}

impl Matcher {
    /// Checks and compiles; every problem at `path.conditions[i].…`.
    pub fn compile(
        match_mode: &str,
        conditions: &[Condition],
        path: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        if !matches!(match_mode, "all" | "any") {
            errors.push(FieldError::new(
                format!("{path}matchMode"),
                "「すべて」か「いずれか」を選んでください",
            ));
        }
        if conditions.is_empty() || conditions.len() > MAX_CONDITIONS {
            errors.push(FieldError::new(
                format!("{path}conditions"),
                format!("条件を1〜{MAX_CONDITIONS}個指定してください"),
            ));
        }
        let mut compiled = Vec::new();
        for (i, c) in conditions.iter().enumerate() {
            let at = |f: &str| format!("{path}conditions[{i}].{f}");
            if !matches!(c.field.as_str(), "sender" | "subject" | "body") {
                errors.push(FieldError::new(
                    at("field"),
                    "送信者・件名・本文から選んでください",
                ));
                continue;
            }
            let test = match c.kind.as_str() {
                "keywords" => {
                    let words: Vec<String> = c
                        .words
                        .iter()
                        .map(|w| fold(w.trim()))
                        .filter(|w| !w.is_empty())
                        .collect();
                    if words.is_empty() || words.len() > MAX_WORDS {
                        errors.push(FieldError::new(
                            at("words"),
                            format!("キーワードを1〜{MAX_WORDS}個入力してください"),
                        ));
                        continue;
                    }
                    if words.iter().any(|w| w.chars().count() > 100) {
                        errors.push(FieldError::new(at("words"), "キーワードは100文字までです"));
                        continue;
                    }
                    if !matches!(c.mode.as_str(), "all" | "any") {
                        errors.push(FieldError::new(
                            at("mode"),
                            "「すべて含む」か「いずれかを含む」を選んでください",
                        ));
                        continue;
                    }
                    Test::Words {
                        words,
                        all: c.mode == "all",
                    }
                }
                "regex" => match compile_pattern(&c.pattern, &at("pattern")) {
                    Ok(r) => Test::Pattern(r),
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                },
                _ => {
                    errors.push(FieldError::new(
                        at("kind"),
                        "キーワードか正規表現を選んでください",
                    ));
                    continue;
                }
            };
            compiled.push(Compiled {
                field: c.field.clone(),
                test,
            });
        }
        if errors.is_empty() {
            Ok(Self {
                all: match_mode == "all",
                conditions: compiled,
            })
        } else {
            Err(errors)
        }
    }

    /// Whether the mail matches, and each condition's reason.
    pub fn test(&self, mail: &MailText<'_>) -> (bool, Vec<Reason>) {
        let folded = [
            ("sender", fold(mail.sender)),
            ("subject", fold(mail.subject)),
            ("body", fold(mail.body)),
        ];
        let text_of = |f: &str| {
            folded
                .iter()
                .find(|(k, _)| *k == f)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        let reasons: Vec<Reason> = self
            .conditions
            .iter()
            .enumerate()
            .map(|(index, c)| {
                let label = field_label(&c.field);
                let text = text_of(&c.field);
                let (matched, detail) = match &c.test {
                    Test::Words { words, all } => {
                        let (hit, miss): (Vec<&String>, Vec<&String>) =
                            words.iter().partition(|w| text.contains(w.as_str()));
                        let matched = if *all {
                            miss.is_empty()
                        } else {
                            !hit.is_empty()
                        };
                        let quote = |v: &[&String]| {
                            v.iter()
                                .map(|w| format!("「{w}」"))
                                .collect::<Vec<_>>()
                                .join("")
                        };
                        let detail = if matched {
                            format!("{label}に{}を含む", quote(&hit))
                        } else if *all {
                            format!("{label}に{}がない", quote(&miss))
                        } else {
                            format!("{label}にキーワードがない")
                        };
                        (matched, detail)
                    }
                    Test::Pattern(r) => {
                        // Regexes see the text as it came (not folded), so
                        // staff's character classes mean what they wrote.
                        let raw = match c.field.as_str() {
                            "sender" => mail.sender,
                            "subject" => mail.subject,
                            _ => mail.body,
                        };
                        match r.find(raw) {
                            Some(m) => {
                                let excerpt: String = m.as_str().chars().take(40).collect();
                                (true, format!("{label}が正規表現に一致「{excerpt}」"))
                            }
                            None => (false, format!("{label}が正規表現に一致しない")),
                        }
                    }
                };
                Reason {
                    index,
                    matched,
                    detail,
                }
            })
            .collect();
        let matched = if self.all {
            reasons.iter().all(|r| r.matched)
        } else {
            reasons.iter().any(|r| r.matched)
        };
        (matched, reasons)
    }
}

/// Checks the rewrites; problems at `path.rewrites[i].…`.
pub fn check_rewrites(list: &[Rewrite], path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if list.len() > MAX_REWRITES {
        errors.push(FieldError::new(
            format!("{path}rewrites"),
            format!("本文の整形は{MAX_REWRITES}個までです"),
        ));
    }
    for (i, r) in list.iter().enumerate() {
        let at = |f: &str| format!("{path}rewrites[{i}].{f}");
        let needs_text = match r.kind.as_str() {
            "strip_signature" => false,
            "cut_from" | "drop_lines" | "keep_section" => true,
            _ => {
                errors.push(FieldError::new(at("kind"), "整形の種類を選んでください"));
                continue;
            }
        };
        if needs_text && r.text.trim().is_empty() {
            errors.push(FieldError::new(at("text"), "目印の文字を入力してください"));
        }
        if r.text.chars().count() > 100 || r.end.chars().count() > 100 {
            errors.push(FieldError::new(at("text"), "目印の文字は100文字までです"));
        }
    }
    errors
}

/// A line that opens a signature: RFC 3676's `-- `, or a rule of at least
/// ten dashes, equals signs or box-drawing bars.
fn is_signature_rule(line: &str) -> bool {
    let t = line.trim_end();
    if t == "--" {
        return true;
    }
    let n = t.chars().count();
    n >= 10
        && t.chars().all(|c| {
            matches!(
                c,
                '-' | '=' | '＝' | '－' | '―' | '─' | '━' | '*' | '＊' | '_'
            )
        })
}

/// The body after the rewrites, and what each did (in words).
pub fn rewrite(body: &str, list: &[Rewrite]) -> (String, Vec<String>) {
    let mut lines: Vec<&str> = body.lines().collect();
    let mut notes = Vec::new();
    for r in list {
        let before = lines.len();
        let text = r.text.trim();
        match r.kind.as_str() {
            "strip_signature" => {
                // The last rule line with little after it: a separator in
                // the middle of an alert is content, not a signature.
                if let Some(at) = lines.iter().rposition(|l| is_signature_rule(l))
                    && lines.len() - at <= 15
                {
                    lines.truncate(at);
                }
                notes.push(format!("署名を削除（{}行）", before - lines.len()));
            }
            "cut_from" => {
                if let Some(at) = lines.iter().position(|l| l.contains(text)) {
                    lines.truncate(at);
                }
                notes.push(format!(
                    "「{text}」以降を削除（{}行）",
                    before - lines.len()
                ));
            }
            "drop_lines" => {
                lines.retain(|l| !l.contains(text));
                notes.push(format!(
                    "「{text}」を含む行を削除（{}行）",
                    before - lines.len()
                ));
            }
            "keep_section" => {
                let end = r.end.trim();
                match lines.iter().position(|l| l.contains(text)) {
                    Some(start) => {
                        let rest = &lines[start + 1..];
                        let stop = (!end.is_empty())
                            .then(|| rest.iter().position(|l| l.contains(end)))
                            .flatten()
                            .unwrap_or(rest.len());
                        lines = rest[..stop].to_vec();
                        notes.push(format!("「{text}」の段落だけを残す（{}行）", lines.len()));
                    }
                    None => notes.push(format!("「{text}」が見つからず、そのまま")),
                }
            }
            _ => {}
        }
    }
    // Blank lines left at either end by a cut mean nothing.
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    while lines.first().is_some_and(|l| l.trim().is_empty()) {
        lines.remove(0);
    }
    (lines.join("\n"), notes)
}

pub const MAX_TEMPLATE_CHARS: usize = 2000;

/// Checks a message template: it must not be empty and may name only
/// {件名}, {本文} and {市町村}.
pub fn check_template(template: &str, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if template.trim().is_empty() || template.chars().count() > MAX_TEMPLATE_CHARS {
        errors.push(FieldError::new(
            path,
            format!("メッセージのひな形を1〜{MAX_TEMPLATE_CHARS}文字で入力してください"),
        ));
    }
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            break;
        };
        let name = &after[..close];
        if !matches!(name, "件名" | "本文" | "市町村") {
            errors.push(FieldError::new(
                path,
                format!(
                    "差し込み「{{{name}}}」はありません（使えるのは {{件名}} {{本文}} {{市町村}}）"
                ),
            ));
        }
        rest = &after[close + 1..];
    }
    errors
}

/// The message text: the template with its placeholders filled, cut to
/// LINE's 5,000 characters (an alert's body can be long).
pub fn fill(template: &str, subject: &str, body: &str, municipalities: &str) -> String {
    // One pass over the template: text put in is never read again.
    let mut text = String::with_capacity(template.len() + body.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        text.push_str(&rest[..open]);
        let after = &rest[open..];
        let value = [
            ("{件名}", subject),
            ("{本文}", body),
            ("{市町村}", municipalities),
        ]
        .into_iter()
        .find(|(k, _)| after.starts_with(k));
        match value {
            Some((k, v)) => {
                text.push_str(v);
                rest = &after[k.len()..];
            }
            None => {
                text.push('{');
                rest = &after[1..];
            }
        }
    }
    text.push_str(rest);
    const LIMIT: usize = 4900;
    if text.encode_utf16().count() <= LIMIT {
        return text;
    }
    let mut out = String::new();
    let mut units = 0;
    for c in text.chars() {
        units += c.len_utf16();
        if units > LIMIT {
            break;
        }
        out.push(c);
    }
    out.push_str("\n（以下省略）");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(field: &str, kind: &str, words: &[&str], mode: &str, pattern: &str) -> Condition {
        Condition {
            field: field.into(),
            kind: kind.into(),
            words: words.iter().map(|w| w.to_string()).collect(),
            mode: mode.into(),
            pattern: pattern.into(),
        }
    }

    const MAIL: MailText<'static> = MailText {
        sender: "bousai@pref.example.jp",
        subject: "【避難指示】川口市",
        body: "川口市は芝地区に避難指示を発令しました。\nＬＥＶＥＬ４",
    };

    #[test]
    fn keywords_all_and_any_with_reasons() {
        let any = Matcher::compile(
            "all",
            &[cond(
                "subject",
                "keywords",
                &["避難指示", "土砂"],
                "any",
                "",
            )],
            "",
        )
        .unwrap();
        let (m, r) = any.test(&MAIL);
        assert!(m);
        assert_eq!(r[0].detail, "件名に「避難指示」を含む");
        let all = Matcher::compile(
            "all",
            &[cond(
                "subject",
                "keywords",
                &["避難指示", "土砂"],
                "all",
                "",
            )],
            "",
        )
        .unwrap();
        let (m, r) = all.test(&MAIL);
        assert!(!m);
        assert_eq!(r[0].detail, "件名に「土砂」がない");
        // Full-width and case folded alike.
        let level = Matcher::compile(
            "all",
            &[cond("body", "keywords", &["level4"], "any", "")],
            "",
        )
        .unwrap();
        assert!(level.test(&MAIL).0);
    }

    #[test]
    fn conditions_combine_all_or_any() {
        let conds = [
            cond("sender", "keywords", &["pref.example.jp"], "any", ""),
            cond("body", "keywords", &["地震"], "any", ""),
        ];
        assert!(!Matcher::compile("all", &conds, "").unwrap().test(&MAIL).0);
        assert!(Matcher::compile("any", &conds, "").unwrap().test(&MAIL).0);
    }

    #[test]
    fn regexes_match_and_refuse_what_would_backtrack() {
        let r = Matcher::compile(
            "all",
            &[cond("body", "regex", &[], "", r"(芝|安行)地区")],
            "",
        )
        .unwrap();
        let (m, reasons) = r.test(&MAIL);
        assert!(m);
        assert_eq!(reasons[0].detail, "本文が正規表現に一致「芝地区」");
        for bad in [r"(a)\1", r"(?=a)b", r"(", ""] {
            let e = Matcher::compile("all", &[cond("body", "regex", &[], "", bad)], "rule.")
                .err()
                .unwrap();
            assert_eq!(e[0].field, "rule.conditions[0].pattern", "{bad}");
        }
        let e = Matcher::compile("all", &[cond("body", "regex", &[], "", r"(?=a)b")], "")
            .err()
            .unwrap();
        assert!(e[0].message.contains("先読み"), "{}", e[0].message);
    }

    #[test]
    fn a_pattern_that_would_backtrack_forever_elsewhere_runs_in_linear_time() {
        let r = Matcher::compile("all", &[cond("body", "regex", &[], "", r"(a+)+$")], "").unwrap();
        let body = "a".repeat(20_000) + "!";
        let started = std::time::Instant::now();
        let (m, _) = r.test(&MailText {
            sender: "",
            subject: "",
            body: &body,
        });
        assert!(!m);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let huge = format!("{}{{1000}}{{1000}}", "a");
        let e = Matcher::compile("all", &[cond("body", "regex", &[], "", &huge)], "")
            .err()
            .unwrap();
        assert!(e[0].message.contains("大きすぎ"), "{}", e[0].message);
    }

    #[test]
    fn bad_conditions_are_named_by_field() {
        let e = Matcher::compile(
            "some",
            &[
                cond("cc", "keywords", &["x"], "any", ""),
                cond("body", "keywords", &[" "], "any", ""),
                cond("body", "keywords", &["x"], "most", ""),
            ],
            "",
        )
        .err()
        .unwrap();
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "matchMode",
                "conditions[0].field",
                "conditions[1].words",
                "conditions[2].mode"
            ]
        );
        assert_eq!(
            Matcher::compile("all", &[], "").err().unwrap()[0].field,
            "conditions"
        );
    }

    #[test]
    fn rewrites_strip_signatures_cut_footers_drop_lines_and_keep_sections() {
        let body = "【概要】\n川口市に避難指示\n\n【詳細】\n芝地区\n安行地区\n【問合せ】\n危機管理課\n※このメールは送信専用です\n----------\n埼玉県 危機管理防災部\nTEL 048-000-0000";
        let step = |kind: &str, text: &str, end: &str| Rewrite {
            kind: kind.into(),
            text: text.into(),
            end: end.into(),
        };
        let (out, notes) = rewrite(body, &[step("strip_signature", "", "")]);
        assert!(out.ends_with("※このメールは送信専用です"), "{out}");
        assert_eq!(notes, ["署名を削除（3行）"]);
        let (out, _) = rewrite(body, &[step("cut_from", "※このメール", "")]);
        assert!(out.ends_with("危機管理課"));
        let (out, _) = rewrite(body, &[step("drop_lines", "地区", "")]);
        assert!(!out.contains("芝地区") && out.contains("【詳細】"));
        let (out, notes) = rewrite(body, &[step("keep_section", "【詳細】", "【問合せ】")]);
        assert_eq!(out, "芝地区\n安行地区");
        assert_eq!(notes, ["「【詳細】」の段落だけを残す（2行）"]);
        let (out, notes) = rewrite(body, &[step("keep_section", "【なし】", "")]);
        assert_eq!(out, body);
        assert_eq!(notes, ["「【なし】」が見つからず、そのまま"]);
        let e = check_rewrites(&[step("cut_from", " ", ""), step("shred", "", "")], "");
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["rewrites[0].text", "rewrites[1].kind"]);
    }

    #[test]
    fn templates_name_only_known_placeholders_and_stay_within_line_limits() {
        assert!(check_template("【{市町村}】{件名}\n{本文}", "template").is_empty());
        let e = check_template("{宛名}様 {件名}", "template");
        assert_eq!(e.len(), 1);
        assert!(e[0].message.contains("{宛名}"));
        assert_eq!(check_template("  ", "template").len(), 1);
        assert_eq!(
            fill("【{市町村}】{件名}\n{本文}", "大雨", "本文", "川口市"),
            "【川口市】大雨\n本文"
        );
        let long = fill("{本文}", "", &"あ".repeat(6000), "");
        assert!(long.encode_utf16().count() <= 5000 && long.ends_with("（以下省略）"));
        // A body holding "{件名}" is not filled again.
        assert_eq!(fill("{本文}", "S", "{件名}", ""), "{件名}");
        assert_eq!(fill("{件名}/{本文}", "{本文}", "B", ""), "{本文}/B");
    }
}
