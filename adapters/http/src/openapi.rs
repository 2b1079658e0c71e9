//! The OpenAPI document served at `/openapi.json`, generated from the handlers' annotations,
//! then completed with the error answers every operation of its kind can give (`ErrorAnswers`),
//! so the document says what the API does: a body can be malformed or too large, a bearer token
//! missing or not allowed, a path's object absent, a command lose to a concurrent one.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::Response;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, RefOr};
use utoipa::{Modify, OpenApi};

use super::body;
use super::problem::Problem;
use super::routes::{
    accounts, api_keys, credentials, devices, health, login, sso, teams, users, views,
};

/// Where every problem answer points.
const PROBLEM_JSON: &str = "application/problem+json";

struct ErrorAnswers;

fn problem(description: &str) -> RefOr<Response> {
    let mut response = Response::new(description);
    response.content.insert(
        PROBLEM_JSON.to_string(),
        Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
            "Problem",
        )))),
    );
    RefOr::T(response)
}

/// The routes with a per-address rate limit (the edge's own list).
fn rate_limited(path: &str, method: &str) -> bool {
    method == "post" && super::edge::limited_route(path).is_some()
}

fn complete(path: &str, method: &str, op: &mut Operation) {
    // Error answers are problem+json, whatever an annotation said.
    for (status, response) in op.responses.responses.iter_mut() {
        if status.as_str() < "400" {
            continue;
        }
        if let RefOr::T(r) = response {
            if let Some(content) = r.content.shift_remove("application/json") {
                r.content.insert(PROBLEM_JSON.to_string(), content);
            }
        }
    }
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let has_body = op.request_body.is_some();
    let params = op.parameters.as_deref().unwrap_or_default();
    let in_path = params.iter().any(|p| p.parameter_in == ParameterIn::Path);
    let in_query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
    let writes = method != "get";
    let mut add = |status: &str, description: &str| {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| problem(description));
    };
    if has_body || in_path || in_query {
        add(
            "400",
            "VALIDATION (with `field`), REQ-MALFORMED-JSON, REQ-INVALID-BODY, REQ-INVALID-PATH, \
             REQ-UNKNOWN-PARAMETER and the operation's own codes",
        );
    }
    if has_body {
        let too_large = format!(
            "REQ-BODY-TOO-LARGE: the body is over {} KiB",
            super::MAX_BODY_BYTES / 1024
        );
        add("413", &too_large);
        add(
            "415",
            "REQ-UNSUPPORTED-MEDIA-TYPE: the body must be sent as application/json",
        );
    }
    if secured {
        add(
            "401",
            "AUTH-MISSING, AUTH-INVALID-CREDENTIALS (an unknown or revoked API key), \
             AUTH-INVALID-SESSION",
        );
        add(
            "403",
            "AUTH-FORBIDDEN: the key or session may not do this (role or account)",
        );
    }
    if in_path {
        add(
            "404",
            "the object the path names does not exist (or is in another account)",
        );
    }
    if writes && (secured || in_path) {
        add(
            "409",
            "CONFLICT-RETRY (other writers kept winning) and the operation's own conflicts",
        );
    }
    if rate_limited(path, method) {
        add(
            "429",
            "RATE-LIMITED: too many requests from this address; retry after Retry-After",
        );
    }
}

// What the value parsers of `chronid_domain::values` accept, as JSON Schema, for the request
// bodies: the document says which requests are valid, so a client (or a fuzzer) can build them.
// Patterns may be narrower than the parsers (an email's local part is limited to common
// characters), never wider.

/// A string that is not empty once trimmed and holds no control character (names, labels).
const TEXT: &str = "^[^\\u0000-\\u0020\\u007F-\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000][^\\u0000-\\u001F\\u007F-\\u009F]*$";
const EMAIL: &str = "^[A-Za-z0-9_%+-]{1,32}(\\.[A-Za-z0-9_%+-]{1,16})?@[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?){1,3}$";
const USERNAME: &str = "^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$";
const PHONE: &str = "^\\+[1-9][0-9]{7,14}$";
const LANGUAGE: &str = "^[A-Za-z]{2,3}(-([A-Za-z]{2}|[0-9]{3}))?$";
const HOSTNAME: &str = "^[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?){1,3}$";
const CODE: &str = "^[0-9]{6}$";

fn constraints() -> Vec<(&'static str, &'static str, serde_json::Value)> {
    use chronid_domain::values::{Password, TimeZone};
    use serde_json::json;
    let text = |max: usize| json!({"minLength": 1, "maxLength": max, "pattern": TEXT});
    let new_password = json!({"minLength": Password::MIN_LEN, "maxLength": Password::MAX_LEN});
    let presented = json!({"minLength": 1, "maxLength": Password::MAX_LEN});
    let email = json!({"minLength": 3, "maxLength": 254, "pattern": EMAIL});
    let language = json!({"pattern": LANGUAGE});
    let roles = json!({"items": {"enum": ["AccountAdmin", "AccountManager", "member"]}});
    let code = json!({"pattern": CODE});
    vec![
        (
            "LoginBody",
            "login",
            json!({"minLength": 1, "maxLength": 320}),
        ),
        ("LoginBody", "password", presented.clone()),
        ("LoginBody", "language", language.clone()),
        (
            "ForgotBody",
            "login",
            json!({"maxLength": 320, "pattern": TEXT}),
        ),
        (
            "ResetBody",
            "token",
            json!({"minLength": 1, "maxLength": 512}),
        ),
        ("ResetBody", "new_password", new_password.clone()),
        ("ChangePasswordBody", "current_password", presented),
        ("ChangePasswordBody", "new_password", new_password.clone()),
        ("CodeBody", "code", code.clone()),
        ("ChallengeAnswer", "code", code),
        (
            "ChannelBody",
            "channel",
            json!({"enum": ["sms", "voice", "email", "totp"]}),
        ),
        (
            "SecurityPolicyBody",
            "max_inactivity_days",
            json!({"minimum": 15, "maximum": 365}),
        ),
        (
            "SecurityPolicyBody",
            "max_login_attempts",
            json!({"minimum": 1, "maximum": 100}),
        ),
        (
            "SecurityPolicyBody",
            "password_validity_days",
            json!({"minimum": 1, "maximum": 3650}),
        ),
        (
            "SecurityPolicyBody",
            "lock_minutes",
            json!({"minimum": 1, "maximum": 10_080}),
        ),
        (
            "SecurityPolicyBody",
            "two_factor",
            json!({"enum": ["off", "new_device", "every_login"]}),
        ),
        (
            "SecurityPolicyBody",
            "lockout",
            json!({"enum": ["account", "untrusted_devices", null]}),
        ),
        ("CustomizationBody", "language", language.clone()),
        (
            "CustomizationBody",
            "color_scheme",
            json!({"enum": ["light", "dark", "system", null]}),
        ),
        (
            "CustomizationBody",
            "hostname",
            json!({"maxLength": 253, "pattern": HOSTNAME}),
        ),
        (
            "CustomizationBody",
            "time_zone",
            json!({"enum": TimeZone::names().map(Some).chain([None]).collect::<Vec<_>>()}),
        ),
        ("CreateUserBody", "email", email.clone()),
        ("CreateUserBody", "username", json!({"pattern": USERNAME})),
        ("CreateUserBody", "first_name", text(100)),
        ("CreateUserBody", "last_name", text(100)),
        ("CreateUserBody", "phone", json!({"pattern": PHONE})),
        ("CreateUserBody", "language", language.clone()),
        ("CreateUserBody", "roles", roles.clone()),
        ("CreateUserBody", "password", new_password),
        ("PatchUserBody", "first_name", text(100)),
        ("PatchUserBody", "last_name", text(100)),
        ("PatchUserBody", "phone", json!({"pattern": PHONE})),
        ("PatchUserBody", "language", language),
        ("PatchUserBody", "roles", roles.clone()),
        ("ChangeEmailBody", "email", email),
        ("TeamBody", "name", text(100)),
        ("CreateApiKeyBody", "name", text(100)),
        ("CreateApiKeyBody", "roles", roles),
        ("PatchApiKeyBody", "name", text(100)),
    ]
}

/// Merges `add` into the JSON object `into` (objects merged key by key, the rest replaced).
fn merge(into: &mut serde_json::Value, add: &serde_json::Value) {
    match (into, add) {
        (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k.clone()).or_insert(serde_json::Value::Null), v);
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

/// The document as served: the annotations' document, completed with the error answers, with the
/// value constraints merged into the request bodies' schemas (done on the JSON, since utoipa's
/// schema types cannot hold every keyword, such as `anyOf` beside `properties`).
pub fn document() -> &'static serde_json::Value {
    static DOCUMENT: std::sync::LazyLock<serde_json::Value> = std::sync::LazyLock::new(build);
    &DOCUMENT
}

fn build() -> serde_json::Value {
    let mut json = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let mut extra: Vec<(&str, serde_json::Value)> = constraints()
        .into_iter()
        .map(|(schema, property, c)| (schema, serde_json::json!({"properties": {property: c}})))
        .collect();
    // At least one way of logging in stays on.
    let any_on: Vec<serde_json::Value> = ["password", "google", "github", "sso"]
        .iter()
        .map(|k| serde_json::json!({"properties": {*k: {"const": true}}}))
        .collect();
    extra.push(("LoginOptionsBody", serde_json::json!({ "anyOf": any_on })));
    for (name, add) in extra {
        if let Some(schema) = json.pointer_mut(&format!("/components/schemas/{name}")) {
            merge(schema, &add);
        }
    }
    // The export answers JSON lines too (utoipa's annotation takes one content type).
    if let Some(content) = json
        .pointer_mut("/paths/~1v1~1accounts~1{account}~1audit~1export/get/responses/200/content")
    {
        merge(
            content,
            &serde_json::json!({"application/x-ndjson": {"schema": {"type": "string"}}}),
        );
    }
    let params = parameter_constraints();
    if let Some(paths) = json
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
    {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for op in item.values_mut() {
                let Some(list) = op.get_mut("parameters").and_then(|p| p.as_array_mut()) else {
                    continue;
                };
                for p in list {
                    let (Some(name), Some("query")) = (
                        p.get("name").and_then(|n| n.as_str()).map(str::to_string),
                        p.get("in").and_then(|n| n.as_str()),
                    ) else {
                        continue;
                    };
                    if let (Some((_, add)), Some(schema)) =
                        (params.iter().find(|(n, _)| *n == name), p.get_mut("schema"))
                    {
                        merge(schema, add);
                    }
                }
            }
        }
    }
    json
}

/// What the query parameters of the views accept (by name: a name means the same everywhere).
fn parameter_constraints() -> Vec<(&'static str, serde_json::Value)> {
    use chronid_domain::values::TimeZone;
    use chronid_projections::range::RANGE_NAMES;
    use serde_json::json;
    vec![
        ("limit", json!({"minimum": 1, "maximum": 1000})),
        ("min_position", json!({"minimum": 1})),
        (
            "status",
            json!({"enum": ["invited", "active", "disabled", "locked"]}),
        ),
        ("role", json!({"enum": ["AccountAdmin", "AccountManager"]})),
        ("range", json!({"enum": RANGE_NAMES})),
        ("tz", json!({"enum": TimeZone::names().collect::<Vec<_>>()})),
        ("from", json!({"format": "date-time"})),
        ("to", json!({"format": "date-time"})),
        ("as_of", json!({"format": "date-time"})),
        ("format", json!({"enum": ["csv", "jsonl"]})),
        ("username", json!({"minLength": 1, "maxLength": 320})),
        ("ip", json!({"minLength": 1, "maxLength": 64})),
        ("q", json!({"minLength": 1, "maxLength": 200})),
        ("cursor", json!({"minLength": 1})),
    ]
}

impl Modify for ErrorAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (method, op) in [
                ("get", &mut item.get),
                ("put", &mut item.put),
                ("post", &mut item.post),
                ("delete", &mut item.delete),
                ("patch", &mut item.patch),
            ] {
                if let Some(op) = op {
                    complete(path, method, op);
                }
            }
        }
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "chronid", description = "Event-sourced identity engine: admin API, login and sessions."),
    modifiers(&BearerAuth, &ErrorAnswers),
    paths(
        accounts::put_security_policy, accounts::put_login_options, accounts::put_customization,
        accounts::put_logo, accounts::delete_logo,
        sso::create_sso, sso::list_sso, sso::update_sso, sso::delete_sso,
        sso::share_sso, sso::unshare_sso,
        users::create_user, users::patch_user, users::put_email, users::disable_user, users::enable_user,
        users::lock_user, users::unlock_user, users::put_two_factor,
        teams::create_team, teams::rename_team, teams::delete_team, teams::add_member, teams::remove_member,
        api_keys::create_api_key, api_keys::patch_api_key, api_keys::revoke_api_key,
        health::health, health::ready,
        login::login, login::answer_challenge, login::resend_challenge, login::logout, login::my_sessions,
        login::revoke_my_session, devices::my_devices, devices::revoke_my_device,
        devices::revoke_user_devices,
        credentials::forgot, credentials::reset, credentials::change_my_password,
        credentials::admin_reset, credentials::enrol_totp, credentials::confirm_totp,
        credentials::reset_totp, credentials::disable_totp, credentials::put_channel,
        views::get_user, views::list_users, views::list_teams, views::get_team, views::audit,
        views::audit_export, views::history,
    ),
    components(schemas(
        Problem, body::SecurityPolicyBody, body::LoginOptionsBody, body::CustomizationBody,
        body::CreateUserBody, body::PatchUserBody, body::ChangeEmailBody, body::TwoFactorBody,
        body::TeamBody, body::CreateApiKeyBody, body::PatchApiKeyBody, body::Created, body::Position,
        body::CreatedApiKey, body::Health, body::CustomizationReply, body::DnsRecord,
        views::UserPage, views::AuditPage, views::History,
        chronid_views::query::AuditEntry, login::LoginBody, login::LoginReply, login::SessionBody,
        login::AccountChoiceBody, login::SessionList, login::SessionView, login::ChallengeAnswer,
        login::TotpEnrolmentBody, credentials::ForgotBody, credentials::ResetBody,
        credentials::ChangePasswordBody, credentials::CodeBody, credentials::ChannelBody,
        devices::DeviceBody, devices::DeviceList, sso::SsoBody, sso::SsoConfigBody,
        sso::SsoConfigList,
    ))
)]
pub struct ApiDoc;
