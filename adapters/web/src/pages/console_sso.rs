//! The console's single sign-on (AccountManager): the SAML configurations serving the account,
//! and the configuration form with the seed's field names and help texts. The IdP's side (IdP
//! Identifier, IdP Signature Certificate, IdP Single Sign-On URL, Logout URL) is typed, pasted,
//! uploaded as a certificate file or imported from the IdP's metadata file; the SP's side (SP
//! Entity ID from its last segment, the SP Assertion Consumer URL drawn at random when the
//! configuration is created) is shown to copy, with the SP metadata to download. Each trusted
//! certificate shows its subject, key and expiry.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chronid_app::{AppError, Principal, SsoView};
use chronid_domain::sso_config::NameIdSource;
use chronid_saml::import::{certificates_in, SsoFields};
use chrono::{DateTime, Utc};
use maud::{html, Markup};
use uuid::Uuid;

use super::account::chrome;
use super::console::{caller_with, form_caller, nav, refuse, Needs};
use crate::context::{Ctx, Fields};
use crate::errors::{shown, Shown};
use crate::layout::csrf_field;

/// The largest form taken: certificates, metadata and the fields, well under this.
pub const MAX_FORM_BYTES: usize = 256 * 1024;

fn failed(ctx: Ctx, error: &AppError) -> Response {
    let text = shown(&ctx, error, "idp_entity_id").text;
    ctx.error_page(super::login::status_of(error), &text)
}

/// `GET /console/sso`: the configurations serving the account.
pub async fn list(mut ctx: Ctx) -> Response {
    let who = match caller_with(&mut ctx, Needs::Manager).await {
        Ok((who, _)) => who,
        Err(signed_in) => return refuse(ctx, signed_in),
    };
    let app = ctx.web().app.clone();
    let configs = match app.sso_configs(&who, who.account_id).await {
        Ok(configs) => configs,
        Err(e) => return failed(ctx, &e),
    };
    let note = super::notice(&ctx);
    let title = ctx.t("sso-console-title");
    let now = ctx.now();
    let body = html! {
        h1 { (title) }
        (nav(&ctx, &who, "sso"))
        @if let Some(note) = note { p.notice role="status" { (note) } }
        section.card {
            p { (ctx.t("sso-console-intro")) }
            p { a.button href="/console/sso/new" { (ctx.t("sso-configure")) } }
        }
        @if configs.is_empty() {
            section.card { p { (ctx.t("sso-none")) } }
        }
        @for config in &configs {
            section.card aria-labelledby=(format!("sso-{}", config.id)) {
                h2 id=(format!("sso-{}", config.id)) { (config.settings.idp_entity_id.as_str()) }
                (sp_urls(&ctx, config))
                (certificates(&ctx, config, now))
                @if config.owner == who.account_id {
                    p { a href=(format!("/console/sso/{}", config.id)) { (ctx.t("sso-edit")) } }
                } @else {
                    p.hint { (ctx.t("sso-shared")) }
                }
            }
        }
    };
    let chrome = chrome(&ctx, &who).await;
    ctx.page_with(StatusCode::OK, &title, chrome, body)
}

/// The SP's URLs to copy, and the metadata to download.
fn sp_urls(ctx: &Ctx, config: &SsoView) -> Markup {
    let copy = |id: String, label: String, hint: String, value: &str| {
        html! {
            div.field {
                label for=(id) { (label) }
                p.hint id=(format!("{id}-hint")) { (hint) }
                input.copy type="text" id=(id) value=(value) readonly aria-describedby=(format!("{id}-hint"));
            }
        }
    };
    html! {
        (copy(format!("sp-entity-{}", config.id), ctx.t("sso-sp-entity-id"), ctx.t("sso-sp-entity-id-help"), &config.sp_entity_id))
        (copy(format!("sp-acs-{}", config.id), ctx.t("sso-acs-url"), ctx.t("sso-acs-url-help"), &config.acs_url))
        p { a.metadata href=(config.metadata_url) download="sp-metadata.xml" { (ctx.t("sso-metadata-download")) } }
    }
}

/// The trusted certificates: subject, key, validity.
fn certificates(ctx: &Ctx, config: &SsoView, now: DateTime<Utc>) -> Markup {
    let day = |t: DateTime<Utc>| t.format("%Y-%m-%d").to_string();
    html! {
        h3 { (ctx.t("sso-certificates")) }
        ul.certificates {
            @for certificate in config.settings.idp_certificates.iter() {
                li {
                    @match chronid_saml::inspect(&certificate.der(), now) {
                        Ok(c) => {
                            strong { (c.subject) } " · " (c.key) " · "
                            span.expiry { (ctx.t_with("sso-certificate-expires", &[("date", day(c.not_after).into())])) }
                            @if c.not_after - now < chrono::Duration::days(30) {
                                " " strong.warning { (ctx.t("sso-certificate-soon")) }
                            }
                        }
                        Err(problem) => {
                            strong.warning { (ctx.t_with("sso-certificate-untrusted", &[("why", problem.to_string().into())])) }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /console/sso/new`.
pub async fn new(mut ctx: Ctx) -> Response {
    let who = match caller_with(&mut ctx, Needs::Manager).await {
        Ok((who, _)) => who,
        Err(signed_in) => return refuse(ctx, signed_in),
    };
    form_page(ctx, &who, None, None, None).await
}

/// `GET /console/sso/{id}`.
pub async fn show(mut ctx: Ctx, Path(id): Path<Uuid>) -> Response {
    let who = match caller_with(&mut ctx, Needs::Manager).await {
        Ok((who, _)) => who,
        Err(signed_in) => return refuse(ctx, signed_in),
    };
    let app = ctx.web().app.clone();
    match app.sso_config(&who, who.account_id, id).await {
        Ok(config) if config.owner == who.account_id => {
            form_page(ctx, &who, Some(&config), None, None).await
        }
        Ok(_) => super::console::forbidden(ctx),
        Err(e) if e.kind == chronid_domain::error::ErrorKind::NotFound => {
            super::not_found(ctx).await
        }
        Err(e) => failed(ctx, &e),
    }
}

/// The configuration form: new (`config` none) or a configuration's; a refused form shows what
/// it was given (`typed`) with its error.
async fn form_page(
    ctx: Ctx,
    who: &Principal,
    config: Option<&SsoView>,
    error: Option<(StatusCode, Shown)>,
    typed: Option<&Fields>,
) -> Response {
    let (status, error) = match error {
        Some((status, shown)) => (status, Some(shown)),
        None => (StatusCode::OK, None),
    };
    let note = super::notice(&ctx);
    let title = match config {
        Some(_) => ctx.t("sso-edit-title"),
        None => ctx.t("sso-new-title"),
    };
    let stored = |name: &str| -> String {
        let Some(c) = config else {
            return match name {
                "name_id_source" => "email".into(),
                _ => String::new(),
            };
        };
        let s = &c.settings;
        match name {
            "idp_entity_id" => s.idp_entity_id.as_str().into(),
            "idp_certificates" => s
                .idp_certificates
                .iter()
                .map(|c| c.pem().trim().to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            "idp_sso_url" => s.idp_sso_url.as_str().into(),
            "logout_url" => s
                .idp_logout_url
                .as_ref()
                .map(|u| u.as_str().to_string())
                .unwrap_or_default(),
            "sp_slug" => c
                .sp_slug
                .as_ref()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            "auto_create_users" => on(s.auto_create_users),
            "auto_create_groups" => on(s.auto_create_groups),
            "allow_idp_initiated" => on(s.allow_idp_initiated),
            "allow_sha1" => on(s.allow_sha1),
            "name_id_source" => match s.name_id_source {
                NameIdSource::Email => "email".into(),
                NameIdSource::Upn => "upn".into(),
            },
            _ => String::new(),
        }
    };
    let value = |name: &str| match typed {
        // The certificates a refused form was given, uploaded ones too, so they need not be
        // chosen again.
        Some(fields) if name == "idp_certificates" => {
            let mut pems = certificates_in(fields.text(name).as_bytes());
            pems.extend(certificates_in(fields.file("idp_certificate_file")));
            pems.iter()
                .map(|p| p.trim().to_string())
                .collect::<Vec<_>>()
                .join("\n")
        }
        Some(fields) => fields.get(name).trim().to_string(),
        None => stored(name),
    };
    let error_at = |name: &str| error.as_ref().and_then(|e| e.at(name));
    let public = ctx
        .web()
        .config
        .public_url
        .trim_end_matches('/')
        .to_string();
    let field = |name: &'static str, label: &str, help: &str, kind: &str| {
        let message = error_at(name);
        let id = format!("f-{name}");
        let described = match &message {
            Some(_) => format!("{id}-hint {id}-error"),
            None => format!("{id}-hint"),
        };
        html! {
            div.field {
                label for=(id) { (ctx.t(label)) }
                p.hint id=(format!("{id}-hint")) { (ctx.t(help)) }
                @if let Some(m) = &message { p.error id=(format!("{id}-error")) { (m) } }
                input type=(kind) id=(id) name=(name) value=(value(name)) autocomplete="off" spellcheck="false"
                    aria-invalid=[message.as_ref().map(|_| "true")] aria-describedby=(described);
            }
        }
    };
    let check = |name: &'static str, label: &str, help: &str| {
        let id = format!("f-{name}");
        html! {
            div.choice {
                input type="checkbox" id=(id) name=(name) value="on" checked[value(name) == "on"]
                    aria-describedby=(format!("{id}-hint"));
                label for=(id) { (ctx.t(label)) }
            }
            p.hint id=(format!("{id}-hint")) { (ctx.t(help)) }
        }
    };
    let certificate_error = error_at("idp_certificates");
    let metadata_error = error_at("idp_metadata_xml");
    let slug_error = error_at("sp_slug");
    let action = match config {
        Some(c) => format!("/console/sso/{}", c.id),
        None => "/console/sso".to_string(),
    };
    let source = value("name_id_source");
    let body = html! {
        h1 { (title) }
        (nav(&ctx, who, "sso"))
        @if let Some(note) = note { p.notice role="status" { (note) } }
        @if let Some(c) = config {
            section.card aria-labelledby="sp-heading" {
                h2 id="sp-heading" { (ctx.t("sso-sp-heading")) }
                (sp_urls(&ctx, c))
                (certificates(&ctx, c, ctx.now()))
            }
        }
        section.card aria-labelledby="form-heading" {
            h2 id="form-heading" { (ctx.t("sso-idp-heading")) }
            @if let Some(text) = error.as_ref().and_then(Shown::general) { p.error role="alert" { (text) } }
            form.settings method="post" action=(action) enctype="multipart/form-data" novalidate {
                (csrf_field(&ctx))
                div.field {
                    label for="f-idp_metadata" { (ctx.t("sso-idp-metadata")) }
                    p.hint id="f-idp_metadata-hint" { (ctx.t("sso-idp-metadata-help")) }
                    @if let Some(m) = &metadata_error { p.error id="f-idp_metadata-error" { (m) } }
                    input type="file" id="f-idp_metadata" name="idp_metadata" accept=".xml,application/samlmetadata+xml,text/xml"
                        aria-invalid=[metadata_error.as_ref().map(|_| "true")]
                        aria-describedby=(match &metadata_error { Some(_) => "f-idp_metadata-hint f-idp_metadata-error", None => "f-idp_metadata-hint" });
                }
                (field("idp_entity_id", "sso-idp-entity-id", "sso-idp-entity-id-help", "text"))
                div.field {
                    label for="f-idp_certificates" { (ctx.t("sso-idp-certificate")) }
                    p.hint id="f-idp_certificates-hint" { (ctx.t("sso-idp-certificate-help")) }
                    @if let Some(m) = &certificate_error { p.error id="f-idp_certificates-error" { (m) } }
                    textarea id="f-idp_certificates" name="idp_certificates" rows="6" spellcheck="false"
                        aria-invalid=[certificate_error.as_ref().map(|_| "true")]
                        aria-describedby=(match &certificate_error { Some(_) => "f-idp_certificates-hint f-idp_certificates-error", None => "f-idp_certificates-hint" }) {
                        (value("idp_certificates"))
                    }
                    label for="f-idp_certificate_file" { (ctx.t("sso-idp-certificate-file")) }
                    input type="file" id="f-idp_certificate_file" name="idp_certificate_file" accept=".pem,.crt,.cer,.der";
                }
                (field("idp_sso_url", "sso-idp-sso-url", "sso-idp-sso-url-help", "url"))
                (field("logout_url", "sso-logout-url", "sso-logout-url-help", "url"))
                h3 { (ctx.t("sso-sp-heading")) }
                div.field {
                    label for="f-sp_slug" { (ctx.t("sso-sp-entity-id")) }
                    p.hint id="f-sp_slug-hint" { (ctx.t("sso-sp-entity-id-help")) " " (ctx.t("sso-slug-help")) }
                    @if let Some(m) = &slug_error { p.error id="f-sp_slug-error" { (m) } }
                    div.affixed {
                        span.prefix aria-hidden="true" { (public) "/login/saml/" }
                        input type="text" id="f-sp_slug" name="sp_slug" value=(value("sp_slug")) autocomplete="off" spellcheck="false"
                            aria-invalid=[slug_error.as_ref().map(|_| "true")]
                            aria-describedby=(match &slug_error { Some(_) => "f-sp_slug-hint f-sp_slug-error", None => "f-sp_slug-hint" });
                        span.suffix aria-hidden="true" { "/" }
                    }
                }
                @if config.is_none() {
                    p.hint { (ctx.t("sso-acs-url")) ": " (ctx.t("sso-acs-url-help")) }
                }
                (check("auto_create_users", "sso-auto-users", "sso-auto-users-help"))
                (check("auto_create_groups", "sso-auto-groups", "sso-auto-groups-help"))
                fieldset {
                    legend { (ctx.t("sso-name-id")) }
                    p.hint { (ctx.t("sso-name-id-help")) }
                    @for (choice, label) in [("email", "Email"), ("upn", "UPN (User Principal Name)")] {
                        div.choice {
                            input type="radio" id=(format!("f-name_id_source-{choice}")) name="name_id_source" value=(choice) checked[source == choice];
                            label for=(format!("f-name_id_source-{choice}")) { (label) }
                        }
                    }
                }
                details {
                    summary { (ctx.t("sso-advanced")) }
                    (check("allow_idp_initiated", "sso-idp-initiated", "sso-idp-initiated-help"))
                    (check("allow_sha1", "sso-sha1", "sso-sha1-help"))
                }
                button type="submit" { (ctx.t("security-save")) }
            }
        }
        @if let Some(c) = config {
            section.card aria-labelledby="delete-heading" {
                h2 id="delete-heading" { (ctx.t("sso-delete")) }
                p { (ctx.t("sso-delete-help")) }
                form.inline method="post" action=(format!("/console/sso/{}/delete", c.id)) {
                    (csrf_field(&ctx))
                    button.secondary type="submit" { (ctx.t("sso-delete")) }
                }
            }
        }
    };
    let chrome = chrome(&ctx, who).await;
    ctx.page_with(status, &title, chrome, body)
}

fn on(value: bool) -> String {
    match value {
        true => "on".into(),
        false => String::new(),
    }
}

/// The form as the settings' text: an empty field is "not given" (the metadata file may give
/// it); the certificates are the pasted PEM blocks and those of the uploaded file.
fn sso_fields(fields: &Fields) -> Result<SsoFields, AppError> {
    let given = |name: &str| Some(fields.text(name).to_string()).filter(|v| !v.is_empty());
    let mut pems = certificates_in(fields.text("idp_certificates").as_bytes());
    pems.extend(certificates_in(fields.file("idp_certificate_file")));
    let metadata = match fields.file("idp_metadata") {
        [] => None,
        bytes => Some(String::from_utf8(bytes.to_vec()).map_err(|_| {
            chronid_domain::ValidationError::new("idp_metadata_xml", "is not UTF-8 text")
        })?),
    };
    Ok(SsoFields {
        idp_entity_id: given("idp_entity_id"),
        idp_certificates: Some(pems).filter(|p| !p.is_empty()),
        idp_sso_url: given("idp_sso_url"),
        idp_metadata_xml: metadata,
        logout_url: given("logout_url"),
        sp_slug: fields.text("sp_slug").to_string(),
        auto_create_users: fields.text("auto_create_users") == "on",
        auto_create_groups: fields.text("auto_create_groups") == "on",
        name_id_source: fields.text("name_id_source").to_string(),
        allow_idp_initiated: fields.text("allow_idp_initiated") == "on",
        allow_sha1: fields.text("allow_sha1") == "on",
    })
}

/// `POST /console/sso`: a new configuration.
pub async fn create(mut ctx: Ctx, fields: Fields) -> Response {
    let (who, facts) = match form_caller(&mut ctx, &fields, Needs::Manager).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let app = ctx.web().app.clone();
    let made = match sso_fields(&fields).and_then(|f| f.input().map_err(AppError::from)) {
        Ok(input) => app.create_sso(&who, who.account_id, input, &facts).await,
        Err(error) => Err(error),
    };
    match made {
        Ok(view) => ctx.redirect(&format!("/console/sso/{}?m=saved", view.id)),
        Err(error) => {
            let shown = (
                super::login::status_of(&error),
                shown(&ctx, &error, "idp_certificates"),
            );
            form_page(ctx, &who, None, Some(shown), Some(&fields)).await
        }
    }
}

/// `POST /console/sso/{id}`: the form saved whole.
pub async fn update(mut ctx: Ctx, Path(id): Path<Uuid>, fields: Fields) -> Response {
    let (who, facts) = match form_caller(&mut ctx, &fields, Needs::Manager).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let app = ctx.web().app.clone();
    let config = match app.sso_config(&who, who.account_id, id).await {
        Ok(config) if config.owner == who.account_id => config,
        Ok(_) => return super::console::forbidden(ctx),
        Err(e) if e.kind == chronid_domain::error::ErrorKind::NotFound => {
            return super::not_found(ctx).await
        }
        Err(e) => return failed(ctx, &e),
    };
    let saved = match sso_fields(&fields).and_then(|f| f.input().map_err(AppError::from)) {
        Ok(input) => {
            app.update_sso(&who, who.account_id, id, input, &facts)
                .await
        }
        Err(error) => Err(error),
    };
    match saved {
        Ok(_) => ctx.redirect(&format!("/console/sso/{id}?m=saved")),
        Err(error) if error.code == "SSO-NO-CHANGE" => {
            ctx.redirect(&format!("/console/sso/{id}?m=saved"))
        }
        Err(error) => {
            let shown = (
                super::login::status_of(&error),
                shown(&ctx, &error, "idp_certificates"),
            );
            form_page(ctx, &who, Some(&config), Some(shown), Some(&fields)).await
        }
    }
}

/// `POST /console/sso/{id}/delete`.
pub async fn delete(mut ctx: Ctx, Path(id): Path<Uuid>, fields: Fields) -> Response {
    let (who, facts) = match form_caller(&mut ctx, &fields, Needs::Manager).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let app = ctx.web().app.clone();
    match app.delete_sso(&who, who.account_id, id, &facts).await {
        Ok(_) => ctx.redirect("/console/sso?m=saved"),
        Err(e) if e.kind == chronid_domain::error::ErrorKind::NotFound => {
            super::not_found(ctx).await
        }
        Err(e) => failed(ctx, &e),
    }
}
