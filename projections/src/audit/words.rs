//! Words: channel, login method and provider names, "from X to Y", joins, counts, quoting and
//! times, cleaning free text for display, humanizing event names.

use chrono::{DateTime, Utc};

use super::*;

pub(super) fn channel(ctx: &Ctx) -> Option<String> {
    match ctx.word("channel").as_str() {
        "sms" => Some("SMS".to_string()),
        "voice" => Some("voice call".to_string()),
        "email" => Some("email".to_string()),
        "totp" => Some("authenticator app".to_string()),
        "" => None,
        other => Some(humanize(other)),
    }
}

pub(super) fn login_method_name(method: &str) -> String {
    match method {
        "password" => "password".to_string(),
        "google" => "Google".to_string(),
        "github" => "GitHub".to_string(),
        "sso" => "SSO".to_string(),
        "" => "this".to_string(),
        other => humanize(other),
    }
}

pub(super) fn provider_name(provider: &str) -> String {
    match provider {
        "google" => "Google".to_string(),
        "github" => "GitHub".to_string(),
        "saml" => "SAML".to_string(),
        "" => "external".to_string(),
        other => humanize(other),
    }
}

/// "from a to b", "set to b", "removed (was a)".
pub(super) fn from_to(previous: Option<String>, now: Option<String>) -> Option<String> {
    match (previous, now) {
        (Some(p), Some(n)) => Some(format!("from {p} to {n}")),
        (None, Some(n)) => Some(format!("set to {n}")),
        (Some(p), None) => Some(format!("removed (was {p})")),
        (None, None) => None,
    }
}

/// The present parts joined with ", ", or None.
pub(super) fn join(parts: &[Option<String>]) -> Option<String> {
    let present: Vec<&str> = parts.iter().flatten().map(String::as_str).collect();
    (!present.is_empty()).then(|| present.join(", "))
}

pub(super) fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

pub(super) fn quoted(s: String) -> String {
    format!("\"{s}\"")
}

pub(super) fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A value from `data` made fit for a sentence: no control characters, at most 200 characters.
pub(super) fn clean(s: &str) -> String {
    const MAX: usize = 200;
    let mut out: String = s
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX + 1)
        .collect();
    if out.chars().count() > MAX {
        out = out.chars().take(MAX - 1).collect();
        out.push('…');
    }
    out.trim().to_string()
}

/// "SomethingHappened" or "something_happened" -> "Something happened".
pub(super) fn humanize(name: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c == '_' || c == ' ' || c == '-' {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    let sentence = words
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ");
    if sentence.is_empty() {
        "Event".to_string()
    } else {
        capitalise(&sentence)
    }
}

pub(super) fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
