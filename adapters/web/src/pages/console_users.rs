//! The console's users: the list with its search, filters and paging (`/console/users`), and one
//! user's page (`/console/users/{id}`) with details, status and why, roles, two-factor, trusted
//! devices, linked identities, teams, open sessions and (for AccountManagers) a timeline of the
//! user's events, and the administrator's actions: edit names, phone, language and role, change
//! the email, end a session, disable / enable, lock / unlock, password reset by email, require or
//! turn off two-factor. Each action is a form with
//! the CSRF token; its result shows after the redirect, once the user view holds the write.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chronid_app::console::{TotpState, UserSearch, UserView};
use chronid_app::{AppError, Principal, StatusChange};
use maud::{html, Markup};
use uuid::Uuid;

use super::account::chrome;
use super::console::{caller_with, form_caller, nav, refuse, Needs};
use crate::context::{Ctx, Fields};
use crate::errors::Shown;
use crate::layout::{csrf_field, Input};

/// Users on one page of the list.
const PAGE: i64 = 50;
/// Events on a user's history page (the newest).
const HISTORY: usize = 500;
/// Events on the timeline of a user's page (the newest).
const TIMELINE: usize = 200;

const STATUSES: [(&str, &str); 4] = [
    ("invited", "user-status-invited"),
    ("active", "user-status-active"),
    ("disabled", "user-status-disabled"),
    ("locked", "user-status-locked"),
];

fn param<'a>(ctx: &'a Ctx, name: &str) -> &'a str {
    ctx.query
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
        .trim()
}

fn full_name(u: &UserView) -> String {
    [u.first_name.clone(), u.last_name.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

fn status_text(ctx: &Ctx, u: &UserView) -> String {
    let id = STATUSES
        .iter()
        .find(|(name, _)| *name == u.status.as_str())
        .map_or("user-status-active", |(_, id)| id);
    let status = ctx.t(id);
    match u.status_reason.as_deref() {
        Some("admin") => format!("{status} ({})", ctx.t("user-reason-admin")),
        Some("inactivity") => format!("{status} ({})", ctx.t("user-reason-inactivity")),
        Some("policy") => format!("{status} ({})", ctx.t("user-reason-policy")),
        _ => status,
    }
}

/// `GET /console/users`.
pub async fn list(mut ctx: Ctx) -> Response {
    let who = match caller_with(&mut ctx, Needs::Admin).await {
        Ok((who, _)) => who,
        Err(signed_in) => return refuse(ctx, signed_in),
    };
    let text = param(&ctx, "q").to_string();
    let status = param(&ctx, "status").to_string();
    let role = param(&ctx, "role").to_string();
    let team = param(&ctx, "team").to_string();
    let team_id = Uuid::parse_str(&team).ok();
    let bad_filter = (!status.is_empty() && !STATUSES.iter().any(|(s, _)| *s == status))
        || (!role.is_empty() && role != "AccountAdmin" && role != "AccountManager")
        || (!team.is_empty() && team_id.is_none());
    let after = match param(&ctx, "after") {
        "" => None,
        raw => match Uuid::parse_str(raw) {
            Ok(id) => Some(id),
            Err(_) => return super::not_found(ctx).await,
        },
    };
    let search = UserSearch {
        text: (!text.is_empty()).then(|| text.clone()),
        status: (!status.is_empty() && !bad_filter).then(|| status.clone()),
        role: (!role.is_empty() && !bad_filter).then(|| role.clone()),
        team: team_id.filter(|_| !bad_filter),
        after,
        limit: PAGE,
    };
    let app = ctx.web().app.clone();
    let (users, teams) = match (
        app.console_users(&who, who.account_id, search).await,
        app.team_names(&who, who.account_id).await,
    ) {
        (Ok(users), Ok(teams)) => (users, teams),
        (Err(error), _) | (_, Err(error)) => return failed(ctx, &error),
    };
    let teams: Vec<(String, String)> = teams
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    let next = (users.len() as i64 == PAGE)
        .then(|| users.last().map(|u| u.id))
        .flatten()
        .map(|last| {
            let pairs = [
                ("q", text.as_str()),
                ("status", status.as_str()),
                ("role", role.as_str()),
                ("team", team.as_str()),
                ("after", &last.to_string()),
            ];
            format!(
                "/console/users?{}",
                serde_urlencoded::to_string(pairs).unwrap_or_default()
            )
        });
    let title = ctx.t("users-title");
    let body = html! {
        h1 { (title) }
        (nav(&ctx, &who, "users"))
        section.card aria-labelledby="users-filters-heading" {
            h2 id="users-filters-heading" { (ctx.t("audit-filters")) }
            @if bad_filter { p.error role="alert" { (ctx.t("users-bad-filter")) } }
            form.filters method="get" action="/console/users" {
                div.field {
                    label for="f-q" { (ctx.t("users-search")) }
                    input type="search" id="f-q" name="q" value=(text);
                }
                div.field {
                    label for="f-status" { (ctx.t("users-status")) }
                    select id="f-status" name="status" {
                        option value="" selected[status.is_empty()] { (ctx.t("users-any")) }
                        @for (name, label) in STATUSES {
                            option value=(name) selected[status == name] { (ctx.t(label)) }
                        }
                    }
                }
                div.field {
                    label for="f-role" { (ctx.t("users-role")) }
                    select id="f-role" name="role" {
                        option value="" selected[role.is_empty()] { (ctx.t("users-any")) }
                        option value="AccountAdmin" selected[role == "AccountAdmin"] { "AccountAdmin" }
                        option value="AccountManager" selected[role == "AccountManager"] { "AccountManager" }
                    }
                }
                div.field {
                    label for="f-team" { (ctx.t("users-team")) }
                    select id="f-team" name="team" {
                        option value="" selected[team.is_empty()] { (ctx.t("users-any")) }
                        @for (id, name) in &teams {
                            option value=(id) selected[team == *id] { (name) }
                        }
                    }
                }
                button type="submit" { (ctx.t("audit-apply")) }
                " "
                a href="/console/users" { (ctx.t("audit-clear")) }
            }
        }
        (create_form(&ctx, &CreateValues::default(), None))
        section.card aria-labelledby="users-heading" {
            h2 id="users-heading" { (ctx.t("users-heading")) }
            @if users.is_empty() {
                p { (ctx.t("users-none")) }
            } @else {
                table.users {
                    thead { tr {
                        th scope="col" { (ctx.t("users-col-name")) }
                        th scope="col" { (ctx.t("users-col-email")) }
                        th scope="col" { (ctx.t("audit-col-username")) }
                        th scope="col" { (ctx.t("users-status")) }
                        th scope="col" { (ctx.t("users-col-roles")) }
                        th scope="col" { (ctx.t("users-col-last-login")) }
                    } }
                    tbody {
                        @for u in &users {
                            tr {
                                td { a href=(format!("/console/users/{}", u.id)) {
                                    @let name = full_name(u);
                                    @if name.is_empty() { (u.email) } @else { (name) }
                                } }
                                td { (u.email) }
                                td { (u.username.clone().unwrap_or_default()) }
                                td { (status_text(&ctx, u)) }
                                td { (u.roles.join(", ")) }
                                td { (u.last_login_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
            @if let Some(next) = &next {
                p.links { a href=(next) rel="next" { (ctx.t("users-next")) } }
            }
        }
    };
    let status_code = match bad_filter {
        true => StatusCode::BAD_REQUEST,
        false => StatusCode::OK,
    };
    let chrome = chrome(&ctx, &who).await;
    ctx.page_with(status_code, &title, chrome, body)
}

/// What the create form was given, shown again with an error.
#[derive(Default)]
struct CreateValues {
    email: String,
    first_name: String,
    last_name: String,
    role: String,
}

fn create_form(ctx: &Ctx, values: &CreateValues, error: Option<&Shown>) -> Markup {
    let at = |field: &str| error.and_then(|e| e.at(field));
    let mut email = Input::new("email", ctx.t("users-col-email"), "email", "off");
    email.value = &values.email;
    email.error = at("email");
    let mut first = Input::new("first_name", ctx.t("users-first-name"), "text", "off");
    first.value = &values.first_name;
    first.error = at("first_name");
    let mut last = Input::new("last_name", ctx.t("users-last-name"), "text", "off");
    last.value = &values.last_name;
    last.error = at("last_name");
    let general = error.and_then(Shown::general);
    html! {
        section.card aria-labelledby="users-create-heading" {
            h2 id="users-create-heading" { (ctx.t("users-create")) }
            @if let Some(text) = general { p.error role="alert" { (text) } }
            form.create method="post" action="/console/users" novalidate {
                (csrf_field(ctx))
                (email.render())
                (first.render())
                (last.render())
                div.field {
                    label for="f-new-role" { (ctx.t("users-role")) }
                    select id="f-new-role" name="role" {
                        option value="" selected[values.role.is_empty()] { (ctx.t("users-member")) }
                        option value="AccountAdmin" selected[values.role == "AccountAdmin"] { "AccountAdmin" }
                        option value="AccountManager" selected[values.role == "AccountManager"] { "AccountManager" }
                    }
                }
                button type="submit" { (ctx.t("users-create-submit")) }
            }
        }
    }
}

/// `POST /console/users`: creates a user (no password: they set one through a reset link).
pub async fn create(mut ctx: Ctx, fields: Fields) -> Response {
    use chronid_domain::values::{Email, PersonName, Role, Roles};
    let (who, facts) = match form_caller(&mut ctx, &fields, Needs::Admin).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let values = CreateValues {
        email: fields.text("email").to_string(),
        first_name: fields.text("first_name").to_string(),
        last_name: fields.text("last_name").to_string(),
        role: fields.text("role").to_string(),
    };
    let name = |field: &'static str, raw: &str| {
        (!raw.is_empty())
            .then(|| PersonName::parse(field, raw))
            .transpose()
    };
    let roles = match values.role.as_str() {
        "AccountAdmin" => Some(Roles::new([Role::AccountAdmin])),
        "AccountManager" => Some(Roles::new([Role::AccountManager])),
        "" => Some(Roles::new([])),
        _ => None,
    };
    let parsed = (|| {
        let email = Email::parse(&values.email)?;
        let first_name = name("first_name", &values.first_name)?;
        let last_name = name("last_name", &values.last_name)?;
        Ok::<_, chronid_domain::ValidationError>((email, first_name, last_name))
    })();
    let result = match (parsed, roles) {
        (Ok((email, first_name, last_name)), Some(roles)) => {
            let user = chronid_app::NewUser {
                email,
                username: None,
                first_name,
                last_name,
                phone: None,
                language: None,
                roles,
                password: None,
            };
            let app = ctx.web().app.clone();
            app.register_user(&who, who.account_id, user, &facts).await
        }
        (Err(invalid), _) => Err(AppError::from(invalid)),
        (_, None) => Err(AppError::from(chronid_domain::ValidationError::new(
            "role",
            "not a role",
        ))),
    };
    match result {
        Ok(done) => {
            let at = done
                .position
                .map(|p| format!("&at={p}"))
                .unwrap_or_default();
            ctx.redirect(&format!("/console/users/{}?m=user-created{at}", done.id))
        }
        Err(error) => {
            let shown = crate::errors::shown(&ctx, &error, "email");
            let status = super::login::status_of(&error);
            let title = ctx.t("users-create");
            let body = html! {
                p.links { a href="/console/users" { (ctx.t("users-back")) } }
                h1 { (title) }
                (nav(&ctx, &who, "users"))
                (create_form(&ctx, &values, Some(&shown)))
            };
            let chrome = chrome(&ctx, &who).await;
            ctx.page_with(status, &title, chrome, body)
        }
    }
}

fn failed(ctx: Ctx, error: &AppError) -> Response {
    let text = crate::errors::shown(&ctx, error, "q").text;
    ctx.error_page(super::login::status_of(error), &text)
}

/// `GET /console/users/{id}`.
pub async fn show(mut ctx: Ctx, Path(user_id): Path<Uuid>) -> Response {
    let who = match caller_with(&mut ctx, Needs::Admin).await {
        Ok((who, _)) => who,
        Err(signed_in) => return refuse(ctx, signed_in),
    };
    let position = param(&ctx, "at").parse::<i64>().ok().filter(|p| *p > 0);
    user_page(ctx, &who, user_id, position, None).await
}

async fn user_page(
    ctx: Ctx,
    who: &Principal,
    user_id: Uuid,
    position: Option<i64>,
    error: Option<(StatusCode, Shown)>,
) -> Response {
    let (status, error) = match error {
        Some((status, shown)) => (status, Some(shown)),
        None => (StatusCode::OK, None),
    };
    let app = ctx.web().app.clone();
    let user = match app
        .console_user(who, who.account_id, user_id, position)
        .await
    {
        Ok(Some(user)) => user,
        Ok(None) => return super::not_found(ctx).await,
        Err(error) => return failed(ctx, &error),
    };
    let manager = who.roles.can_manage_account();
    let (sessions, teams, zone) = match (
        app.user_sessions(who, who.account_id, user_id).await,
        app.team_names(who, who.account_id).await,
        app.account_zone(who.account_id).await,
    ) {
        (Ok(s), Ok(t), Ok(z)) => (s, t, z),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return failed(ctx, &e),
    };
    // The timeline shows addresses, as the audit log does: AccountManagers only.
    let history = match manager {
        true => match app
            .user_history(who, who.account_id, user_id, None, TIMELINE)
            .await
        {
            Ok(history) => history,
            Err(e) => return failed(ctx, &e),
        },
        false => None,
    };
    let team_names: Vec<(Uuid, String)> = teams
        .into_iter()
        .filter(|(id, _)| user.teams.contains(id))
        .collect();
    let note = super::notice(&ctx);
    let name = full_name(&user);
    let title = match name.is_empty() {
        true => user.email.clone(),
        false => name.clone(),
    };
    let yes_no = |b: bool| ctx.t(if b { "users-yes" } else { "users-no" });
    let action = |path: &str, label: String, secondary: bool| {
        html! {
            form.inline method="post" action=(format!("/console/users/{}/{path}", user.id)) {
                (csrf_field(&ctx))
                @if secondary {
                    button.secondary type="submit" { (label) }
                } @else {
                    button type="submit" { (label) }
                }
            }
        }
    };
    let disabled = user.status.as_str() == "disabled";
    let locked = user.status.as_str() == "locked";
    let body = html! {
        p.links {
            a href="/console/users" { (ctx.t("users-back")) }
            @if who.roles.can_manage_account() {
                " · " a href=(format!("/console/users/{}/history", user.id)) { (ctx.t("user-history")) }
            }
        }
        h1 { (title) }
        (nav(&ctx, who, "users"))
        @if let Some(note) = note { p.notice role="status" { (note) } }
        @if let Some(text) = error.as_ref().and_then(Shown::general) { p.error role="alert" { (text) } }
        section.card aria-labelledby="user-details-heading" {
            h2 id="user-details-heading" { (ctx.t("user-details")) }
            dl.details {
                dt { (ctx.t("users-col-email")) } dd { (user.email) }
                dt { (ctx.t("audit-col-username")) } dd { (user.username.clone().unwrap_or_default()) }
                dt { (ctx.t("users-col-name")) } dd { (name) }
                dt { (ctx.t("user-phone")) } dd { (user.phone.clone().unwrap_or_default()) }
                dt { (ctx.t("users-status")) } dd.status { (status_text(&ctx, &user)) }
                dt { (ctx.t("users-col-roles")) } dd { (user.roles.join(", ")) }
                dt { (ctx.t("user-two-factor-required")) } dd.two-factor { (yes_no(user.two_factor.required)) }
                dt { (ctx.t("users-col-last-login")) } dd {
                    (user.last_login_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default())
                    @if let Some(ip) = &user.last_login_ip { " · " (ip) }
                }
                dt { (ctx.t("user-failed-attempts")) } dd { (user.failed_attempts) }
                dt { (ctx.t("teams-title")) } dd.teams {
                    @for (i, (id, team)) in team_names.iter().enumerate() {
                        @if i > 0 { ", " }
                        a href=(format!("/console/teams/{id}")) { (team) }
                    }
                }
            }
        }
        @if let Some(history) = &history {
            section.card aria-labelledby="timeline-heading" {
                h2 id="timeline-heading" { (ctx.t("history-timeline")) }
                (timeline(&ctx, &history.events, zone))
                p { a href=(format!("/console/users/{}/history", user.id)) { (ctx.t("user-history")) } }
            }
        }
        (edit_forms(&ctx, &user, error.as_ref()))
        section.card aria-labelledby="user-actions-heading" {
            h2 id="user-actions-heading" { (ctx.t("user-actions")) }
            p.actions {
                @if disabled {
                    (action("enable", ctx.t("user-enable"), false))
                } @else {
                    (action("disable", ctx.t("user-disable"), true))
                }
                " "
                @if locked {
                    (action("unlock", ctx.t("user-unlock"), false))
                } @else if !disabled {
                    (action("lock", ctx.t("user-lock"), true))
                }
                " "
                (action("password-reset", ctx.t("user-password-reset"), true))
                " "
                @if !user.two_factor.required {
                    (action("two-factor-on", ctx.t("user-two-factor-on"), true))
                    " "
                }
                // Turning it off also removes the user's authenticator (they set one up again).
                @if user.two_factor.required || user.two_factor.totp != TotpState::None {
                    (action("two-factor-off", ctx.t("user-two-factor-off"), true))
                }
            }
        }
        section.card aria-labelledby="user-devices-heading" {
            h2 id="user-devices-heading" { (ctx.t("devices-heading")) }
            @if user.trusted_devices.is_empty() {
                p { (ctx.t("devices-none")) }
            } @else {
                ul {
                    @for d in &user.trusted_devices {
                        li {
                            (d.label.clone().or_else(|| d.user_agent.clone()).unwrap_or_default())
                            " · " (d.trusted_at.format("%Y-%m-%d %H:%M UTC"))
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="user-sessions-heading" {
            h2 id="user-sessions-heading" { (ctx.t("sessions-heading")) }
            @if sessions.is_empty() {
                p { (ctx.t("user-sessions-none")) }
            } @else {
                table.sessions {
                    thead { tr {
                        th scope="col" { (ctx.t("user-session-opened")) }
                        th scope="col" { (ctx.t("user-session-seen")) }
                        th scope="col" { (ctx.t("user-session-method")) }
                        th scope="col" { span.skip { (ctx.t("user-actions")) } }
                    } }
                    tbody {
                        @for session in &sessions {
                            tr {
                                td { (session.opened_at.map(|t| t.with_timezone(&zone).format("%Y-%m-%d %H:%M %Z").to_string()).unwrap_or_default()) }
                                td { (session.last_seen_at.map(|t| t.with_timezone(&zone).format("%Y-%m-%d %H:%M %Z").to_string()).unwrap_or_default()) }
                                td { (session.method.map(|m| format!("{m:?}")).unwrap_or_default()) }
                                td {
                                    form.inline method="post" action=(format!("/console/users/{}/sessions/{}/end", user.id, session.id)) {
                                        (csrf_field(&ctx))
                                        button.secondary type="submit" { (ctx.t("user-session-end")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="user-identities-heading" {
            h2 id="user-identities-heading" { (ctx.t("identities-heading")) }
            @if user.external_identities.is_empty() {
                p { (ctx.t("user-identities-none")) }
            } @else {
                ul {
                    @for i in &user.external_identities {
                        li { (i.provider) ": " code { (i.subject) } }
                    }
                }
            }
        }
    };
    let chrome = chrome(&ctx, who).await;
    ctx.page_with(status, &title, chrome, body)
}

/// The forms that change the user: names, phone, language and role; the email.
fn edit_forms(ctx: &Ctx, user: &UserView, error: Option<&Shown>) -> Markup {
    let at = |field: &str| error.and_then(|e| e.at(field));
    let field = |name: &'static str, label: String, kind: &str, value: &str| {
        let message = at(name);
        let id = format!("f-{name}");
        html! {
            div.field {
                label for=(id) { (label) }
                @if let Some(m) = &message { p.error id=(format!("{id}-error")) { (m) } }
                input type=(kind) id=(id) name=(name) value=(value) autocomplete="off"
                    aria-invalid=[message.as_ref().map(|_| "true")]
                    aria-describedby=[message.as_ref().map(|_| format!("{id}-error"))];
            }
        }
    };
    // Each role its own box: a user may hold both, and saving the names keeps them.
    let has = |role: &str| user.roles.iter().any(|r| r == role);
    html! {
        section.card aria-labelledby="user-edit-heading" {
            h2 id="user-edit-heading" { (ctx.t("user-edit")) }
            form.settings method="post" action=(format!("/console/users/{}/edit", user.id)) novalidate {
                (csrf_field(ctx))
                (field("first_name", ctx.t("users-first-name"), "text", user.first_name.as_deref().unwrap_or("")))
                (field("last_name", ctx.t("users-last-name"), "text", user.last_name.as_deref().unwrap_or("")))
                (field("phone", ctx.t("user-phone"), "tel", user.phone.as_deref().unwrap_or("")))
                div.field {
                    label for="f-language" { (ctx.t("custom-language")) }
                    select id="f-language" name="language" {
                        @for (tag, name) in super::console_custom::LANGUAGES {
                            option value=(tag) lang=(tag) selected[user.language == tag] { (name) }
                        }
                    }
                }
                fieldset {
                    legend { (ctx.t("users-col-roles")) }
                    div.choice {
                        input type="checkbox" id="f-edit-admin" name="admin" value="on" checked[has("AccountAdmin")];
                        label for="f-edit-admin" { "AccountAdmin" }
                    }
                    div.choice {
                        input type="checkbox" id="f-edit-manager" name="manager" value="on" checked[has("AccountManager")];
                        label for="f-edit-manager" { "AccountManager" }
                    }
                }
                button type="submit" { (ctx.t("security-save")) }
            }
        }
        section.card aria-labelledby="user-email-heading" {
            h2 id="user-email-heading" { (ctx.t("user-change-email")) }
            p.hint { (ctx.t("user-change-email-hint")) }
            form.settings method="post" action=(format!("/console/users/{}/email", user.id)) novalidate {
                (csrf_field(ctx))
                (field("email", ctx.t("users-col-email"), "email", &user.email))
                button type="submit" { (ctx.t("user-change-email")) }
            }
        }
    }
}

/// The edit form as a patch: every field given (an empty one clears it).
fn profile_patch(fields: &Fields) -> Result<chronid_app::ProfilePatch, AppError> {
    use chronid_domain::values::{Language, PersonName, Phone, Role, Roles};
    let optional = |name: &'static str| fields.text(name);
    let first_name = match optional("first_name") {
        "" => None,
        v => Some(PersonName::parse("first_name", v)?),
    };
    let last_name = match optional("last_name") {
        "" => None,
        v => Some(PersonName::parse("last_name", v)?),
    };
    let phone = match optional("phone") {
        "" => None,
        v => Some(Phone::parse(v)?),
    };
    let language = match super::console_custom::LANGUAGES
        .iter()
        .any(|(tag, _)| *tag == fields.text("language"))
    {
        true => Language::parse(fields.text("language"))?,
        false => {
            return Err(chronid_domain::ValidationError::new(
                "language",
                "is not a language of the pages",
            )
            .into())
        }
    };
    let roles = Roles::new(
        [
            (fields.text("admin") == "on").then_some(Role::AccountAdmin),
            (fields.text("manager") == "on").then_some(Role::AccountManager),
        ]
        .into_iter()
        .flatten(),
    );
    Ok(chronid_app::ProfilePatch {
        first_name: Some(first_name),
        last_name: Some(last_name),
        phone: Some(phone),
        language: Some(language),
        roles: Some(roles),
    })
}

/// `POST /console/users/{id}/{action}`.
pub async fn act(
    mut ctx: Ctx,
    Path((user_id, action)): Path<(Uuid, String)>,
    fields: Fields,
) -> Response {
    let (who, facts) = match form_caller(&mut ctx, &fields, Needs::Admin).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let app = ctx.web().app.clone();
    let account = who.account_id;
    let done = match action.as_str() {
        "disable" | "enable" | "lock" | "unlock" => {
            let change = match action.as_str() {
                "disable" => StatusChange::Disable,
                "enable" => StatusChange::Enable,
                "lock" => StatusChange::Lock,
                _ => StatusChange::Unlock,
            };
            app.change_user_status(&who, account, user_id, change, &facts)
                .await
                .map(|o| o.position)
        }
        "password-reset" => app
            .admin_password_reset(&who, account, user_id, &facts)
            .await
            .map(|o| o.position),
        "edit" => match profile_patch(&fields) {
            Ok(patch) => app
                .update_user(&who, account, user_id, patch, &facts)
                .await
                .map(|o| o.position),
            Err(e) => Err(e),
        },
        "email" => match chronid_domain::values::Email::parse(fields.text("email")) {
            Ok(email) => app
                .change_email(&who, account, user_id, email, &facts)
                .await
                .map(|o| o.position),
            Err(e) => Err(e.into()),
        },
        "two-factor-on" | "two-factor-off" => app
            .require_two_factor(&who, account, user_id, action == "two-factor-on", &facts)
            .await
            .map(|o| o.position),
        _ => return super::not_found(ctx).await,
    };
    match done {
        Ok(position) => {
            let at = position.map(|p| format!("&at={p}")).unwrap_or_default();
            let message = match action.as_str() {
                "password-reset" => "reset-link-sent",
                _ => "saved",
            };
            ctx.redirect(&format!("/console/users/{user_id}?m={message}{at}"))
        }
        Err(error) if error.kind == chronid_domain::error::ErrorKind::NotFound => {
            super::not_found(ctx).await
        }
        Err(error) if error.code == "USR-NO-CHANGE" => {
            ctx.redirect(&format!("/console/users/{user_id}?m=saved"))
        }
        Err(error) => {
            let shown = crate::errors::shown(&ctx, &error, "user");
            let status = super::login::status_of(&error);
            user_page(ctx, &who, user_id, None, Some((status, shown))).await
        }
    }
}

/// `POST /console/users/{id}/sessions/{session}/end`.
pub async fn end_session(
    mut ctx: Ctx,
    Path((user_id, session_id)): Path<(Uuid, Uuid)>,
    fields: Fields,
) -> Response {
    let (who, facts) = match form_caller(&mut ctx, &fields, Needs::Admin).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let app = ctx.web().app.clone();
    match app
        .end_user_session(&who, who.account_id, user_id, session_id, &facts)
        .await
    {
        Ok(done) => {
            let at = done
                .position
                .map(|p| format!("&at={p}"))
                .unwrap_or_default();
            ctx.redirect(&format!(
                "/console/users/{user_id}?m=user-session-ended{at}"
            ))
        }
        Err(error) if error.kind == chronid_domain::error::ErrorKind::NotFound => {
            super::not_found(ctx).await
        }
        Err(error) => {
            let shown = crate::errors::shown(&ctx, &error, "user");
            let status = super::login::status_of(&error);
            user_page(ctx, &who, user_id, None, Some((status, shown))).await
        }
    }
}

/// The console's users link for the nav.
pub(crate) fn link(ctx: &Ctx, current: bool) -> Markup {
    html! {
        li { a href="/console/users" aria-current=[current.then_some("page")] { (ctx.t("users-title")) } }
    }
}

/// `GET /console/users/{id}/history`: the user's events on a timeline and in a table, newest
/// first, and with `as_of` (a date and time in the account's time zone) the user as they were
/// then. AccountManager only.
pub async fn history(mut ctx: Ctx, Path(user_id): Path<Uuid>) -> Response {
    use chrono::{NaiveDateTime, TimeZone, Utc};
    let who = match caller_with(&mut ctx, Needs::Manager).await {
        Ok((who, _)) => who,
        Err(signed_in) => return refuse(ctx, signed_in),
    };
    let app = ctx.web().app.clone();
    let zone = match app.account_zone(who.account_id).await {
        Ok(zone) => zone,
        Err(e) => return failed(ctx, &e),
    };
    let typed = param(&ctx, "as_of").to_string();
    let as_of = match typed.as_str() {
        "" => None,
        raw => {
            let local = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
                .and_then(|n| zone.from_local_datetime(&n).earliest());
            match local {
                Some(t) => Some(t.with_timezone(&Utc)),
                None => {
                    let text = ctx.t("field-invalid");
                    return ctx.error_page(StatusCode::BAD_REQUEST, &text);
                }
            }
        }
    };
    let history = match app
        .user_history(&who, who.account_id, user_id, as_of, HISTORY)
        .await
    {
        Ok(Some(history)) => history,
        Ok(None) => return super::not_found(ctx).await,
        Err(e) => return failed(ctx, &e),
    };
    let title = ctx.t("history-title");
    let shown_time = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&zone)
            .format("%Y-%m-%d %H:%M:%S %Z")
            .to_string()
    };
    let zone_hint = ctx.t_with("audit-time-hint", &[("zone", zone.name().into())]);
    let body = html! {
        p.links { a href=(format!("/console/users/{user_id}")) { (ctx.t("history-back")) } }
        h1 { (title) }
        (nav(&ctx, &who, "users"))
        section.card aria-labelledby="as-of-heading" {
            h2 id="as-of-heading" { (ctx.t("history-as-of")) }
            form.filters method="get" action=(format!("/console/users/{user_id}/history")) {
                div.field {
                    label for="f-as_of" { (ctx.t("history-as-of-field")) }
                    p.hint { (zone_hint) }
                    input type="datetime-local" step="1" id="f-as_of" name="as_of" value=(typed);
                }
                button type="submit" { (ctx.t("history-show")) }
            }
            @if let Some(then) = &history.as_of {
                @match then {
                    Some(u) => dl.details.as-of {
                        dt { (ctx.t("users-col-email")) } dd { (u.email) }
                        dt { (ctx.t("users-status")) } dd.status { (status_text(&ctx, u)) }
                        dt { (ctx.t("users-col-roles")) } dd { (u.roles.join(", ")) }
                        dt { (ctx.t("user-two-factor-required")) } dd { (ctx.t(if u.two_factor.required { "users-yes" } else { "users-no" })) }
                        dt { (ctx.t("users-col-last-login")) } dd { (u.last_login_at.map(shown_time).unwrap_or_default()) }
                    },
                    None => p.as-of { (ctx.t("history-not-yet")) },
                }
            }
        }
        section.card aria-labelledby="timeline-heading" {
            h2 id="timeline-heading" { (ctx.t("history-timeline")) }
            (timeline(&ctx, &history.events, zone))
        }
        section.card aria-labelledby="events-heading" {
            h2 id="events-heading" { (ctx.t("history-events")) }
            table.history {
                thead { tr {
                    th scope="col" { (ctx.t("audit-col-time")) }
                    th scope="col" { (ctx.t("history-col-event")) }
                    th scope="col" { (ctx.t("audit-col-ip")) }
                } }
                tbody {
                    @for e in history.events.iter().rev() {
                        tr {
                            td { (shown_time(e.occurred_at)) }
                            td { (e.event_type) }
                            td { (e.ip.clone().unwrap_or_default()) }
                        }
                    }
                }
            }
        }
    };
    let chrome = chrome(&ctx, &who).await;
    ctx.page_with(StatusCode::OK, &title, chrome, body)
}

/// The events as marks on a line from the first to the last: failures in the error colour,
/// logins in the accent colour, the rest muted; each mark titled with its event and time.
fn timeline(
    ctx: &Ctx,
    events: &[chronid_domain::public::PublicEnvelope],
    zone: chronid_app::audit::Zone,
) -> Markup {
    let (Some(first), Some(last)) = (events.first(), events.last()) else {
        return html! { p { (ctx.t("history-none")) } };
    };
    let (start, end) = (first.occurred_at, last.occurred_at);
    let span = (end - start).num_milliseconds().max(1) as f64;
    let (width, height, pad) = (720.0_f64, 60.0_f64, 8.0_f64);
    let x = |t: chrono::DateTime<chrono::Utc>| {
        pad + (t - start).num_milliseconds() as f64 / span * (width - 2.0 * pad)
    };
    let local = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()
    };
    let summary = ctx.t_with(
        "history-summary",
        &[
            ("count", (events.len() as u64).into()),
            ("from", local(start).into()),
            ("to", local(end).into()),
        ],
    );
    html! {
        figure.chart.timeline {
            svg role="img" aria-labelledby="timeline-title timeline-desc" viewBox=(format!("0 0 {width} {height}")) width="100%" {
                title id="timeline-title" { (ctx.t("history-timeline")) }
                desc id="timeline-desc" { (summary) }
                line x1=(pad) y1=(height / 2.0) x2=(width - pad) y2=(height / 2.0) class="axis" {}
                @for e in events {
                    @let class = if e.event_type.ends_with("Failed") || e.event_type == "TotpCodeRejected" {
                        "failed"
                    } else if e.event_type == "LoginSucceeded" {
                        "ok"
                    } else {
                        "other"
                    };
                    circle class=(class) cx=(format!("{:.1}", x(e.occurred_at))) cy=(height / 2.0) r="5" {
                        title { (e.event_type) " · " (local(e.occurred_at)) }
                    }
                }
            }
            figcaption { (summary) }
        }
    }
}
