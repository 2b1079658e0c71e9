//! The console's teams (AccountAdmin, AccountManager): the list with each team's members count
//! and a create form (`/console/teams`), and a team's page (`/console/teams/{id}`): rename,
//! delete, its members with add (by email) and remove. A team SSO group sync manages shows its
//! members read-only: its memberships follow the identity provider.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chronid_app::console::UserSearch;
use chronid_app::{AppError, Principal};
use chronid_domain::values::Name;
use maud::html;
use uuid::Uuid;

use super::account::chrome;
use super::console::{caller_with, form_caller, nav, refuse, Needs};
use crate::context::{Ctx, Fields};
use crate::errors::{shown, Shown};
use crate::layout::{csrf_field, Input};

/// Members shown on a team's page.
const MEMBERS: i64 = 500;

fn position(ctx: &Ctx) -> Option<i64> {
    ctx.query
        .iter()
        .find(|(k, _)| k == "at")
        .and_then(|(_, v)| v.parse().ok())
        .filter(|p: &i64| *p > 0)
}

fn failed(ctx: Ctx, error: &AppError) -> Response {
    let text = shown(&ctx, error, "name").text;
    ctx.error_page(super::login::status_of(error), &text)
}

/// `GET /console/teams`.
pub async fn list(mut ctx: Ctx) -> Response {
    let who = match caller_with(&mut ctx, Needs::Admin).await {
        Ok((who, _)) => who,
        Err(signed_in) => return refuse(ctx, signed_in),
    };
    let at = position(&ctx);
    list_page(ctx, &who, at, None).await
}

async fn list_page(
    ctx: Ctx,
    who: &Principal,
    at: Option<i64>,
    error: Option<(String, Shown)>,
) -> Response {
    let app = ctx.web().app.clone();
    let mut teams = match app.console_teams(who, who.account_id, None, at).await {
        Ok(teams) => teams,
        Err(e) => return failed(ctx, &e),
    };
    teams.sort_by_key(|t| t.team.name.to_lowercase());
    let note = super::notice(&ctx);
    let title = ctx.t("teams-title");
    let mut name = Input::new("name", ctx.t("keys-name"), "text", "off");
    let typed = error.as_ref().map(|(v, _)| v.clone()).unwrap_or_default();
    name.value = &typed;
    name.error = error.as_ref().and_then(|(_, e)| e.at("name"));
    let general = error.as_ref().and_then(|(_, e)| e.general());
    let body = html! {
        h1 { (title) }
        (nav(&ctx, who, "teams"))
        @if let Some(note) = note { p.notice role="status" { (note) } }
        section.card aria-labelledby="teams-create-heading" {
            h2 id="teams-create-heading" { (ctx.t("teams-create")) }
            @if let Some(text) = general { p.error role="alert" { (text) } }
            form.create method="post" action="/console/teams" novalidate {
                (csrf_field(&ctx))
                (name.render())
                button type="submit" { (ctx.t("teams-create-submit")) }
            }
        }
        section.card aria-labelledby="teams-heading" {
            h2 id="teams-heading" { (title) }
            @if teams.is_empty() {
                p { (ctx.t("teams-none")) }
            } @else {
                table.teams {
                    thead { tr {
                        th scope="col" { (ctx.t("keys-name")) }
                        th scope="col" { (ctx.t("teams-members")) }
                        th scope="col" { (ctx.t("teams-managed")) }
                    } }
                    tbody {
                        @for t in &teams {
                            tr {
                                td { a href=(format!("/console/teams/{}", t.team.id)) { (t.team.name) } }
                                td { (t.members.len()) }
                                td { @if t.team.sso_managed { (ctx.t("teams-by-sso")) } }
                            }
                        }
                    }
                }
            }
        }
    };
    let status = match error {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    let chrome = chrome(&ctx, who).await;
    ctx.page_with(status, &title, chrome, body)
}

/// `POST /console/teams`.
pub async fn create(mut ctx: Ctx, fields: Fields) -> Response {
    let (who, facts) = match form_caller(&mut ctx, &fields, Needs::Admin).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let typed = fields.text("name").to_string();
    let app = ctx.web().app.clone();
    let done = match Name::parse("name", &typed) {
        Ok(name) => app.create_team(&who, who.account_id, name, &facts).await,
        Err(invalid) => Err(AppError::from(invalid)),
    };
    match done {
        Ok(done) => {
            let at = done
                .position
                .map(|p| format!("&at={p}"))
                .unwrap_or_default();
            ctx.redirect(&format!("/console/teams/{}?m=saved{at}", done.id))
        }
        Err(error) => {
            let mut shown = shown(&ctx, &error, "name");
            if error.code == "ACC-TEAM-NAME-TAKEN" {
                shown.field = Some("name");
            }
            list_page(ctx, &who, None, Some((typed, shown))).await
        }
    }
}

/// `GET /console/teams/{id}`.
pub async fn show(mut ctx: Ctx, Path(team_id): Path<Uuid>) -> Response {
    let who = match caller_with(&mut ctx, Needs::Admin).await {
        Ok((who, _)) => who,
        Err(signed_in) => return refuse(ctx, signed_in),
    };
    let at = position(&ctx);
    team_page(ctx, &who, team_id, at, None).await
}

async fn team_page(
    ctx: Ctx,
    who: &Principal,
    team_id: Uuid,
    at: Option<i64>,
    error: Option<Shown>,
) -> Response {
    let app = ctx.web().app.clone();
    let team = match app
        .console_teams(who, who.account_id, Some(team_id), at)
        .await
    {
        Ok(mut teams) => match teams.pop() {
            Some(team) => team,
            None => return super::not_found(ctx).await,
        },
        Err(e) => return failed(ctx, &e),
    };
    let search = UserSearch {
        team: Some(team_id),
        limit: MEMBERS,
        ..UserSearch::default()
    };
    let members = match app.console_users(who, who.account_id, search).await {
        Ok(members) => members,
        Err(e) => return failed(ctx, &e),
    };
    let note = super::notice(&ctx);
    let title = team.team.name.clone();
    let managed = team.team.sso_managed;
    let id = team.team.id;
    let body = html! {
        p.links { a href="/console/teams" { (ctx.t("teams-back")) } }
        h1 { (title) }
        (nav(&ctx, who, "teams"))
        @if let Some(note) = note { p.notice role="status" { (note) } }
        @if let Some(text) = error.as_ref().map(|e| e.text.clone()) { p.error role="alert" { (text) } }
        @if managed { p.hint { (ctx.t("teams-sso-read-only")) } }
        section.card aria-labelledby="team-members-heading" {
            h2 id="team-members-heading" { (ctx.t("teams-members")) }
            @if members.is_empty() {
                p { (ctx.t("teams-no-members")) }
            } @else {
                table.members {
                    thead { tr {
                        th scope="col" { (ctx.t("users-col-email")) }
                        th scope="col" { span.skip { (ctx.t("user-actions")) } }
                    } }
                    tbody {
                        @for m in &members {
                            tr {
                                td { a href=(format!("/console/users/{}", m.id)) { (m.email) } }
                                td {
                                    @if !managed {
                                        form.inline method="post" action=(format!("/console/teams/{id}/members/{}/remove", m.id)) {
                                            (csrf_field(&ctx))
                                            button.secondary type="submit" { (ctx.t("teams-remove")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if !managed {
                form.inline.add method="post" action=(format!("/console/teams/{id}/members")) {
                    (csrf_field(&ctx))
                    label for="f-member" { (ctx.t("teams-add-label")) }
                    " "
                    input type="email" id="f-member" name="email";
                    " "
                    button type="submit" { (ctx.t("teams-add")) }
                }
            }
        }
        section.card aria-labelledby="team-settings-heading" {
            h2 id="team-settings-heading" { (ctx.t("teams-settings")) }
            form.inline method="post" action=(format!("/console/teams/{id}/rename")) {
                (csrf_field(&ctx))
                label for="f-team-name" { (ctx.t("keys-name")) }
                " "
                input type="text" id="f-team-name" name="name" value=(team.team.name);
                " "
                button.secondary type="submit" { (ctx.t("keys-rename")) }
            }
            " "
            form.inline method="post" action=(format!("/console/teams/{id}/delete")) {
                (csrf_field(&ctx))
                button.secondary type="submit" { (ctx.t("teams-delete")) }
            }
        }
    };
    let status = match error {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    let chrome = chrome(&ctx, who).await;
    ctx.page_with(status, &title, chrome, body)
}

/// `POST /console/teams/{id}/{action}`: rename, delete, members (add by email).
pub async fn act(
    mut ctx: Ctx,
    Path((team_id, action)): Path<(Uuid, String)>,
    fields: Fields,
) -> Response {
    let (who, facts) = match form_caller(&mut ctx, &fields, Needs::Admin).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let app = ctx.web().app.clone();
    let account = who.account_id;
    let done = match action.as_str() {
        "rename" => match Name::parse("name", fields.text("name")) {
            Ok(name) => app.rename_team(&who, account, team_id, name, &facts).await,
            Err(invalid) => Err(AppError::from(invalid)),
        },
        "delete" => {
            return match app.delete_team(&who, account, team_id, &facts).await {
                Ok(done) => {
                    let at = done
                        .position
                        .map(|p| format!("&at={p}"))
                        .unwrap_or_default();
                    ctx.redirect(&format!("/console/teams?m=saved{at}"))
                }
                Err(error) if error.kind == chronid_domain::error::ErrorKind::NotFound => {
                    super::not_found(ctx).await
                }
                Err(error) => {
                    let shown = shown(&ctx, &error, "name");
                    team_page(ctx, &who, team_id, None, Some(shown)).await
                }
            };
        }
        "members" => {
            let email = fields.text("email").to_lowercase();
            let search = UserSearch {
                text: Some(email.clone()),
                limit: 20,
                ..UserSearch::default()
            };
            let found = app
                .console_users(&who, account, search)
                .await
                .map(|users| users.into_iter().find(|u| u.email.to_lowercase() == email));
            match found {
                Ok(Some(user)) => {
                    app.add_team_member(&who, account, team_id, user.id, &facts)
                        .await
                }
                Ok(None) => Err(AppError::from(chronid_domain::ValidationError::new(
                    "email",
                    "no user of this account has this email",
                ))),
                Err(e) => Err(e),
            }
        }
        _ => return super::not_found(ctx).await,
    };
    after(ctx, &who, team_id, done).await
}

/// `POST /console/teams/{id}/members/{user}/remove`.
pub async fn remove(
    mut ctx: Ctx,
    Path((team_id, user_id)): Path<(Uuid, Uuid)>,
    fields: Fields,
) -> Response {
    let (who, facts) = match form_caller(&mut ctx, &fields, Needs::Admin).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let app = ctx.web().app.clone();
    let done = app
        .remove_team_member(&who, who.account_id, team_id, user_id, &facts)
        .await;
    after(ctx, &who, team_id, done).await
}

async fn after(
    ctx: Ctx,
    who: &Principal,
    team_id: Uuid,
    done: Result<chronid_app::Outcome, AppError>,
) -> Response {
    match done {
        Ok(done) => {
            let at = done
                .position
                .map(|p| format!("&at={p}"))
                .unwrap_or_default();
            ctx.redirect(&format!("/console/teams/{team_id}?m=saved{at}"))
        }
        Err(error) if error.kind == chronid_domain::error::ErrorKind::NotFound => {
            super::not_found(ctx).await
        }
        Err(error) => {
            let shown = shown(&ctx, &error, "name");
            team_page(ctx, who, team_id, None, Some(shown)).await
        }
    }
}
