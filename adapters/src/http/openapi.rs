//! The OpenAPI document served at `/openapi.json`, generated from the handlers' annotations.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::body;
use super::problem::Problem;
use super::routes::{accounts, api_keys, credentials, health, login, teams, users, views};

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
    modifiers(&BearerAuth),
    paths(
        accounts::put_security_policy, accounts::put_login_options, accounts::put_customization,
        users::create_user, users::patch_user, users::put_email, users::disable_user, users::enable_user,
        users::lock_user, users::unlock_user, users::put_two_factor,
        teams::create_team, teams::rename_team, teams::delete_team, teams::add_member, teams::remove_member,
        api_keys::create_api_key, api_keys::patch_api_key, api_keys::revoke_api_key,
        health::health, health::ready,
        login::login, login::answer_challenge, login::logout, login::my_sessions,
        login::revoke_my_session,
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
        body::CreatedApiKey, body::Health, views::UserPage, views::AuditPage, views::History,
        crate::projection::query::AuditEntry, login::LoginBody, login::LoginReply, login::SessionBody,
        login::AccountChoiceBody, login::SessionList, login::SessionView, login::ChallengeAnswer,
        login::TotpEnrolmentBody, credentials::ForgotBody, credentials::ResetBody,
        credentials::ChangePasswordBody, credentials::CodeBody, credentials::ChannelBody,
    ))
)]
pub struct ApiDoc;
