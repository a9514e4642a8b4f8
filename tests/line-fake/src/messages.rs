//! Message-object validation as LINE does it (a subset: the types tenohira sends).

use serde_json::Value;

use crate::respond::{Detail, detail};

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn check_https(details: &mut Vec<Detail>, v: &Value, property: String, max: usize, required: bool) {
    match v.as_str() {
        None if !required => {}
        None => details.push(detail(property, "May not be empty")),
        Some("") => details.push(detail(property, "May not be empty")),
        Some(s) if s.chars().count() > max => details.push(detail(
            property,
            format!("Length must be between 0 and {max}"),
        )),
        Some(s) if !s.starts_with("https://") => {
            details.push(detail(property, "Must be a valid HTTPS URL"))
        }
        Some(_) => {}
    }
}

fn check_action(details: &mut Vec<Detail>, a: &Value, p: &str, allow_switch: bool) {
    match a["type"].as_str() {
        Some("postback") => {
            let data = a["data"].as_str().unwrap_or("");
            if data.is_empty() || utf16_len(data) > 300 {
                details.push(detail(
                    format!("{p}.data"),
                    "Length must be between 1 and 300",
                ));
            }
        }
        Some("message") => {
            let text = a["text"].as_str().unwrap_or("");
            if text.is_empty() || utf16_len(text) > 300 {
                details.push(detail(
                    format!("{p}.text"),
                    "Length must be between 1 and 300",
                ));
            }
        }
        Some("uri") => {
            let uri = a["uri"].as_str().unwrap_or("");
            let ok_scheme = ["http://", "https://", "line://", "tel:"]
                .iter()
                .any(|s| uri.starts_with(s));
            if uri.is_empty() || uri.chars().count() > 1000 || !ok_scheme {
                details.push(detail(format!("{p}.uri"), "invalid uri"));
            }
        }
        Some("richmenuswitch") if allow_switch => {
            if a["richMenuAliasId"].as_str().is_none_or(str::is_empty) {
                details.push(detail(format!("{p}.richMenuAliasId"), "May not be empty"));
            }
        }
        Some("datetimepicker") | Some("camera") | Some("cameraRoll") | Some("location") => {}
        _ => details.push(detail(format!("{p}.type"), "invalid action type")),
    }
    if let Some(label) = a["label"].as_str()
        && utf16_len(label) > 20
    {
        details.push(detail(
            format!("{p}.label"),
            "Length must be between 0 and 20",
        ));
    }
}

/// Validates the `messages` array of a send request.
pub fn validate(messages: &Value) -> Vec<Detail> {
    let mut d = Vec::new();
    let Some(list) = messages.as_array() else {
        d.push(detail("messages", "May not be empty"));
        return d;
    };
    if list.is_empty() || list.len() > 5 {
        d.push(detail("messages", "Size must be between 1 and 5"));
        return d;
    }
    for (i, m) in list.iter().enumerate() {
        let p = format!("messages[{i}]");
        match m["type"].as_str() {
            Some("text") => match m["text"].as_str() {
                None | Some("") => d.push(detail(format!("{p}.text"), "May not be empty")),
                Some(t) if utf16_len(t) > 5000 => d.push(detail(
                    format!("{p}.text"),
                    "Length must be between 0 and 5000",
                )),
                _ => {}
            },
            Some("image") => {
                check_https(
                    &mut d,
                    &m["originalContentUrl"],
                    format!("{p}.originalContentUrl"),
                    2000,
                    true,
                );
                check_https(
                    &mut d,
                    &m["previewImageUrl"],
                    format!("{p}.previewImageUrl"),
                    2000,
                    true,
                );
            }
            Some("video") => {
                check_https(
                    &mut d,
                    &m["originalContentUrl"],
                    format!("{p}.originalContentUrl"),
                    2000,
                    true,
                );
                check_https(
                    &mut d,
                    &m["previewImageUrl"],
                    format!("{p}.previewImageUrl"),
                    2000,
                    true,
                );
                if m["trackingId"]
                    .as_str()
                    .is_some_and(|t| t.chars().count() > 100)
                {
                    d.push(detail(
                        format!("{p}.trackingId"),
                        "Length must be between 0 and 100",
                    ));
                }
            }
            Some("sticker") => {
                if m["packageId"].as_str().is_none() || m["stickerId"].as_str().is_none() {
                    d.push(detail(format!("{p}.stickerId"), "May not be empty"));
                }
            }
            Some("flex") => {
                match m["altText"].as_str() {
                    None | Some("") => d.push(detail(format!("{p}.altText"), "May not be empty")),
                    Some(t) if utf16_len(t) > 1500 => d.push(detail(
                        format!("{p}.altText"),
                        "Length must be between 0 and 1500",
                    )),
                    _ => {}
                }
                let contents = &m["contents"];
                let size = contents.to_string().len();
                match contents["type"].as_str() {
                    Some("bubble") if size > 30 * 1024 => {
                        d.push(detail(format!("{p}.contents"), "bubble is too large"))
                    }
                    Some("carousel") => {
                        let n = contents["contents"].as_array().map_or(0, Vec::len);
                        if n == 0 || n > 12 {
                            d.push(detail(
                                format!("{p}.contents.contents"),
                                "Size must be between 1 and 12",
                            ));
                        }
                        if size > 50 * 1024 {
                            d.push(detail(format!("{p}.contents"), "carousel is too large"));
                        }
                    }
                    Some("bubble") => {}
                    _ => d.push(detail(
                        format!("{p}.contents.type"),
                        "invalid flex container type",
                    )),
                }
            }
            Some("template") => {
                match m["altText"].as_str() {
                    None | Some("") => d.push(detail(format!("{p}.altText"), "May not be empty")),
                    Some(t) if utf16_len(t) > 400 => d.push(detail(
                        format!("{p}.altText"),
                        "Length must be between 0 and 400",
                    )),
                    _ => {}
                }
                check_template(&mut d, &m["template"], &format!("{p}.template"));
            }
            _ => d.push(detail(format!("{p}.type"), "invalid message type")),
        }
        if let Some(items) = m.get("quickReply").map(|q| &q["items"]) {
            match items.as_array() {
                Some(items) if !items.is_empty() && items.len() <= 13 => {
                    for (j, item) in items.iter().enumerate() {
                        check_action(
                            &mut d,
                            &item["action"],
                            &format!("{p}.quickReply.items[{j}].action"),
                            false,
                        );
                    }
                }
                _ => d.push(detail(
                    format!("{p}.quickReply.items"),
                    "Size must be between 1 and 13",
                )),
            }
        }
        if let Some(sender) = m.get("sender")
            && sender["name"]
                .as_str()
                .is_some_and(|n| n.chars().count() > 20)
        {
            d.push(detail(
                format!("{p}.sender.name"),
                "Length must be between 1 and 20",
            ));
        }
    }
    d
}

/// The buttons and carousel templates' limits (LINE's Messaging API
/// reference): buttons text ≤ 160 (≤ 60 with a title or image) and 1–4
/// actions; a carousel 1–10 columns, each text ≤ 120 (≤ 60 with a title or
/// image), title ≤ 40, 1–3 actions, the same number in every column.
fn check_template(d: &mut Vec<Detail>, t: &Value, p: &str) {
    let column = |d: &mut Vec<Detail>, c: &Value, p: &str, text_max: usize, actions_max: usize| {
        let short = c.get("title").is_some() || c.get("thumbnailImageUrl").is_some();
        let max = if short { 60 } else { text_max };
        match c["text"].as_str() {
            Some(t) if !t.is_empty() && utf16_len(t) <= max => {}
            _ => d.push(detail(
                format!("{p}.text"),
                format!("Length must be between 1 and {max}"),
            )),
        }
        if c["title"].as_str().is_some_and(|t| utf16_len(t) > 40) {
            d.push(detail(
                format!("{p}.title"),
                "Length must be between 0 and 40",
            ));
        }
        match c["actions"].as_array() {
            Some(a) if (1..=actions_max).contains(&a.len()) => {
                for (j, action) in a.iter().enumerate() {
                    check_action(d, action, &format!("{p}.actions[{j}]"), false);
                }
            }
            _ => d.push(detail(
                format!("{p}.actions"),
                format!("Size must be between 1 and {actions_max}"),
            )),
        }
    };
    match t["type"].as_str() {
        Some("buttons") => column(d, t, p, 160, 4),
        Some("confirm") => {}
        Some("carousel") => match t["columns"].as_array() {
            Some(cols) if (1..=10).contains(&cols.len()) => {
                let n = cols[0]["actions"].as_array().map_or(0, Vec::len);
                let kinds = |c: &Value| {
                    (
                        c.get("title").is_some(),
                        c.get("thumbnailImageUrl").is_some(),
                    )
                };
                for (i, c) in cols.iter().enumerate() {
                    let at = format!("{p}.columns[{i}]");
                    column(d, c, &at, 120, 3);
                    if kinds(c) != kinds(&cols[0]) {
                        d.push(detail(
                            at.clone(),
                            "All columns must have the same fields (title, thumbnailImageUrl)",
                        ));
                    }
                    if c["actions"].as_array().map_or(0, Vec::len) != n {
                        d.push(detail(
                            format!("{at}.actions"),
                            "All columns must have the same number of actions",
                        ));
                    }
                }
            }
            _ => d.push(detail(
                format!("{p}.columns"),
                "Size must be between 1 and 10",
            )),
        },
        _ => d.push(detail(format!("{p}.type"), "invalid template type")),
    }
}

/// Validates rich-menu bodies (create and validate endpoints).
pub fn validate_rich_menu(body: &Value) -> Vec<Detail> {
    let mut d = Vec::new();
    let w = body["size"]["width"].as_u64().unwrap_or(0);
    let h = body["size"]["height"].as_u64().unwrap_or(0);
    if !(800..=2500).contains(&w) {
        d.push(detail("size.width", "must be between 800 and 2500"));
    }
    if h < 250 {
        d.push(detail("size.height", "must be 250 or more"));
    }
    if h > 0 && (w as f64 / h as f64) < 1.45 {
        d.push(detail(
            "size",
            "aspect ratio (width / height) must be 1.45 or more",
        ));
    }
    if body["selected"].as_bool().is_none() {
        d.push(detail("selected", "May not be empty"));
    }
    match body["name"].as_str() {
        None | Some("") => d.push(detail("name", "May not be empty")),
        Some(n) if n.chars().count() > 300 => {
            d.push(detail("name", "Length must be between 1 and 300"))
        }
        _ => {}
    }
    match body["chatBarText"].as_str() {
        None | Some("") => d.push(detail("chatBarText", "May not be empty")),
        Some(t) if t.chars().count() > 14 => {
            d.push(detail("chatBarText", "Length must be between 1 and 14"))
        }
        _ => {}
    }
    match body["areas"].as_array() {
        None => d.push(detail("areas", "May not be empty")),
        Some(a) if a.len() > 20 => d.push(detail("areas", "Size must be between 0 and 20")),
        Some(areas) => {
            for (i, area) in areas.iter().enumerate() {
                let b = &area["bounds"];
                let (x, y, bw, bh) = (
                    b["x"].as_u64(),
                    b["y"].as_u64(),
                    b["width"].as_u64(),
                    b["height"].as_u64(),
                );
                match (x, y, bw, bh) {
                    (Some(x), Some(y), Some(bw), Some(bh))
                        if x + bw <= w && y + bh <= h && bw > 0 && bh > 0 => {}
                    _ => d.push(detail(
                        format!("areas[{i}].bounds"),
                        "bounds must lie inside the rich menu",
                    )),
                }
                check_action(&mut d, &area["action"], &format!("areas[{i}].action"), true);
            }
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_rules() {
        assert!(validate(&json!([{"type": "text", "text": "こんにちは"}])).is_empty());
        let emoji = "😀".repeat(2500); // 5,000 UTF-16 units
        assert!(validate(&json!([{"type": "text", "text": emoji}])).is_empty());
        let too_long = "😀".repeat(2501);
        assert_eq!(
            validate(&json!([{"type": "text", "text": too_long}]))[0].property,
            "messages[0].text"
        );
        assert_eq!(
            validate(&json!([]))[0].message,
            "Size must be between 1 and 5"
        );
        let six: Vec<_> = (0..6)
            .map(|_| json!({"type": "text", "text": "x"}))
            .collect();
        assert_eq!(validate(&json!(six))[0].property, "messages");
        let http = json!([{"type": "image", "originalContentUrl": "http://x/a.jpg", "previewImageUrl": "https://x/b.jpg"}]);
        assert_eq!(
            validate(&http)[0].property,
            "messages[0].originalContentUrl"
        );
    }
}
