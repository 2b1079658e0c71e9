//! The console's API keys (AccountManager): create one (its key shown once, on the answer
//! itself, never again), rename, set or clear its expiry (a date and time in the account's time
//! zone), revoke. Each form carries the CSRF token and answers an error beside its field.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use chronid_app::audit::Zone;
use chronid_app::{AppError, Principal};
use chronid_domain::values::{Name, Role, Roles};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use maud::html;
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::account::chrome;
use super::console::{caller_with, form_caller, nav, refuse, Needs};
use crate::context::{Ctx, Fields};
use crate::errors::{shown, Shown};
use crate::layout::{csrf_field, Input};

/// A `datetime-local` value in `zone`, or nothing when empty.
fn local_time(
    zone: Zone,
    raw: &str,
    field: &'static str,
) -> Result<Option<DateTime<Utc>>, AppError> {
    if raw.is_empty() {
        return Ok(None);
    }
    let invalid = || {
        AppError::from(chronid_domain::ValidationError::new(
            field,
            "not a date and time",
        ))
    };
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .ok_or_else(invalid)?;
    let at = zone
        .from_local_datetime(&naive)
        .earliest()
        .ok_or_else(invalid)?;
    Ok(Some(at.with_timezone(&Utc)))
}

/// `GET /console/api-keys`.
pub async fn show(mut ctx: Ctx) -> Response {
    let who = match caller_with(&mut ctx, Needs::Manager).await {
        Ok((who, _)) => who,
        Err(signed_in) => return refuse(ctx, signed_in),
    };
    page(ctx, &who, None, None).await
}

/// The page, with a key just created (shown once) or a form's error (the key it concerns, or
/// none for the create form).
async fn page(
    ctx: Ctx,
    who: &Principal,
    created: Option<(String, String)>,
    error: Option<(Option<Uuid>, Shown)>,
) -> Response {
    let app = ctx.web().app.clone();
    let (keys, zone) = match (
        app.api_keys(who, who.account_id).await,
        app.account_zone(who.account_id).await,
    ) {
        (Ok(keys), Ok(zone)) => (keys, zone),
        (Err(e), _) | (_, Err(e)) => {
            let text = shown(&ctx, &e, "name").text;
            return ctx.error_page(super::login::status_of(&e), &text);
        }
    };
    let now = ctx.now();
    let note = super::notice(&ctx);
    let title = ctx.t("keys-title");
    let create_error = error.as_ref().filter(|(k, _)| k.is_none()).map(|(_, e)| e);
    let key_error = |id: Uuid| {
        error
            .as_ref()
            .filter(|(k, _)| *k == Some(id))
            .map(|(_, e)| e.text.clone())
    };
    let mut name = Input::new("name", ctx.t("keys-name"), "text", "off");
    name.error = create_error.and_then(|e| e.at("name"));
    let local = |t: DateTime<Utc>| t.with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string();
    let shown_time = |t: DateTime<Utc>| {
        t.with_timezone(&zone)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    };
    let zone_hint = ctx.t_with("audit-time-hint", &[("zone", zone.name().into())]);
    let body = html! {
        h1 { (title) }
        (nav(&ctx, who, "keys"))
        @if let Some(note) = note { p.notice role="status" { (note) } }
        @if let Some((key_name, token)) = &created {
            section.card.created aria-labelledby="created-heading" {
                h2 id="created-heading" { (ctx.t_with("keys-created", &[("name", key_name.as_str().into())])) }
                p { (ctx.t("keys-shown-once")) }
                p { code.key { (token) } }
            }
        }
        section.card aria-labelledby="keys-create-heading" {
            h2 id="keys-create-heading" { (ctx.t("keys-create")) }
            @if let Some(text) = create_error.and_then(Shown::general) { p.error role="alert" { (text) } }
            form.create method="post" action="/console/api-keys" novalidate {
                (csrf_field(&ctx))
                (name.render())
                fieldset {
                    legend { (ctx.t("users-col-roles")) }
                    div.choice {
                        input type="checkbox" id="f-role-admin" name="admin" value="on";
                        label for="f-role-admin" { "AccountAdmin" }
                    }
                    div.choice {
                        input type="checkbox" id="f-role-manager" name="manager" value="on";
                        label for="f-role-manager" { "AccountManager" }
                    }
                }
                div.field {
                    label for="f-valid_until" { (ctx.t("keys-valid-until")) }
                    p.hint { (zone_hint) ". " (ctx.t("keys-no-expiry")) }
                    @if let Some(m) = create_error.and_then(|e| e.at("valid_until")) { p.error id="f-valid_until-error" { (m) } }
                    input type="datetime-local" id="f-valid_until" name="valid_until";
                }
                button type="submit" { (ctx.t("keys-create-submit")) }
            }
        }
        section.card aria-labelledby="keys-heading" {
            h2 id="keys-heading" { (ctx.t("keys-title")) }
            @if keys.is_empty() {
                p { (ctx.t("keys-none")) }
            } @else {
                table.keys {
                    thead { tr {
                        th scope="col" { (ctx.t("keys-name")) }
                        th scope="col" { (ctx.t("users-col-roles")) }
                        th scope="col" { (ctx.t("keys-created-at")) }
                        th scope="col" { (ctx.t("keys-valid-until")) }
                        th scope="col" { (ctx.t("users-status")) }
                        th scope="col" { span.skip { (ctx.t("user-actions")) } }
                    } }
                    tbody {
                        @for k in &keys {
                            @let expired = k.valid_until.is_some_and(|u| u <= now);
                            tr id=(format!("key-{}", k.id)) {
                                td { (k.name) }
                                td { (k.roles.join(", ")) }
                                td { (shown_time(k.valid_from)) }
                                td { (k.valid_until.map(shown_time).unwrap_or_else(|| ctx.t("keys-never"))) }
                                td.state {
                                    @if k.revoked { (ctx.t("keys-revoked")) }
                                    @else if expired { (ctx.t("keys-expired")) }
                                    @else { (ctx.t("keys-active")) }
                                }
                                td {
                                    @if let Some(text) = key_error(k.id) { p.error role="alert" { (text) } }
                                    @if !k.revoked {
                                        form.inline method="post" action=(format!("/console/api-keys/{}/rename", k.id)) {
                                            (csrf_field(&ctx))
                                            label.skip for=(format!("rename-{}", k.id)) { (ctx.t("keys-name")) }
                                            input type="text" id=(format!("rename-{}", k.id)) name="name" value=(k.name);
                                            button.secondary type="submit" { (ctx.t("keys-rename")) }
                                        }
                                        " "
                                        form.inline method="post" action=(format!("/console/api-keys/{}/expiry", k.id)) {
                                            (csrf_field(&ctx))
                                            label.skip for=(format!("expiry-{}", k.id)) { (ctx.t("keys-valid-until")) }
                                            input type="datetime-local" id=(format!("expiry-{}", k.id)) name="valid_until"
                                                value=(k.valid_until.map(local).unwrap_or_default());
                                            button.secondary type="submit" { (ctx.t("keys-set-expiry")) }
                                        }
                                        " "
                                        form.inline method="post" action=(format!("/console/api-keys/{}/revoke", k.id)) {
                                            (csrf_field(&ctx))
                                            button.secondary type="submit" { (ctx.t("keys-revoke")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let status = match &error {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    let chrome = chrome(&ctx, who).await;
    let mut response = ctx.page_with(status, &title, chrome, body);
    // The page that shows a key is never kept by a cache.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `POST /console/api-keys`.
pub async fn create(mut ctx: Ctx, fields: Fields) -> Response {
    let (who, facts) = match form_caller(&mut ctx, &fields, Needs::Manager).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let app = ctx.web().app.clone();
    let mut roles = Vec::new();
    if fields.text("admin") == "on" {
        roles.push(Role::AccountAdmin);
    }
    if fields.text("manager") == "on" {
        roles.push(Role::AccountManager);
    }
    let made = async {
        let name = Name::parse("name", fields.text("name"))?;
        let zone = app.account_zone(who.account_id).await?;
        let until = local_time(zone, fields.text("valid_until"), "valid_until")?;
        app.create_api_key(
            &who,
            who.account_id,
            name.clone(),
            Roles::new(roles),
            until,
            &facts,
        )
        .await
        .map(|key| (name, key))
    }
    .await;
    match made {
        Ok((name, key)) => {
            let created = (
                name.as_str().to_string(),
                key.token.expose_secret().to_string(),
            );
            page(ctx, &who, Some(created), None).await
        }
        Err(error) => {
            let shown = shown(&ctx, &error, "name");
            page(ctx, &who, None, Some((None, shown))).await
        }
    }
}

/// `POST /console/api-keys/{id}/{action}`: rename, expiry, revoke.
pub async fn act(
    mut ctx: Ctx,
    Path((key_id, action)): Path<(Uuid, String)>,
    fields: Fields,
) -> Response {
    let (who, facts) = match form_caller(&mut ctx, &fields, Needs::Manager).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let app = ctx.web().app.clone();
    let account = who.account_id;
    let done = match action.as_str() {
        "rename" => match Name::parse("name", fields.text("name")) {
            Ok(name) => {
                app.update_api_key(&who, account, key_id, Some(name), None, &facts)
                    .await
            }
            Err(invalid) => Err(AppError::from(invalid)),
        },
        "expiry" => {
            let until = match app.account_zone(account).await {
                Ok(zone) => local_time(zone, fields.text("valid_until"), "valid_until"),
                Err(e) => Err(e),
            };
            match until {
                Ok(until) => {
                    app.update_api_key(&who, account, key_id, None, Some(until), &facts)
                        .await
                }
                Err(e) => Err(e),
            }
        }
        "revoke" => app.revoke_api_key(&who, account, key_id, &facts).await,
        _ => return super::not_found(ctx).await,
    };
    match done {
        Ok(_) => ctx.redirect(&format!("/console/api-keys?m=saved#key-{key_id}")),
        Err(error) if error.code == "ACC-API-KEY-NOT-FOUND" => super::not_found(ctx).await,
        Err(error) => {
            let shown = shown(&ctx, &error, "name");
            page(ctx, &who, None, Some((Some(key_id), shown))).await
        }
    }
}
