//! Exports of the audit log: one entry as a CSV line (the same in the API's export and the
//! CLI's `chronid audit --format csv`).

use uuid::Uuid;

use crate::query::AuditEntry;

/// The CSV header of an audit export.
pub const AUDIT_CSV_HEADER: &str = "at,account_id,username,ip,item,action,outcome,description,\
event_type,aggregate_type,aggregate_id,sequence,position,actor_kind,actor_id,target_id,\
target_username,user_agent";

fn csv_field(out: &mut String, value: &str) {
    // A spreadsheet opening the export would run a cell starting with one of these as a formula
    // (CSV injection: a user named `=HYPERLINK(...)`). Such a value gets a leading apostrophe,
    // which spreadsheets show as text and hide; the rest of the value is kept as it is.
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        out.push('"');
        out.push('\'');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// One entry as a CSV line (RFC 4180 quoting; empty = null; a value a spreadsheet would read as
/// a formula is quoted with a leading apostrophe).
pub fn audit_csv_line(e: &AuditEntry) -> String {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let uuid = |v: &Option<Uuid>| v.map(|u| u.to_string()).unwrap_or_default();
    let fields = [
        e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        e.account_id.to_string(),
        opt(&e.username),
        opt(&e.ip),
        e.item.clone(),
        e.action.clone(),
        e.outcome.clone(),
        e.description.clone(),
        e.event_type.clone(),
        e.aggregate_type.clone(),
        e.aggregate_id.to_string(),
        e.sequence.to_string(),
        e.position.to_string(),
        e.actor_kind.clone(),
        uuid(&e.actor_id),
        uuid(&e.target_id),
        opt(&e.target_username),
        opt(&e.user_agent),
    ];
    let mut line = String::with_capacity(256);
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        csv_field(&mut line, f);
    }
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    fn field(v: &str) -> String {
        let mut out = String::new();
        csv_field(&mut out, v);
        out
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for start in ["+1", "-1", "@SUM(A1)", "\tx"] {
            assert!(field(start).starts_with("\"'"), "{start}");
        }
        assert_eq!(field("user=x"), "user=x");
    }
}
