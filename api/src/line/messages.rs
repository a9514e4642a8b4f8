//! Message objects checked by LINE's rules before anything is sent, so a bad
//! message is a clear error for the staff member, not a failed delivery.

use serde_json::Value;

use crate::error::FieldError;

pub const MAX_MESSAGES: usize = 5;
pub const MAX_TEXT_UTF16: usize = 5000;
pub const MAX_MULTICAST_RECIPIENTS: usize = 500;
pub const MAX_URL_CHARS: usize = 2000;

/// LINE counts text length in UTF-16 code units (an emoji outside the BMP counts 2).
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn https(errors: &mut Vec<FieldError>, v: &Value, field: String) {
    match v.as_str() {
        None | Some("") => errors.push(FieldError::new(field, "URLを指定してください")),
        Some(u) if u.chars().count() > MAX_URL_CHARS => errors.push(FieldError::new(
            field,
            format!("URLは{MAX_URL_CHARS}文字以内にしてください"),
        )),
        Some(u) if !u.starts_with("https://") => errors.push(FieldError::new(
            field,
            "URLは https:// で始まる必要があります",
        )),
        Some(_) => {}
    }
}

fn action(errors: &mut Vec<FieldError>, a: &Value, p: &str) {
    match a["type"].as_str() {
        Some("postback") => {
            let n = a["data"].as_str().map_or(0, utf16_len);
            if n == 0 || n > 300 {
                errors.push(FieldError::new(
                    format!("{p}.data"),
                    "postbackのデータは1〜300文字です",
                ));
            }
        }
        Some("message") => {
            let n = a["text"].as_str().map_or(0, utf16_len);
            if n == 0 || n > 300 {
                errors.push(FieldError::new(
                    format!("{p}.text"),
                    "メッセージアクションの文字列は1〜300文字です",
                ));
            }
        }
        Some("uri") => {
            let u = a["uri"].as_str().unwrap_or("");
            let scheme = ["http://", "https://", "line://", "tel:"]
                .iter()
                .any(|s| u.starts_with(s));
            if !scheme || u.chars().count() > 1000 {
                errors.push(FieldError::new(
                    format!("{p}.uri"),
                    "URIは http/https/line/tel で1000文字以内です",
                ));
            }
        }
        Some("richmenuswitch")
        | Some("datetimepicker")
        | Some("camera")
        | Some("cameraRoll")
        | Some("location") => {}
        _ => errors.push(FieldError::new(format!("{p}.type"), "不明なアクションです")),
    }
}

/// Validates the `messages` of a send request; paths look like `messages[0].text`.
pub fn validate(messages: &[Value]) -> Vec<FieldError> {
    let mut e = Vec::new();
    if messages.is_empty() || messages.len() > MAX_MESSAGES {
        e.push(FieldError::new(
            "messages",
            format!("メッセージは1〜{MAX_MESSAGES}件です"),
        ));
        return e;
    }
    for (i, m) in messages.iter().enumerate() {
        let p = format!("messages[{i}]");
        match m["type"].as_str() {
            Some("text") => match m["text"].as_str() {
                None | Some("") => e.push(FieldError::new(
                    format!("{p}.text"),
                    "本文を入力してください",
                )),
                Some(t) if utf16_len(t) > MAX_TEXT_UTF16 => e.push(FieldError::new(
                    format!("{p}.text"),
                    format!(
                        "本文は{MAX_TEXT_UTF16}文字（UTF-16）以内です（現在{}）",
                        utf16_len(t)
                    ),
                )),
                _ => {}
            },
            Some("image") => {
                https(
                    &mut e,
                    &m["originalContentUrl"],
                    format!("{p}.originalContentUrl"),
                );
                https(
                    &mut e,
                    &m["previewImageUrl"],
                    format!("{p}.previewImageUrl"),
                );
            }
            Some("video") => {
                https(
                    &mut e,
                    &m["originalContentUrl"],
                    format!("{p}.originalContentUrl"),
                );
                https(
                    &mut e,
                    &m["previewImageUrl"],
                    format!("{p}.previewImageUrl"),
                );
                if m["trackingId"]
                    .as_str()
                    .is_some_and(|t| t.chars().count() > 100)
                {
                    e.push(FieldError::new(
                        format!("{p}.trackingId"),
                        "trackingIdは100文字以内です",
                    ));
                }
            }
            Some("flex") => {
                let n = m["altText"].as_str().map_or(0, utf16_len);
                if n == 0 || n > 1500 {
                    e.push(FieldError::new(
                        format!("{p}.altText"),
                        "代替テキストは1〜1500文字です",
                    ));
                }
                let size = m["contents"].to_string().len();
                let limit = if m["contents"]["type"] == "carousel" {
                    50 * 1024
                } else {
                    30 * 1024
                };
                if size > limit {
                    e.push(FieldError::new(
                        format!("{p}.contents"),
                        "Flex Messageが大きすぎます",
                    ));
                }
            }
            Some("template") if m["template"]["type"] == "buttons" => {
                let t = &m["template"];
                let alt = m["altText"].as_str().map_or(0, |s| s.chars().count());
                if alt == 0 || alt > 400 {
                    e.push(FieldError::new(
                        format!("{p}.altText"),
                        "代替テキストは1〜400文字です",
                    ));
                }
                let limit = if t["title"].is_string() || t["thumbnailImageUrl"].is_string() {
                    60
                } else {
                    160
                };
                let n = t["text"].as_str().map_or(0, |s| s.chars().count());
                if n == 0 || n > limit {
                    e.push(FieldError::new(
                        format!("{p}.template.text"),
                        format!("ボタンの本文は1〜{limit}文字です"),
                    ));
                }
                let actions = t["actions"].as_array().map(Vec::as_slice).unwrap_or(&[]);
                if actions.is_empty() || actions.len() > 4 {
                    e.push(FieldError::new(
                        format!("{p}.template.actions"),
                        "ボタンは1〜4個です",
                    ));
                }
                for (j, a) in actions.iter().enumerate() {
                    action(&mut e, a, &format!("{p}.template.actions[{j}]"));
                }
            }
            Some("sticker") | Some("template") => {}
            _ => e.push(FieldError::new(
                format!("{p}.type"),
                "送信できない種類のメッセージです",
            )),
        }
        if let Some(q) = m.get("quickReply") {
            let items = q["items"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            if items.is_empty() || items.len() > 13 {
                e.push(FieldError::new(
                    format!("{p}.quickReply.items"),
                    "クイックリプライは1〜13個です",
                ));
            }
            for (j, item) in items.iter().enumerate() {
                action(
                    &mut e,
                    &item["action"],
                    &format!("{p}.quickReply.items[{j}].action"),
                );
            }
        }
    }
    e
}

/// Multicast recipients: 1–500 LINE user ids.
pub fn validate_recipients(to: &[String]) -> Vec<FieldError> {
    let mut e = Vec::new();
    if to.is_empty() || to.len() > MAX_MULTICAST_RECIPIENTS {
        e.push(FieldError::new(
            "to",
            format!("宛先は1〜{MAX_MULTICAST_RECIPIENTS}人です"),
        ));
    }
    for (i, id) in to.iter().enumerate() {
        if !is_user_id(id) {
            e.push(FieldError::new(
                format!("to[{i}]"),
                "LINEのユーザーIDではありません",
            ));
        }
    }
    e
}

pub fn is_user_id(s: &str) -> bool {
    s.len() == 33
        && s.starts_with('U')
        && s[1..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules() {
        assert!(validate(&[json!({"type": "text", "text": "お知らせ"})]).is_empty());
        assert!(validate(&[json!({"type": "text", "text": "😀".repeat(2500)})]).is_empty());
        let e = validate(&[json!({"type": "text", "text": "😀".repeat(2501)})]);
        assert_eq!(e[0].field, "messages[0].text");
        assert_eq!(
            validate(&vec![json!({"type": "text", "text": "x"}); 6])[0].field,
            "messages"
        );
        let e = validate(&[
            json!({"type": "image", "originalContentUrl": "http://x/a.jpg", "previewImageUrl": "https://x/p.jpg"}),
        ]);
        assert_eq!(e[0].field, "messages[0].originalContentUrl");
        assert!(validate_recipients(&["U0123456789abcdef0123456789abcdef".into()]).is_empty());
        assert_eq!(
            validate_recipients(&vec!["U0123456789abcdef0123456789abcdef".to_string(); 501])[0]
                .field,
            "to"
        );
        assert_eq!(validate_recipients(&["nobody".into()])[0].field, "to[0]");
    }
}
