//! The frame of every page: `<html lang>`, the stylesheet, the brand (the account's logo and
//! name on a branded page), the language selector in the upper-right corner, the content, and
//! the terms and privacy links.

use chronid_app::Branding;
use chronid_domain::values::ColorScheme;
use maud::{html, Markup, DOCTYPE};

use crate::context::Ctx;
use crate::i18n::Lang;

/// What frames a page beyond its content.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    /// The account whose page this is (a branded hostname, or the signed-in user's).
    pub branding: Option<Branding>,
    /// The account pages' wider column.
    pub wide: bool,
    /// A user is signed in: the header offers the account page and logging out.
    pub signed_in: bool,
}

/// The URL of the stylesheet; its name carries a digest of its bytes, so it may be cached
/// for good.
pub fn stylesheet_path() -> String {
    format!(
        "/assets/style-{}.css",
        crate::assets::STYLE_VERSION.as_str()
    )
}

pub fn page(ctx: &Ctx, title: &str, chrome: &Chrome, body: Markup) -> Markup {
    let theme = match chrome.branding.as_ref().and_then(|b| b.color_scheme) {
        Some(ColorScheme::Dark) => "theme-dark",
        Some(ColorScheme::Light) => "theme-light",
        Some(ColorScheme::System) | None => "theme-system",
    };
    let site = ctx.t("site-name");
    let brand_name = chrome
        .branding
        .as_ref()
        .map(|b| b.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| site.clone());
    let web = ctx.web();
    html! {
        (DOCTYPE)
        html lang=(ctx.lang.tag()) class=(theme) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · " (brand_name) }
                link rel="stylesheet" href=(stylesheet_path());
            }
            body {
                a.skip href="#content" { (ctx.t("skip-to-content")) }
                header.top {
                    a.brand href="/login" {
                        @if let Some((b, logo)) = chrome.branding.as_ref().and_then(|b| b.logo.as_ref().map(|l| (b, l))) {
                            img src=(format!("/assets/logo/{}?v={}", b.account_id, &logo.sha256[..logo.sha256.len().min(12)]))
                                alt="" width=(logo.width) height=(logo.height);
                        }
                        span { (brand_name) }
                    }
                    nav.languages aria-label=(ctx.t("language-label")) {
                        ul {
                            @for lang in Lang::ALL {
                                li {
                                    @if lang == ctx.lang {
                                        a href=(language_link(ctx, lang)) lang=(lang.tag()) hreflang=(lang.tag()) aria-current="true" { (lang.native_name()) }
                                    } @else {
                                        a href=(language_link(ctx, lang)) lang=(lang.tag()) hreflang=(lang.tag()) { (lang.native_name()) }
                                    }
                                }
                            }
                            @if chrome.signed_in {
                                li {
                                    form.inline method="post" action="/logout" {
                                        input type="hidden" name="csrf" value=(ctx.csrf);
                                        button.secondary type="submit" { (ctx.t("logout")) }
                                    }
                                }
                            }
                        }
                    }
                }
                main id="content" class=[chrome.wide.then_some("wide")] {
                    (body)
                }
                footer {
                    @if let Some(url) = &web.config.terms_url {
                        a href=(url) { (ctx.t("footer-terms")) }
                    }
                    @if let Some(url) = &web.config.privacy_url {
                        a href=(url) { (ctx.t("footer-privacy")) }
                    }
                }
            }
        }
    }
}

/// The current page in `lang`: its path and query, with `lang` set.
fn language_link(ctx: &Ctx, lang: Lang) -> String {
    let mut pairs = ctx.query.clone();
    pairs.retain(|(k, _)| k != "m");
    pairs.push(("lang".into(), lang.tag().into()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{}?{query}", ctx.path)
}

/// A labelled text input with its error beside it (`aria-describedby`, `aria-invalid`).
pub struct Input<'a> {
    pub name: &'a str,
    pub label: String,
    pub kind: &'a str,
    pub value: &'a str,
    pub autocomplete: &'a str,
    pub error: Option<String>,
    pub hint: Option<String>,
    pub autofocus: bool,
    pub extra: Option<&'a str>,
}

impl<'a> Input<'a> {
    pub fn new(name: &'a str, label: String, kind: &'a str, autocomplete: &'a str) -> Self {
        Self {
            name,
            label,
            kind,
            value: "",
            autocomplete,
            error: None,
            hint: None,
            autofocus: false,
            extra: None,
        }
    }

    pub fn render(&self) -> Markup {
        let id = format!("f-{}", self.name);
        let error_id = format!("{id}-error");
        let hint_id = format!("{id}-hint");
        let described = match (&self.error, &self.hint) {
            (Some(_), Some(_)) => Some(format!("{error_id} {hint_id}")),
            (Some(_), None) => Some(error_id.clone()),
            (None, Some(_)) => Some(hint_id.clone()),
            (None, None) => None,
        };
        html! {
            label for=(id) { (self.label) }
            input id=(id) name=(self.name) type=(self.kind) value=(self.value)
                autocomplete=(self.autocomplete) required
                inputmode=[self.extra]
                aria-invalid=[self.error.as_ref().map(|_| "true")]
                aria-describedby=[described]
                autofocus[self.autofocus];
            @if let Some(hint) = &self.hint {
                p.hint id=(hint_id) { (hint) }
            }
            @if let Some(error) = &self.error {
                p.field-error id=(error_id) role="alert" { (error) }
            }
        }
    }
}

/// The hidden CSRF field of every form.
pub fn csrf_field(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.csrf); }
}

/// An authenticator key to add: the QR image of its `otpauth://` URI, and the key to type.
pub fn enrolment(ctx: &Ctx, key: &str, uri: &str) -> Markup {
    let qr = chronid_crypto::qr_png_base64(uri).unwrap_or_default();
    html! {
        img.qr src=(format!("data:image/png;base64,{qr}")) alt=(ctx.t("enrol-qr-alt"));
        p { (ctx.t("enrol-key")) }
        code.key id="totp-key" { (key) }
    }
}
