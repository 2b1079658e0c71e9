//! The account console under `/console/`, for the account's administrators (AccountAdmin,
//! AccountManager), built on the same use cases and queries as the JSON API.
//!
//! - `/console/`: where the console's sections are, as the caller's roles allow.
//! - `/console/audit` (AccountManager): the audit log newest first with its filters (username,
//!   IP, description text, a named range, a time range), paging, a chart of logins and failed
//!   logins per hour drawn here as SVG, and `/console/audit/export?format=csv|jsonl` of every
//!   entry the same filters match.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chronid_app::audit::{AuditEntry, AuditError, AuditKey, LoginHour, Zone};
use chronid_app::Principal;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use futures::StreamExt;
use maud::{html, Markup};

use super::account::{caller, chrome, to_login};
use crate::context::Ctx;
use crate::i18n::Arg;

/// Entries on one page of the audit log.
const PAGE: i64 = 50;

/// The audit filters a page takes, in the API's names.
const FILTERS: [&str; 6] = ["username", "ip", "q", "range", "from", "to"];

/// The named ranges, with their message ids.
const RANGES: [(&str, &str); 5] = [
    ("last_15_minutes", "audit-range-last-15-minutes"),
    ("today", "audit-range-today"),
    ("yesterday", "audit-range-yesterday"),
    ("this_week", "audit-range-this-week"),
    ("last_week", "audit-range-last-week"),
];

pub(crate) fn nav(ctx: &Ctx, who: &Principal, current: &str) -> Markup {
    let manager = who.roles.can_manage_account();
    html! {
        nav.tabs aria-label=(ctx.t("console-nav")) {
            ul {
                li { a href="/console/" aria-current=[(current == "home").then_some("page")] { (ctx.t("console-title")) } }
                (super::console_users::link(ctx, current == "users"))
                li { a href="/console/teams" aria-current=[(current == "teams").then_some("page")] { (ctx.t("teams-title")) } }
                @if manager {
                    li { a href="/console/security" aria-current=[(current == "security").then_some("page")] { (ctx.t("security-title")) } }
                    li { a href="/console/sso" aria-current=[(current == "sso").then_some("page")] { (ctx.t("sso-console-title")) } }
                    li { a href="/console/customization" aria-current=[(current == "custom").then_some("page")] { (ctx.t("custom-title")) } }
                    li { a href="/console/api-keys" aria-current=[(current == "keys").then_some("page")] { (ctx.t("keys-title")) } }
                    li { a href="/console/audit" aria-current=[(current == "audit").then_some("page")] { (ctx.t("audit-title")) } }
                }
            }
        }
    }
}

/// Which role a console page needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Needs {
    /// AccountAdmin or AccountManager.
    Admin,
    /// AccountManager.
    Manager,
}

/// The signed-in caller with the role `needs`, and the request's facts acting as them; else
/// whether someone is signed in at all (for [`refuse`]).
pub(crate) async fn caller_with(
    ctx: &mut Ctx,
    needs: Needs,
) -> Result<(Principal, chronid_domain::metadata::RequestFacts), bool> {
    match caller(ctx).await {
        Ok((who, facts)) => {
            let allowed = match needs {
                Needs::Admin => who.roles.can_administer_users(),
                Needs::Manager => who.roles.can_manage_account(),
            };
            match allowed {
                true => Ok((who, facts)),
                false => Err(true),
            }
        }
        Err(()) => Err(false),
    }
}

/// The caller of a console form with the role `needs`; else the answer ready to send: the
/// form's token is not this browser's (or the address is over its rate), or the caller is not
/// signed in or lacks the role.
pub(crate) async fn form_caller(
    ctx: &mut Ctx,
    fields: &crate::context::Fields,
    needs: Needs,
) -> Result<(Principal, chronid_domain::metadata::RequestFacts), Response> {
    ctx.check_form(fields).map_err(|refused| *refused)?;
    caller_with(ctx, needs)
        .await
        .map_err(|signed_in| refuse(ctx.clone(), signed_in))
}

/// The answer to a caller [`caller_with`] refused: 403 when signed in, else the login page.
pub(crate) fn refuse(ctx: Ctx, signed_in: bool) -> Response {
    match signed_in {
        true => forbidden(ctx),
        false => to_login(ctx),
    }
}

pub(crate) fn forbidden(ctx: Ctx) -> Response {
    let text = ctx.t("console-forbidden");
    ctx.error_page(StatusCode::FORBIDDEN, &text)
}

/// `GET /console`: to `/console/`.
pub async fn to_home(ctx: Ctx) -> Response {
    ctx.redirect("/console/")
}

/// `GET /console/`.
pub async fn home(mut ctx: Ctx) -> Response {
    let who = match caller_with(&mut ctx, Needs::Admin).await {
        Ok((who, _)) => who,
        Err(signed_in) => return refuse(ctx, signed_in),
    };
    let title = ctx.t("console-title");
    let body = html! {
        h1 { (title) }
        (nav(&ctx, &who, "home"))
        section.card {
            p { (ctx.t("console-intro")) }
            p { a href="/console/users" { (ctx.t("users-title")) } }
            p { a href="/console/teams" { (ctx.t("teams-title")) } }
            @if who.roles.can_manage_account() {
                p { a href="/console/security" { (ctx.t("security-title")) } }
                p { a href="/console/sso" { (ctx.t("sso-console-title")) } }
                p { a href="/console/customization" { (ctx.t("custom-title")) } }
                p { a href="/console/api-keys" { (ctx.t("keys-title")) } }
                p { a href="/console/audit" { (ctx.t("audit-title")) } }
            }
        }
    };
    let chrome = chrome(&ctx, &who).await;
    ctx.page_with(StatusCode::OK, &title, chrome, body)
}

/// The filters of the request, as given (empty ones left out).
fn filters(ctx: &Ctx) -> HashMap<String, String> {
    ctx.query
        .iter()
        .filter(|(k, v)| FILTERS.contains(&k.as_str()) && !v.trim().is_empty())
        .map(|(k, v)| (k.clone(), v.trim().to_string()))
        .collect()
}

/// `at,position` of the page's `after` parameter.
fn after_of(ctx: &Ctx) -> Result<Option<AuditKey>, ()> {
    let Some((_, raw)) = ctx.query.iter().find(|(k, _)| k == "after") else {
        return Ok(None);
    };
    let (at, position) = raw.split_once(',').ok_or(())?;
    let at = DateTime::parse_from_rfc3339(at).map_err(|_| ())?;
    let position = position.parse().map_err(|_| ())?;
    Ok(Some(AuditKey {
        at: at.with_timezone(&Utc),
        position,
    }))
}

fn query_string(pairs: &[(String, String)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// `GET /console/audit`.
pub async fn audit(mut ctx: Ctx) -> Response {
    let who = match caller_with(&mut ctx, Needs::Manager).await {
        Ok((who, _)) => who,
        Err(signed_in) => return refuse(ctx, signed_in),
    };
    let params = filters(&ctx);
    let app = ctx.web().app.clone();
    let account = who.account_id;
    let after = match after_of(&ctx) {
        Ok(after) => after,
        Err(()) => {
            let text = ctx.t("audit-bad-page");
            return ctx.error_page(StatusCode::BAD_REQUEST, &text);
        }
    };
    // The page's frame is read while the entries and the chart are.
    let (screen, chrome) = futures::join!(
        app.audit_screen(&who, account, &params, after, PAGE),
        chrome(&ctx, &who)
    );
    let (page, chart, refused, zone) = match screen {
        Ok(screen) => {
            let zone = screen.page.zone;
            (Some(screen.page), screen.chart, None, zone)
        }
        Err(AuditError::Filter(refused)) => match app.account_zone(account).await {
            Ok(zone) => (None, None, Some(refused), zone),
            Err(error) => {
                let text = crate::errors::shown(&ctx, &error, "q").text;
                return ctx.error_page(super::login::status_of(&error), &text);
            }
        },
        Err(AuditError::App(error)) => {
            let text = crate::errors::shown(&ctx, &error, "q").text;
            return ctx.error_page(super::login::status_of(&error), &text);
        }
    };
    let title = ctx.t("audit-title");
    let zone_hint = ctx.t_with("audit-time-hint", &[("zone", zone.name().into())]);
    let value = |name: &str| params.get(name).cloned().unwrap_or_default();
    let error_at = |name: &str| {
        refused
            .as_ref()
            .filter(|r| r.field == name)
            .map(|r| r.message.clone())
    };
    let kept: Vec<(String, String)> = {
        let mut kept: Vec<(String, String)> =
            params.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        kept.sort();
        kept
    };
    let export = |format: &str| {
        let mut pairs = kept.clone();
        pairs.push(("format".into(), format.into()));
        format!("/console/audit/export?{}", query_string(&pairs))
    };
    let older = page.as_ref().and_then(|p| p.next.as_ref()).map(|key| {
        let mut pairs = kept.clone();
        pairs.push((
            "after".into(),
            format!(
                "{},{}",
                key.at.to_rfc3339_opts(SecondsFormat::Micros, true),
                key.position
            ),
        ));
        format!("/console/audit?{}", query_string(&pairs))
    });
    let field = |name: &'static str, kind: &'static str, label: String, hint: Option<String>| {
        let error = error_at(name);
        let id = format!("f-{name}");
        let error_id = format!("f-{name}-error");
        html! {
            div.field {
                label for=(id) { (label) }
                @if let Some(hint) = hint { p.hint { (hint) } }
                @if let Some(e) = &error { p.error id=(error_id) { (e) } }
                input type=(kind) id=(id) name=(name) value=(value(name)) step=[(kind == "datetime-local").then_some("1")]
                    aria-invalid=[error.as_ref().map(|_| "true")]
                    aria-describedby=[error.as_ref().map(|_| error_id.clone())];
            }
        }
    };
    let body = html! {
        h1 { (title) }
        (nav(&ctx, &who, "audit"))
        section.card aria-labelledby="audit-filters-heading" {
            h2 id="audit-filters-heading" { (ctx.t("audit-filters")) }
            @if let Some(r) = &refused {
                p.error role="alert" { (r.message) }
            }
            form.filters method="get" action="/console/audit" {
                (field("username", "text", ctx.t("audit-username"), None))
                (field("ip", "text", ctx.t("audit-ip"), None))
                (field("q", "text", ctx.t("audit-text"), None))
                div.field {
                    label for="f-range" { (ctx.t("audit-range")) }
                    @if let Some(e) = error_at("range") { p.error id="f-range-error" { (e) } }
                    select id="f-range" name="range" {
                        option value="" selected[value("range").is_empty()] { (ctx.t("audit-range-any")) }
                        @for (name, label) in RANGES {
                            option value=(name) selected[value("range") == name] { (ctx.t(label)) }
                        }
                    }
                }
                (field("from", "datetime-local", ctx.t("audit-from"), Some(zone_hint.clone())))
                (field("to", "datetime-local", ctx.t("audit-to"), Some(zone_hint.clone())))
                button type="submit" { (ctx.t("audit-apply")) }
                " "
                a href="/console/audit" { (ctx.t("audit-clear")) }
            }
        }
        @if let Some(chart) = &chart {
            section.card aria-labelledby="audit-chart-heading" {
                h2 id="audit-chart-heading" { (ctx.t("audit-chart")) }
                (login_chart(&ctx, (chart.from, chart.to, zone), &chart.hours))
            }
        }
        @if let Some(page) = &page {
            section.card aria-labelledby="audit-entries-heading" {
                h2 id="audit-entries-heading" { (ctx.t("audit-entries")) }
                p.links {
                    a href=(export("csv")) download { (ctx.t("audit-export-csv")) }
                    " · "
                    a href=(export("jsonl")) download { (ctx.t("audit-export-jsonl")) }
                }
                @if page.entries.is_empty() {
                    p { (ctx.t("audit-none")) }
                } @else {
                    (entries_table(&ctx, &page.entries, zone))
                }
                @if let Some(older) = &older {
                    p.links { a href=(older) rel="next" { (ctx.t("audit-older")) } }
                }
            }
        }
    };
    let status = match refused {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    ctx.page_with(status, &title, chrome, body)
}

fn entries_table(ctx: &Ctx, entries: &[AuditEntry], zone: Zone) -> Markup {
    html! {
        table.audit {
            caption.skip { (ctx.t("audit-entries")) }
            thead { tr {
                th scope="col" { (ctx.t("audit-col-time")) }
                th scope="col" { (ctx.t("audit-col-account")) }
                th scope="col" { (ctx.t("audit-col-username")) }
                th scope="col" { (ctx.t("audit-col-ip")) }
                th scope="col" { (ctx.t("audit-col-description")) }
            } }
            tbody {
                @for e in entries {
                    tr.(if e.outcome == "failed" { "failed" } else { "ok" }) {
                        td { time datetime=(e.at.to_rfc3339_opts(SecondsFormat::Secs, true)) { (e.at.with_timezone(&zone).format("%Y-%m-%d %H:%M:%S %Z")) } }
                        td { code { (e.account_id.simple().to_string()[..8]) } }
                        td {
                            @match (e.actor_kind.as_str(), e.actor_id) {
                                ("user", Some(id)) => a href=(format!("/console/users/{id}/history")) { (e.username.clone().unwrap_or_default()) },
                                _ => (e.username.clone().unwrap_or_default()),
                            }
                        }
                        td { (e.ip.clone().unwrap_or_default()) }
                        td { (e.description) }
                    }
                }
            }
        }
    }
}

/// Logins (and, stacked on them, failed logins) per hour from `from` to `to`, as an SVG bar
/// chart with its totals said in words for who cannot see it.
fn login_chart(
    ctx: &Ctx,
    (from, to, zone): (DateTime<Utc>, DateTime<Utc>, Zone),
    hours: &[LoginHour],
) -> Markup {
    use chrono::Timelike;
    let start = from
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(from);
    let slots = ((to - start).num_hours() + 1).clamp(1, 24 * 14) as usize;
    let mut ok = vec![0i64; slots];
    let mut failed = vec![0i64; slots];
    for h in hours {
        let i = (h.hour - start).num_hours();
        if (0..slots as i64).contains(&i) {
            ok[i as usize] += h.succeeded;
            failed[i as usize] += h.failed;
        }
    }
    let top = ok
        .iter()
        .zip(&failed)
        .map(|(a, b)| a + b)
        .max()
        .unwrap_or(0)
        .max(1);
    let (width, height, pad) = (720.0_f64, 160.0_f64, 24.0_f64);
    let slot = (width - pad) / slots as f64;
    let bar = (slot * 0.8).max(1.0);
    let scale = (height - pad) / top as f64;
    let local = |t: DateTime<Utc>| t.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string();
    let total_ok: i64 = ok.iter().sum();
    let total_failed: i64 = failed.iter().sum();
    let summary = ctx.t_with(
        "audit-chart-summary",
        &[
            ("logins", Arg::Number(total_ok)),
            ("failed", Arg::Number(total_failed)),
            ("from", local(from).into()),
            ("to", local(to).into()),
            ("zone", zone.name().into()),
        ],
    );
    let label_every = (slots / 8).max(1);
    html! {
        figure.chart {
            svg role="img" aria-labelledby="chart-title chart-desc" viewBox=(format!("0 0 {width} {height}")) width="100%" {
                title id="chart-title" { (ctx.t("audit-chart")) }
                desc id="chart-desc" { (summary) }
                line x1=(pad) y1=(height - pad) x2=(width) y2=(height - pad) class="axis" {}
                text x="0" y="12" class="tick" { (top) }
                @for i in 0..slots {
                    @let x = pad + i as f64 * slot;
                    @let ok_h = ok[i] as f64 * scale;
                    @let failed_h = failed[i] as f64 * scale;
                    @if ok[i] > 0 {
                        rect class="ok" x=(format!("{x:.1}")) y=(format!("{:.1}", height - pad - ok_h)) width=(format!("{bar:.1}")) height=(format!("{ok_h:.1}")) {}
                    }
                    @if failed[i] > 0 {
                        rect class="failed" x=(format!("{x:.1}")) y=(format!("{:.1}", height - pad - ok_h - failed_h)) width=(format!("{bar:.1}")) height=(format!("{failed_h:.1}")) {}
                    }
                    @if i % label_every == 0 {
                        text x=(format!("{x:.1}")) y=(height - 6.0) class="tick" { ((start + Duration::hours(i as i64)).with_timezone(&zone).format("%H:%M")) }
                    }
                }
            }
            figcaption {
                span.key-ok { (ctx.t("audit-chart-logins")) } " · " span.key-failed { (ctx.t("audit-chart-failed")) }
                " — " (summary)
            }
        }
    }
}

/// `GET /console/audit/export?format=csv|jsonl`: every entry the filters match.
pub async fn export(mut ctx: Ctx) -> Response {
    let who = match caller_with(&mut ctx, Needs::Manager).await {
        Ok((who, _)) => who,
        Err(signed_in) => return refuse(ctx, signed_in),
    };
    let csv = match ctx
        .query
        .iter()
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.as_str())
    {
        Some("csv") => true,
        Some("jsonl") => false,
        _ => {
            let text = ctx.t("audit-bad-format");
            return ctx.error_page(StatusCode::BAD_REQUEST, &text);
        }
    };
    let params = filters(&ctx);
    let app = ctx.web().app.clone();
    let entries = match app.audit_export(&who, who.account_id, &params).await {
        Ok(entries) => entries,
        Err(AuditError::Filter(refused)) => {
            return ctx.error_page(StatusCode::BAD_REQUEST, &refused.message);
        }
        Err(AuditError::App(error)) => {
            let text = crate::errors::shown(&ctx, &error, "q").text;
            return ctx.error_page(super::login::status_of(&error), &text);
        }
    };
    use chronid_app::audit::{audit_csv_line, AUDIT_CSV_HEADER};
    let header = csv.then(|| Ok::<_, std::io::Error>(format!("{AUDIT_CSV_HEADER}\r\n")));
    let lines = entries.map(move |e| {
        e.map(|e| {
            if csv {
                audit_csv_line(&e)
            } else {
                let mut line = serde_json::to_string(&e).unwrap_or_default();
                line.push('\n');
                line
            }
        })
        .map_err(std::io::Error::other)
    });
    let body = Body::from_stream(futures::stream::iter(header).chain(lines));
    let mut response = (StatusCode::OK, body).into_response();
    let (ctype, ext) = match csv {
        true => ("text/csv; charset=utf-8", "csv"),
        false => ("application/x-ndjson", "jsonl"),
    };
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"audit.{ext}\"")) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    ctx.finish_response(response)
}
