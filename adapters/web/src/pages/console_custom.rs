//! The console's customization (AccountManager): the interface language, the theme and the time
//! zone of the account; the host name its users log in at, with the DNS record to create for
//! it; and the logo, uploaded as a file (a PNG or JPEG of at most 150 x 150 pixels), shown in a
//! preview of the login page. Each form answers an error beside its field and its result after
//! the redirect.

use axum::http::StatusCode;
use axum::response::Response;
use chronid_app::{AppError, Principal};
use chronid_domain::values::{ColorScheme, Hostname, Language, TimeZone};
use maud::html;

use super::account::chrome;
use super::console::{caller_with, form_caller, nav, refuse, Needs};
use crate::context::{Ctx, Fields};
use crate::errors::{shown, Shown};
use crate::layout::csrf_field;

/// The interface languages the pages and mails are written in.
pub(crate) const LANGUAGES: [(&str, &str); 4] = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("hr", "Hrvatski"),
];

/// Which form an error belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Look,
    Logo,
}

/// `GET /console/customization`.
pub async fn show(mut ctx: Ctx) -> Response {
    let who = match caller_with(&mut ctx, Needs::Manager).await {
        Ok((who, _)) => who,
        Err(signed_in) => return refuse(ctx, signed_in),
    };
    page(ctx, &who, None, None).await
}

async fn page(
    ctx: Ctx,
    who: &Principal,
    error: Option<(Form, Shown)>,
    typed: Option<&Fields>,
) -> Response {
    let app = ctx.web().app.clone();
    let (custom, branding) = match (
        app.customization(who, who.account_id).await,
        app.branding(who.account_id).await,
    ) {
        (Ok(custom), Ok(branding)) => (custom, branding),
        (Err(e), _) | (_, Err(e)) => {
            let text = shown(&ctx, &e, "q").text;
            return ctx.error_page(super::login::status_of(&e), &text);
        }
    };
    let note = super::notice(&ctx);
    let title = ctx.t("custom-title");
    let error_in = |form: Form| error.as_ref().filter(|(f, _)| *f == form).map(|(_, e)| e);
    let look_error = error_in(Form::Look);
    let logo_error = error_in(Form::Logo);
    // What a refused form was given, else what is stored.
    let value = |name: &str, stored: String| match (typed, look_error) {
        (Some(fields), Some(_)) => fields.text(name).to_string(),
        _ => stored,
    };
    let language = value(
        "language",
        custom
            .language
            .as_ref()
            .map(|l| l.as_str().to_string())
            .unwrap_or_else(|| "en".into()),
    );
    let scheme = value(
        "color_scheme",
        match custom.color_scheme {
            Some(ColorScheme::Light) => "light",
            Some(ColorScheme::Dark) => "dark",
            Some(ColorScheme::System) | None => "system",
        }
        .into(),
    );
    let zone = value("time_zone", custom.time_zone().as_str().to_string());
    let hostname = value(
        "hostname",
        custom
            .hostname
            .as_ref()
            .map(|h| h.as_str().to_string())
            .unwrap_or_default(),
    );
    let public_host = app.public_host();
    let error_at = |name: &str| look_error.and_then(|e| e.at(name));
    let described = |name: &str| match error_at(name) {
        Some(_) => format!("f-{name}-hint f-{name}-error"),
        None => format!("f-{name}-hint"),
    };
    let invalid = |name: &str| error_at(name).map(|_| "true");
    let logo_message = logo_error.map(|e| e.text.clone());
    let body = html! {
        h1 { (title) }
        (nav(&ctx, who, "custom"))
        @if let Some(note) = note { p.notice role="status" { (note) } }
        section.card aria-labelledby="look-heading" {
            h2 id="look-heading" { (ctx.t("custom-look")) }
            @if let Some(text) = look_error.and_then(Shown::general) { p.error role="alert" { (text) } }
            form.settings method="post" action="/console/customization" novalidate {
                (csrf_field(&ctx))
                div.field {
                    label for="f-language" { (ctx.t("custom-language")) }
                    p.hint id="f-language-hint" { (ctx.t("custom-language-hint")) }
                    @if let Some(m) = error_at("language") { p.error id="f-language-error" { (m) } }
                    select id="f-language" name="language" aria-describedby=(described("language")) {
                        @for (tag, name) in LANGUAGES {
                            option value=(tag) lang=(tag) selected[language == tag] { (name) }
                        }
                    }
                }
                fieldset {
                    legend { (ctx.t("custom-theme")) }
                    @for (choice, label) in [("light", "custom-theme-light"), ("dark", "custom-theme-dark"), ("system", "custom-theme-system")] {
                        div.choice {
                            input type="radio" id=(format!("f-color_scheme-{choice}")) name="color_scheme" value=(choice) checked[scheme == choice];
                            label for=(format!("f-color_scheme-{choice}")) { (ctx.t(label)) }
                        }
                    }
                }
                div.field {
                    label for="f-time_zone" { (ctx.t("custom-time-zone")) }
                    p.hint id="f-time_zone-hint" { (ctx.t("custom-time-zone-hint")) }
                    @if let Some(m) = error_at("time_zone") { p.error id="f-time_zone-error" { (m) } }
                    select id="f-time_zone" name="time_zone" aria-describedby=(described("time_zone")) {
                        @for name in TimeZone::names() {
                            option value=(name) selected[zone == name] { (name) }
                        }
                    }
                }
                div.field {
                    label for="f-hostname" { (ctx.t("custom-hostname")) }
                    p.hint id="f-hostname-hint" { (ctx.t("custom-hostname-hint")) }
                    @if let Some(m) = error_at("hostname") { p.error id="f-hostname-error" { (m) } }
                    input type="text" id="f-hostname" name="hostname" value=(hostname) autocomplete="off"
                        spellcheck="false" aria-invalid=[invalid("hostname")] aria-describedby=(described("hostname"));
                }
                button type="submit" { (ctx.t("security-save")) }
            }
            @if let Some(h) = &custom.hostname {
                div.dns {
                    h3 { (ctx.t("custom-dns")) }
                    p { (ctx.t("custom-dns-hint")) }
                    table.dns-record {
                        thead { tr {
                            th scope="col" { (ctx.t("custom-dns-type")) }
                            th scope="col" { (ctx.t("custom-dns-name")) }
                            th scope="col" { (ctx.t("custom-dns-value")) }
                        } }
                        tbody { tr {
                            td { "CNAME" }
                            td { code { (h.as_str()) } }
                            td { code { (public_host) } }
                        } }
                    }
                }
            }
        }
        section.card aria-labelledby="logo-heading" {
            h2 id="logo-heading" { (ctx.t("custom-logo")) }
            form.settings method="post" action="/console/customization/logo" enctype="multipart/form-data" novalidate {
                (csrf_field(&ctx))
                div.field {
                    label for="f-logo" { (ctx.t("custom-logo-file")) }
                    p.hint id="f-logo-hint" { (ctx.t("custom-logo-hint")) }
                    @if let Some(m) = &logo_message { p.error id="f-logo-error" role="alert" { (m) } }
                    input type="file" id="f-logo" name="logo" accept="image/png,image/jpeg"
                        aria-invalid=[logo_message.as_ref().map(|_| "true")]
                        aria-describedby=(match &logo_message { Some(_) => "f-logo-hint f-logo-error", None => "f-logo-hint" });
                }
                button type="submit" { (ctx.t("custom-logo-upload")) }
            }
            @if custom.logo.is_some() {
                form.inline method="post" action="/console/customization/logo/remove" {
                    (csrf_field(&ctx))
                    button.secondary type="submit" { (ctx.t("custom-logo-remove")) }
                }
            }
        }
        section.card aria-labelledby="preview-heading" {
            h2 id="preview-heading" { (ctx.t("custom-preview")) }
            div.preview class=(format!("preview-{scheme}")) {
                @match (&branding, &custom.logo) {
                    (Some(b), Some(logo)) => {
                        img.logo-preview src=(format!("/assets/logo/{}?v={}", b.account_id, &logo.sha256[..logo.sha256.len().min(12)]))
                            alt=(ctx.t("custom-logo-alt")) width=(logo.width) height=(logo.height);
                        p.hint { (ctx.t_with("custom-logo-size", &[("width", u64::from(logo.width).into()), ("height", u64::from(logo.height).into())])) }
                    }
                    _ => { p { (ctx.t("custom-logo-none")) } }
                }
                p.preview-title { (ctx.t_with("login-heading-account", &[("account", branding.as_ref().map(|b| b.name.clone()).unwrap_or_default().into())])) }
            }
            @if let Some(h) = &custom.hostname {
                p { (ctx.t("custom-preview-at")) " " code { (format!("https://{}/login", h.as_str())) } }
            }
        }
    };
    let status = match &error {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    let chrome = chrome(&ctx, who).await;
    ctx.page_with(status, &title, chrome, body)
}

/// `POST /console/customization`: language, theme, time zone and host name, in one command.
pub async fn save(mut ctx: Ctx, fields: Fields) -> Response {
    let (who, facts) = match form_caller(&mut ctx, &fields, Needs::Manager).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let parsed = (|| {
        let language = match LANGUAGES
            .iter()
            .any(|(tag, _)| *tag == fields.text("language"))
        {
            true => Language::parse(fields.text("language"))?,
            false => {
                return Err(chronid_domain::ValidationError::new(
                    "language",
                    "is not a language of the pages",
                ))
            }
        };
        let scheme = match fields.text("color_scheme") {
            "light" => ColorScheme::Light,
            "dark" => ColorScheme::Dark,
            _ => ColorScheme::System,
        };
        let zone = TimeZone::parse(fields.text("time_zone"))?;
        let hostname = match fields.text("hostname") {
            "" => None,
            raw => Some(Hostname::parse(raw)?),
        };
        Ok((language, scheme, zone, hostname))
    })()
    .map_err(AppError::from);
    let app = ctx.web().app.clone();
    let done = match parsed {
        Ok((language, scheme, zone, hostname)) => {
            app.customize(
                &who,
                who.account_id,
                Some(language),
                Some(scheme),
                Some(hostname),
                None,
                Some(zone),
                &facts,
            )
            .await
        }
        Err(error) => Err(error),
    };
    match done {
        Ok(_) => ctx.redirect("/console/customization?m=saved"),
        Err(error) if error.code == "ACC-NO-CHANGE" => {
            ctx.redirect("/console/customization?m=saved")
        }
        Err(error) => {
            let shown = shown(&ctx, &error, "hostname");
            page(ctx, &who, Some((Form::Look, shown)), Some(&fields)).await
        }
    }
}

/// `POST /console/customization/logo` (multipart): the file `logo`.
pub async fn upload_logo(mut ctx: Ctx, fields: Fields) -> Response {
    let (who, facts) = match form_caller(&mut ctx, &fields, Needs::Manager).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let upload = fields.file("logo");
    let app = ctx.web().app.clone();
    let done = match upload.is_empty() {
        true => Err(AppError::from(chronid_domain::ValidationError::new(
            "logo",
            "choose an image file",
        ))),
        false => app.set_logo(&who, who.account_id, upload, &facts).await,
    };
    match done {
        Ok(_) => ctx.redirect("/console/customization?m=saved#preview-heading"),
        Err(error) if error.code == "ACC-NO-CHANGE" => {
            ctx.redirect("/console/customization?m=saved#preview-heading")
        }
        Err(error) => {
            let shown = shown(&ctx, &error, "logo");
            page(ctx, &who, Some((Form::Logo, shown)), None).await
        }
    }
}

/// `POST /console/customization/logo/remove`.
pub async fn remove_logo(mut ctx: Ctx, fields: Fields) -> Response {
    let (who, facts) = match form_caller(&mut ctx, &fields, Needs::Manager).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let app = ctx.web().app.clone();
    match app.delete_logo(&who, who.account_id, &facts).await {
        Ok(_) => ctx.redirect("/console/customization?m=saved"),
        Err(error) if error.code == "ACC-NO-CHANGE" => {
            ctx.redirect("/console/customization?m=saved")
        }
        Err(error) => {
            let shown = shown(&ctx, &error, "logo");
            page(ctx, &who, Some((Form::Logo, shown)), None).await
        }
    }
}
