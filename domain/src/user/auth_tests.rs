//! Given/when/then tests of password reset and change, two-factor challenges and TOTP.

use super::*;
use crate::testing::StepTotp;
use crate::values::{OneTimeCode, TwoFactorChannel, TwoFactorMode};

const REQUEST: u128 = 60;
const CHALLENGE: u128 = 61;

fn token(n: u32) -> StoredSecret {
    StoredSecret(format!("token-{n}"))
}

fn reset_requested(expires_at: chrono::DateTime<Utc>) -> UserEvent {
    UserEvent::PasswordResetRequested {
        request_id: uuid(REQUEST),
        token_hash: token(1),
        token_sealed: Some(StoredSecret("sealed:token".into())),
        initiated_by: ResetInitiator::User,
        expires_at,
        requested_at: expires_at - Duration::hours(1),
    }
}

fn request_reset() -> UserCommand {
    UserCommand::RequestPasswordReset {
        request_id: uuid(REQUEST),
        token_hash: token(1),
        token_sealed: StoredSecret("sealed:token".into()),
        initiated_by: ResetInitiator::User,
        expires_at: now() + Duration::hours(1),
    }
}

fn new_password() -> Password {
    Password::parse("a brand new passphrase").unwrap()
}

fn set_with_token(kind: PasswordToken, hash: StoredSecret, new: Password) -> UserCommand {
    UserCommand::SetPasswordWithToken(Box::new(SetPasswordWithToken {
        kind,
        id: uuid(REQUEST),
        token_hash: hash,
        new_password: new,
        password_validity_days: Some(90),
    }))
}

fn changed(method: PasswordChangeMethod) -> UserEvent {
    UserEvent::PasswordChanged {
        password_hash: StoredSecret("hashed:a brand new passphrase".into()),
        method,
        changed_at: now(),
        expires_at: Some(now() + Duration::days(90)),
    }
}

fn disabled() -> UserEvent {
    UserEvent::UserDisabled {
        reason: DisableReason::Admin,
    }
}

/// Registered `days` ago with that password.
fn registered_days_ago(days: i64) -> UserEvent {
    let UserEvent::UserRegistered {
        user_id,
        account_id,
        email,
        username,
        first_name,
        last_name,
        phone,
        language,
        roles,
        source,
        invited,
        password_hash,
        sso_managed,
        ..
    } = registered()
    else {
        unreachable!()
    };
    UserEvent::UserRegistered {
        user_id,
        account_id,
        email,
        username,
        first_name,
        last_name,
        phone,
        language,
        roles,
        source,
        invited,
        password_hash,
        password_changed_at: Some(now() - Duration::days(days)),
        sso_managed,
        sso_config_id: None,
    }
}

fn with_phone() -> UserEvent {
    UserEvent::UserProfileUpdated {
        changes: ProfileChanges {
            phone: Some(Some(Phone::parse("+14155550100").unwrap())),
            ..Default::default()
        },
    }
}

// RequestPasswordReset

#[tokio::test]
async fn request_reset_emits_requested_with_the_sealed_token() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(request_reset())
        .await
        .then_expect_events(vec![reset_requested(now() + Duration::hours(1))]);
}

#[tokio::test]
async fn request_reset_of_a_disabled_user_is_refused() {
    Test::with(services())
        .given(vec![registered(), disabled()])
        .when_async(request_reset())
        .await
        .then_expect_error(UserError::Disabled);
}

#[tokio::test]
async fn request_reset_of_unknown_user_is_refused() {
    refused_on_unknown_user(request_reset()).await;
}

// RecordResetEmail

#[tokio::test]
async fn record_reset_email_sent_and_failed() {
    let given = || vec![registered(), reset_requested(now() + Duration::hours(1))];
    Test::with(services())
        .given(given())
        .when_async(UserCommand::RecordResetEmail {
            request_id: uuid(REQUEST),
            error: None,
        })
        .await
        .then_expect_events(vec![UserEvent::PasswordResetEmailSent {
            request_id: uuid(REQUEST),
        }]);
    Test::with(services())
        .given(given())
        .when_async(UserCommand::RecordResetEmail {
            request_id: uuid(REQUEST),
            error: Some("smtp: connection refused".into()),
        })
        .await
        .then_expect_events(vec![UserEvent::PasswordResetEmailFailed {
            request_id: uuid(REQUEST),
            error: "smtp: connection refused".into(),
        }]);
}

#[tokio::test]
async fn record_reset_email_twice_or_for_unknown_request_is_refused() {
    Test::with(services())
        .given(vec![
            registered(),
            reset_requested(now() + Duration::hours(1)),
            UserEvent::PasswordResetEmailSent {
                request_id: uuid(REQUEST),
            },
        ])
        .when_async(UserCommand::RecordResetEmail {
            request_id: uuid(REQUEST),
            error: None,
        })
        .await
        .then_expect_error(UserError::DeliveryAlreadyRecorded);
    Test::with(services())
        .given(vec![registered()])
        .when_async(UserCommand::RecordResetEmail {
            request_id: uuid(REQUEST),
            error: None,
        })
        .await
        .then_expect_error(UserError::ResetTokenInvalid);
}

// RequirePasswordChange

fn require_change(days: Option<u16>) -> UserCommand {
    UserCommand::RequirePasswordChange {
        change_id: uuid(REQUEST),
        token_hash: token(2),
        expires_at: now() + Duration::minutes(15),
        password_validity_days: days,
        device_trusted: false,
        two_factor: TwoFactorMode::Off,
    }
}

#[tokio::test]
async fn require_change_when_a_second_factor_is_due_is_refused() {
    let UserCommand::RequirePasswordChange {
        change_id,
        token_hash,
        expires_at,
        password_validity_days,
        device_trusted,
        ..
    } = require_change(Some(90))
    else {
        unreachable!()
    };
    Test::with(services())
        .given(vec![registered_days_ago(91)])
        .when_async(UserCommand::RequirePasswordChange {
            change_id,
            token_hash,
            expires_at,
            password_validity_days,
            device_trusted,
            two_factor: TwoFactorMode::NewDevice,
        })
        .await
        .then_expect_error(UserError::SecondFactorDue);
}

#[tokio::test]
async fn require_change_of_an_expired_password_emits_change_required() {
    Test::with(services())
        .given(vec![registered_days_ago(91)])
        .when_async(require_change(Some(90)))
        .await
        .then_expect_events(vec![UserEvent::PasswordChangeRequired {
            change_id: uuid(REQUEST),
            token_hash: token(2),
            expires_at: now() + Duration::minutes(15),
        }]);
}

#[tokio::test]
async fn require_change_of_a_valid_password_is_refused() {
    for days in [Some(90), None] {
        Test::with(services())
            .given(vec![registered_days_ago(30)])
            .when_async(require_change(days))
            .await
            .then_expect_error(UserError::PasswordNotExpired);
    }
}

// SetPasswordWithToken

#[tokio::test]
async fn reset_with_the_token_changes_password_completes_and_ends_sessions() {
    Test::with(services())
        .given(vec![
            registered(),
            login(3),
            reset_requested(now() + Duration::hours(1)),
        ])
        .when_async(set_with_token(
            PasswordToken::Reset,
            token(1),
            new_password(),
        ))
        .await
        .then_expect_events(vec![
            changed(PasswordChangeMethod::ResetLink),
            UserEvent::PasswordResetCompleted {
                request_id: uuid(REQUEST),
            },
            UserEvent::SessionsEnded {
                session_ids: vec![nth_id(3)],
                reason: SessionEndReason::PasswordChanged,
            },
        ]);
}

#[tokio::test]
async fn reset_lifts_a_policy_lock_but_not_an_admin_lock() {
    Test::with(services())
        .given(vec![
            registered(),
            policy_lock(5, None),
            reset_requested(now() + Duration::hours(1)),
        ])
        .when_async(set_with_token(
            PasswordToken::Reset,
            token(1),
            new_password(),
        ))
        .await
        .then_expect_events(vec![
            changed(PasswordChangeMethod::ResetLink),
            UserEvent::PasswordResetCompleted {
                request_id: uuid(REQUEST),
            },
            UserEvent::UserUnlocked {
                reason: UnlockReason::PasswordReset,
            },
        ]);
    Test::with(services())
        .given(vec![
            registered(),
            UserEvent::UserLocked {
                reason: LockReason::Admin,
                failed_attempts: 0,
                until: None,
                scope: LockScope::Account,
            },
            reset_requested(now() + Duration::hours(1)),
        ])
        .when_async(set_with_token(
            PasswordToken::Reset,
            token(1),
            new_password(),
        ))
        .await
        .then_expect_events(vec![
            changed(PasswordChangeMethod::ResetLink),
            UserEvent::PasswordResetCompleted {
                request_id: uuid(REQUEST),
            },
        ]);
}

#[tokio::test]
async fn reset_with_a_wrong_used_or_superseded_token_is_refused() {
    // Wrong token.
    Test::with(services())
        .given(vec![
            registered(),
            reset_requested(now() + Duration::hours(1)),
        ])
        .when_async(set_with_token(
            PasswordToken::Reset,
            token(9),
            new_password(),
        ))
        .await
        .then_expect_error(UserError::ResetTokenInvalid);
    // Used once already.
    Test::with(services())
        .given(vec![
            registered(),
            reset_requested(now() + Duration::hours(1)),
            changed(PasswordChangeMethod::ResetLink),
            UserEvent::PasswordResetCompleted {
                request_id: uuid(REQUEST),
            },
        ])
        .when_async(set_with_token(PasswordToken::Reset, token(1), password()))
        .await
        .then_expect_error(UserError::ResetTokenInvalid);
    // The password changed by other means since: every outstanding link dies.
    Test::with(services())
        .given(vec![
            registered(),
            reset_requested(now() + Duration::hours(1)),
            changed(PasswordChangeMethod::SelfService),
        ])
        .when_async(set_with_token(PasswordToken::Reset, token(1), password()))
        .await
        .then_expect_error(UserError::ResetTokenInvalid);
}

#[tokio::test]
async fn reset_with_an_expired_token_is_refused() {
    Test::with(services())
        .given(vec![registered(), reset_requested(now())])
        .when_async(set_with_token(
            PasswordToken::Reset,
            token(1),
            new_password(),
        ))
        .await
        .then_expect_error(UserError::ResetTokenExpired);
}

#[tokio::test]
async fn reset_to_the_same_password_is_refused() {
    Test::with(services())
        .given(vec![
            registered(),
            reset_requested(now() + Duration::hours(1)),
        ])
        .when_async(set_with_token(PasswordToken::Reset, token(1), password()))
        .await
        .then_expect_error(UserError::PasswordReused);
}

#[tokio::test]
async fn reset_of_a_disabled_user_is_refused() {
    Test::with(services())
        .given(vec![
            registered(),
            reset_requested(now() + Duration::hours(1)),
            disabled(),
        ])
        .when_async(set_with_token(
            PasswordToken::Reset,
            token(1),
            new_password(),
        ))
        .await
        .then_expect_error(UserError::Disabled);
}

#[tokio::test]
async fn change_token_sets_the_password_as_expired_renewal() {
    Test::with(services())
        .given(vec![
            registered_days_ago(100),
            UserEvent::PasswordChangeRequired {
                change_id: uuid(REQUEST),
                token_hash: token(2),
                expires_at: now() + Duration::minutes(15),
            },
        ])
        .when_async(set_with_token(
            PasswordToken::Change,
            token(2),
            new_password(),
        ))
        .await
        .then_expect_events(vec![changed(PasswordChangeMethod::Expired)]);
}

// ChangePassword

fn lockout(max_attempts: u8) -> Lockout {
    Lockout {
        max_attempts,
        lock_minutes: None,
        mode: crate::values::LockoutMode::Account,
    }
}

fn change_password(current: &str, keep: Option<Uuid>) -> UserCommand {
    UserCommand::ChangePassword(Box::new(ChangePassword {
        current_password: Password::presented(current).unwrap(),
        new_password: new_password(),
        password_validity_days: Some(90),
        keep_session: keep,
        lockout: lockout(3),
    }))
}

#[tokio::test]
async fn change_password_ends_the_other_sessions_only() {
    Test::with(services())
        .given(vec![registered(), login(3), login(4)])
        .when_async(change_password("correct horse battery", Some(nth_id(3))))
        .await
        .then_expect_events(vec![
            changed(PasswordChangeMethod::SelfService),
            UserEvent::SessionsEnded {
                session_ids: vec![nth_id(4)],
                reason: SessionEndReason::PasswordChanged,
            },
        ]);
}

#[tokio::test]
async fn change_password_with_a_wrong_current_password_is_recorded_and_counts() {
    Test::with(services())
        .given(vec![registered(), failed(1)])
        .when_async(change_password("not it", None))
        .await
        .then_expect_events(vec![UserEvent::PasswordChangeFailed { failed_attempts: 2 }]);
    // The third in a row locks the user, ending the session it came from too.
    Test::with(services())
        .given(vec![registered(), login(3), failed(1), failed(2)])
        .when_async(change_password("not it", Some(nth_id(3))))
        .await
        .then_expect_events(vec![
            UserEvent::PasswordChangeFailed { failed_attempts: 3 },
            policy_lock(3, None),
            UserEvent::SessionsEnded {
                session_ids: vec![nth_id(3)],
                reason: SessionEndReason::Locked,
            },
        ]);
}

#[tokio::test]
async fn change_password_to_the_same_one_is_refused() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(UserCommand::ChangePassword(Box::new(ChangePassword {
            current_password: password(),
            new_password: password(),
            password_validity_days: None,
            keep_session: None,
            lockout: lockout(3),
        })))
        .await
        .then_expect_error(UserError::PasswordReused);
}

// IssueChallenge

fn issue(channel: TwoFactorChannel) -> UserCommand {
    UserCommand::IssueChallenge {
        challenge_id: uuid(CHALLENGE),
        channel,
        device_id: Some(uuid(40)),
        device_trusted: false,
    }
}

/// The email challenge `issue` produces: the counting random draws 123456 first.
fn email_challenge(expires_at: chrono::DateTime<Utc>) -> UserEvent {
    UserEvent::TwoFactorChallengeIssued {
        challenge_id: uuid(CHALLENGE),
        channel: TwoFactorChannel::Email,
        purpose: ChallengePurpose::SignIn,
        issued_at: expires_at - CHALLENGE_LIFETIME,
        code_hash: Some(StoredSecret(format!(
            "digest:2fa-code:{}:123456",
            uuid(CHALLENGE)
        ))),
        code_sealed: Some(StoredSecret("sealed:123456".into())),
        device_id: Some(uuid(40)),
        expires_at,
        max_attempts: 5,
    }
}

#[tokio::test]
async fn issue_email_challenge_draws_a_code_kept_digested_and_sealed() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(issue(TwoFactorChannel::Email))
        .await
        .then_expect_events(vec![email_challenge(now() + Duration::minutes(10))]);
}

#[tokio::test]
async fn issue_challenge_refusals() {
    let cases = [
        (
            vec![registered()],
            TwoFactorChannel::Totp,
            UserError::TotpNotEnabled,
        ),
        // An authenticator being set up is not a second factor.
        (
            vec![registered(), totp_enrolled()],
            TwoFactorChannel::Totp,
            UserError::TotpNotEnabled,
        ),
        (
            vec![registered()],
            TwoFactorChannel::Sms,
            UserError::PhoneRequired,
        ),
        (
            vec![registered()],
            TwoFactorChannel::Voice,
            UserError::PhoneRequired,
        ),
        (
            vec![registered(), policy_lock(5, None)],
            TwoFactorChannel::Email,
            UserError::Locked,
        ),
        (
            vec![registered(), disabled()],
            TwoFactorChannel::Email,
            UserError::Disabled,
        ),
    ];
    for (given, channel, error) in cases {
        Test::with(services())
            .given(given)
            .when_async(issue(channel))
            .await
            .then_expect_error(error);
    }
}

#[tokio::test]
async fn issue_a_sixth_code_within_the_window_is_refused_until_the_first_ages_out() {
    let sent_at = |minutes_ago: i64| {
        let UserEvent::TwoFactorChallengeIssued { .. } = email_challenge(now()) else {
            unreachable!()
        };
        email_challenge(now() - Duration::minutes(minutes_ago) + CHALLENGE_LIFETIME)
    };
    let given: Vec<UserEvent> = std::iter::once(registered())
        .chain([14, 10, 8, 3, 1].map(sent_at))
        .collect();
    Test::with(services())
        .given(given)
        .when_async(issue(TwoFactorChannel::Email))
        .await
        .then_expect_error(UserError::TooManyCodes {
            retry_after_secs: 60,
        });
    let given: Vec<UserEvent> = std::iter::once(registered())
        .chain([15, 10, 8, 3, 1].map(sent_at))
        .collect();
    let result = Test::with(services())
        .given(given)
        .when_async(issue(TwoFactorChannel::Email))
        .await
        .inspect_result();
    assert!(result.is_ok(), "{result:?}");
    // Authenticator challenges send nothing and are not limited.
    let mut given: Vec<UserEvent> = vec![registered(), totp_enrolled(), totp_confirmed(1)];
    given.extend([14, 10, 8, 3, 1].map(sent_at));
    let result = Test::with(services())
        .given(given)
        .when_async(issue(TwoFactorChannel::Totp))
        .await
        .inspect_result();
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn issue_sms_challenge_with_a_phone() {
    let result = Test::with(services())
        .given(vec![registered(), with_phone()])
        .when_async(issue(TwoFactorChannel::Sms))
        .await
        .inspect_result();
    assert!(matches!(
        result.as_deref(),
        Ok([UserEvent::TwoFactorChallengeIssued {
            channel: TwoFactorChannel::Sms,
            code_sealed: Some(_),
            ..
        }])
    ));
}

// RecordCodeDelivery

#[tokio::test]
async fn record_code_delivery_outcomes_and_refusals() {
    let given = || vec![registered(), email_challenge(now() + Duration::minutes(10))];
    Test::with(services())
        .given(given())
        .when_async(UserCommand::RecordCodeDelivery {
            challenge_id: uuid(CHALLENGE),
            error: None,
        })
        .await
        .then_expect_events(vec![UserEvent::TwoFactorCodeDelivered {
            challenge_id: uuid(CHALLENGE),
            channel: TwoFactorChannel::Email,
        }]);
    Test::with(services())
        .given(given())
        .when_async(UserCommand::RecordCodeDelivery {
            challenge_id: uuid(CHALLENGE),
            error: Some("provider said 500".into()),
        })
        .await
        .then_expect_events(vec![UserEvent::TwoFactorCodeDeliveryFailed {
            challenge_id: uuid(CHALLENGE),
            channel: TwoFactorChannel::Email,
            error: "provider said 500".into(),
        }]);
    let mut twice = given();
    twice.push(UserEvent::TwoFactorCodeDelivered {
        challenge_id: uuid(CHALLENGE),
        channel: TwoFactorChannel::Email,
    });
    Test::with(services())
        .given(twice)
        .when_async(UserCommand::RecordCodeDelivery {
            challenge_id: uuid(CHALLENGE),
            error: None,
        })
        .await
        .then_expect_error(UserError::DeliveryAlreadyRecorded);
    Test::with(services())
        .given(vec![registered()])
        .when_async(UserCommand::RecordCodeDelivery {
            challenge_id: uuid(CHALLENGE),
            error: None,
        })
        .await
        .then_expect_error(UserError::ChallengeNotFound);
}

// AnswerChallenge

const NEXT_CHALLENGE: u128 = 62;
const CHANGE: u128 = 63;

fn answer_with(code: &str, max_attempts: u8, validity: Option<u16>) -> UserCommand {
    let UserCommand::RecordLogin(login) = record_login(None, None) else {
        unreachable!()
    };
    UserCommand::AnswerChallenge(Box::new(AnswerChallenge {
        challenge_id: uuid(CHALLENGE),
        code: OneTimeCode::parse(code).unwrap(),
        login: *login,
        lockout: lockout(max_attempts),
        password_validity_days: validity,
        next: NextStep {
            challenge_id: uuid(NEXT_CHALLENGE),
            change_id: uuid(CHANGE),
            change_token_hash: token(9),
            change_expires_at: now() + Duration::minutes(15),
        },
    }))
}

fn answer(code: &str) -> UserCommand {
    answer_with(code, 10, None)
}

fn challenge_failed_for(attempts: u32, reason: CodeFailure) -> UserEvent {
    UserEvent::TwoFactorChallengeFailed {
        challenge_id: uuid(CHALLENGE),
        attempts,
        exhausted: attempts >= 5,
        reason,
        tries_left: 5u32.saturating_sub(attempts),
        failed_attempts: Some(attempts),
        scope: LockScope::Account,
    }
}

fn challenge_failed(attempts: u32) -> UserEvent {
    challenge_failed_for(attempts, CodeFailure::Wrong)
}

fn passed() -> UserEvent {
    UserEvent::TwoFactorChallengePassed {
        challenge_id: uuid(CHALLENGE),
        device_id: Some(uuid(40)),
    }
}

#[tokio::test]
async fn answer_with_the_right_code_passes_and_opens_the_session() {
    Test::with(services())
        .given(vec![
            registered(),
            email_challenge(now() + Duration::minutes(10)),
        ])
        .when_async(answer("123 456"))
        .await
        .then_expect_events(vec![passed(), logged_in()]);
}

#[tokio::test]
async fn answer_with_a_wrong_code_is_recorded_and_the_fifth_exhausts() {
    let mut given = vec![registered(), email_challenge(now() + Duration::minutes(10))];
    Test::with(services())
        .given(given.clone())
        .when_async(answer("000000"))
        .await
        .then_expect_events(vec![challenge_failed(1)]);
    given.extend((1..=4).map(challenge_failed));
    Test::with(services())
        .given(given.clone())
        .when_async(answer("000000"))
        .await
        .then_expect_events(vec![challenge_failed(5)]);
    // A sixth answer, even the right code, is refused.
    given.push(challenge_failed(5));
    Test::with(services())
        .given(given)
        .when_async(answer("123456"))
        .await
        .then_expect_error(UserError::ChallengeExhausted);
}

#[tokio::test]
async fn answer_with_wrong_codes_counts_on_the_user_across_challenges_and_locks() {
    // Two failed passwords before: the code's failure is the third in a row.
    Test::with(services())
        .given(vec![
            registered(),
            failed(1),
            failed(2),
            email_challenge(now() + Duration::minutes(10)),
        ])
        .when_async(answer_with("000000", 3, None))
        .await
        .then_expect_events(vec![
            UserEvent::TwoFactorChallengeFailed {
                challenge_id: uuid(CHALLENGE),
                attempts: 1,
                exhausted: false,
                reason: CodeFailure::Wrong,
                tries_left: 4,
                failed_attempts: Some(3),
                scope: LockScope::Account,
            },
            policy_lock(3, None),
        ]);
}

#[tokio::test]
async fn answer_after_a_password_change_meanwhile_finds_no_challenge() {
    Test::with(services())
        .given(vec![
            registered(),
            email_challenge(now() + Duration::minutes(10)),
            changed(PasswordChangeMethod::SelfService),
        ])
        .when_async(answer("123456"))
        .await
        .then_expect_error(UserError::ChallengeNotFound);
}

#[tokio::test]
async fn answer_of_a_user_with_an_expired_password_asks_the_change_only_after_the_code() {
    Test::with(services())
        .given(vec![
            registered_days_ago(100),
            email_challenge(now() + Duration::minutes(10)),
        ])
        .when_async(answer_with("123456", 10, Some(90)))
        .await
        .then_expect_events(vec![
            passed(),
            UserEvent::PasswordChangeRequired {
                change_id: uuid(CHANGE),
                token_hash: token(9),
                expires_at: now() + Duration::minutes(15),
            },
        ]);
}

fn enrolment_challenge() -> UserEvent {
    UserEvent::TwoFactorChallengeIssued {
        challenge_id: uuid(NEXT_CHALLENGE),
        channel: TwoFactorChannel::Totp,
        purpose: ChallengePurpose::EnrolTotp,
        issued_at: now(),
        code_hash: None,
        code_sealed: None,
        device_id: Some(uuid(40)),
        expires_at: now() + CHALLENGE_LIFETIME,
        max_attempts: 5,
    }
}

#[tokio::test]
async fn answer_of_a_user_required_to_set_up_an_authenticator_enrols_it_after_the_code() {
    let required = UserEvent::TwoFactorRequirementChanged { required: true };
    Test::with(services())
        .given(vec![
            registered(),
            required.clone(),
            email_challenge(now() + Duration::minutes(10)),
        ])
        .when_async(answer("123456"))
        .await
        .then_expect_events(vec![passed(), totp_enrolled(), enrolment_challenge()]);
    // The enrolment challenge's first code confirms the authenticator and opens the session.
    let UserCommand::AnswerChallenge(mut second) = answer(&StepTotp::code(step())) else {
        unreachable!()
    };
    second.challenge_id = uuid(NEXT_CHALLENGE);
    Test::with(services())
        .given(vec![
            registered(),
            required,
            email_challenge(now() + Duration::minutes(10)),
            passed(),
            totp_enrolled(),
            enrolment_challenge(),
        ])
        .when_async(UserCommand::AnswerChallenge(second))
        .await
        .then_expect_events(vec![
            totp_confirmed(step()),
            UserEvent::TwoFactorChallengePassed {
                challenge_id: uuid(NEXT_CHALLENGE),
                device_id: Some(uuid(40)),
            },
            logged_in(),
        ]);
}

#[tokio::test]
async fn answer_after_expiry_or_to_an_unknown_or_passed_challenge_is_refused() {
    Test::with(services())
        .given(vec![registered(), email_challenge(now())])
        .when_async(answer("123456"))
        .await
        .then_expect_error(UserError::ChallengeExpired);
    Test::with(services())
        .given(vec![registered()])
        .when_async(answer("123456"))
        .await
        .then_expect_error(UserError::ChallengeNotFound);
    Test::with(services())
        .given(vec![
            registered(),
            email_challenge(now() + Duration::minutes(10)),
            passed(),
        ])
        .when_async(answer("123456"))
        .await
        .then_expect_error(UserError::ChallengeNotFound);
}

#[tokio::test]
async fn answer_of_a_user_locked_meanwhile_is_refused() {
    // A lock of the whole user ends its challenges.
    Test::with(services())
        .given(vec![
            registered(),
            email_challenge(now() + Duration::minutes(10)),
            UserEvent::UserLocked {
                reason: LockReason::Admin,
                failed_attempts: 0,
                until: None,
                scope: LockScope::Account,
            },
        ])
        .when_async(answer("123456"))
        .await
        .then_expect_error(UserError::ChallengeNotFound);
    // A lock of untrusted devices refuses the answer from an untrusted device.
    Test::with(services())
        .given(vec![
            registered(),
            email_challenge(now() + Duration::minutes(10)),
            UserEvent::UserLocked {
                reason: LockReason::Policy,
                failed_attempts: 5,
                until: None,
                scope: LockScope::UntrustedDevices,
            },
        ])
        .when_async(answer("123456"))
        .await
        .then_expect_error(UserError::Locked);
}

fn totp_secret() -> StoredSecret {
    StoredSecret("sealed:totp-secret".into())
}

fn totp_enrolled() -> UserEvent {
    UserEvent::TotpEnrolled {
        secret_sealed: totp_secret(),
    }
}

fn step() -> u64 {
    StepTotp::step_at(now())
}

fn totp_confirmed(step: u64) -> UserEvent {
    UserEvent::TotpConfirmed { step }
}

fn totp_challenge() -> UserEvent {
    UserEvent::TwoFactorChallengeIssued {
        challenge_id: uuid(CHALLENGE),
        channel: TwoFactorChannel::Totp,
        purpose: ChallengePurpose::SignIn,
        issued_at: now(),
        code_hash: None,
        code_sealed: None,
        device_id: Some(uuid(40)),
        expires_at: now() + Duration::minutes(10),
        max_attempts: 5,
    }
}

#[tokio::test]
async fn answer_totp_challenge_uses_the_step_once() {
    let given = vec![
        registered(),
        totp_enrolled(),
        totp_confirmed(step() - 2),
        totp_challenge(),
    ];
    Test::with(services())
        .given(given.clone())
        .when_async(answer(&StepTotp::code(step())))
        .await
        .then_expect_events(vec![
            UserEvent::TotpCodeUsed { step: step() },
            passed(),
            logged_in(),
        ]);
    // The same code again (a replay) only uses up a try.
    let mut replayed = given;
    replayed.push(UserEvent::TotpCodeUsed { step: step() });
    Test::with(services())
        .given(replayed)
        .when_async(answer(&StepTotp::code(step())))
        .await
        .then_expect_events(vec![challenge_failed_for(1, CodeFailure::Reused)]);
}

#[test]
fn a_pending_authenticator_is_not_a_second_factor() {
    let mut user = User::default();
    user.apply(registered());
    user.apply(totp_enrolled());
    assert!(!user.totp_enabled());
    assert_eq!(
        second_factor(&user, TwoFactorMode::EveryLogin, false),
        Some(TwoFactorChannel::Email)
    );
    assert_eq!(second_factor(&user, TwoFactorMode::Off, false), None);
}

#[test]
fn a_reset_keeps_the_old_authenticator_until_the_new_one_is_confirmed() {
    let mut user = User::default();
    user.apply(registered());
    user.apply(UserEvent::TotpEnrolled {
        secret_sealed: StoredSecret("sealed:old".into()),
    });
    user.apply(totp_confirmed(1));
    user.apply(UserEvent::TotpReset {
        secret_sealed: StoredSecret("sealed:new".into()),
        keeps_current: true,
    });
    assert_eq!(
        user.totp.as_ref().map(|t| t.secret_sealed.0.as_str()),
        Some("sealed:old")
    );
    assert_eq!(
        second_factor(&user, TwoFactorMode::Off, false),
        Some(TwoFactorChannel::Totp)
    );
    assert_eq!(user.trust_epoch, 1);
    user.apply(totp_confirmed(9));
    assert_eq!(
        user.totp
            .as_ref()
            .map(|t| (t.secret_sealed.0.as_str(), t.last_step)),
        Some(("sealed:new", Some(9)))
    );
    assert_eq!(user.totp_pending, None);
}

// EnrolTotp, ConfirmTotp, ResetTotp, DisableTotp, TurnOffTwoFactor

#[tokio::test]
async fn enrol_totp_seals_a_new_secret_and_refuses_when_enabled() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(UserCommand::EnrolTotp)
        .await
        .then_expect_events(vec![totp_enrolled()]);
    Test::with(services())
        .given(vec![registered(), totp_enrolled(), totp_confirmed(1)])
        .when_async(UserCommand::EnrolTotp)
        .await
        .then_expect_error(UserError::TotpAlreadyEnabled);
}

fn code_now() -> OneTimeCode {
    OneTimeCode::parse(&StepTotp::code(step())).unwrap()
}

#[tokio::test]
async fn confirm_totp_with_a_current_code() {
    Test::with(services())
        .given(vec![registered(), totp_enrolled()])
        .when_async(UserCommand::ConfirmTotp { code: code_now() })
        .await
        .then_expect_events(vec![totp_confirmed(step())]);
}

#[tokio::test]
async fn confirm_totp_refusals() {
    let wrong = OneTimeCode::parse(&StepTotp::code(step() + 5)).unwrap();
    let replaced = vec![
        registered(),
        totp_enrolled(),
        totp_confirmed(step()),
        UserEvent::TotpReset {
            secret_sealed: totp_secret(),
            keeps_current: true,
        },
    ];
    let cases = [
        // A replacement's first code cannot be one the old authenticator already used.
        (replaced, code_now(), UserError::TotpCodeInvalid),
        (
            vec![registered(), totp_enrolled()],
            wrong,
            UserError::TotpCodeInvalid,
        ),
        (vec![registered()], code_now(), UserError::TotpNotEnrolled),
        (
            vec![registered(), totp_enrolled(), totp_confirmed(1)],
            code_now(),
            UserError::TotpAlreadyEnabled,
        ),
    ];
    for (given, code, error) in cases {
        Test::with(services())
            .given(given)
            .when_async(UserCommand::ConfirmTotp { code })
            .await
            .then_expect_error(error);
    }
}

fn reset_totp(code: OneTimeCode, keep: Option<Uuid>) -> UserCommand {
    UserCommand::ResetTotp {
        code,
        keep_session: keep,
        lockout: lockout(3),
    }
}

#[tokio::test]
async fn reset_totp_starts_a_replacement_and_ends_the_other_sessions() {
    Test::with(services())
        .given(vec![
            registered(),
            totp_enrolled(),
            totp_confirmed(1),
            login(3),
            login(4),
        ])
        .when_async(reset_totp(code_now(), Some(nth_id(4))))
        .await
        .then_expect_events(vec![
            UserEvent::TotpCodeUsed { step: step() },
            UserEvent::TotpReset {
                secret_sealed: totp_secret(),
                keeps_current: true,
            },
            UserEvent::SessionsEnded {
                session_ids: vec![nth_id(3)],
                reason: SessionEndReason::TotpReset,
            },
        ]);
}

#[tokio::test]
async fn reset_totp_with_a_wrong_or_reused_code_is_recorded_and_counts() {
    Test::with(services())
        .given(vec![registered(), totp_enrolled(), totp_confirmed(step())])
        .when_async(reset_totp(code_now(), None))
        .await
        .then_expect_events(vec![UserEvent::TotpCodeRejected {
            action: TotpAction::Reset,
            reason: CodeFailure::Reused,
            failed_attempts: 1,
        }]);
    let wrong = OneTimeCode::parse(&StepTotp::code(step() + 5)).unwrap();
    Test::with(services())
        .given(vec![
            registered(),
            totp_enrolled(),
            totp_confirmed(1),
            failed(1),
            failed(2),
        ])
        .when_async(reset_totp(wrong, None))
        .await
        .then_expect_events(vec![
            UserEvent::TotpCodeRejected {
                action: TotpAction::Reset,
                reason: CodeFailure::Wrong,
                failed_attempts: 3,
            },
            policy_lock(3, None),
        ]);
}

#[tokio::test]
async fn reset_totp_refusals() {
    let cases = [
        (
            vec![registered(), totp_enrolled()],
            UserError::TotpNotEnabled,
        ),
        (vec![registered()], UserError::TotpNotEnabled),
    ];
    for (given, error) in cases {
        Test::with(services())
            .given(given)
            .when_async(reset_totp(code_now(), None))
            .await
            .then_expect_error(error);
    }
}

fn disable_totp(code: OneTimeCode) -> UserCommand {
    UserCommand::DisableTotp {
        code,
        lockout: lockout(3),
    }
}

#[tokio::test]
async fn disable_totp_with_a_code() {
    Test::with(services())
        .given(vec![registered(), totp_enrolled(), totp_confirmed(1)])
        .when_async(disable_totp(code_now()))
        .await
        .then_expect_events(vec![
            UserEvent::TotpCodeUsed { step: step() },
            UserEvent::TotpDisabled { by_admin: false },
        ]);
}

#[tokio::test]
async fn disable_totp_refusals() {
    let wrong = OneTimeCode::parse(&StepTotp::code(step() + 5)).unwrap();
    let cases = [
        (
            vec![
                registered(),
                UserEvent::TwoFactorRequirementChanged { required: true },
                totp_enrolled(),
                totp_confirmed(1),
            ],
            code_now(),
            UserError::TwoFactorRequired,
        ),
        (vec![registered()], code_now(), UserError::TotpNotEnabled),
    ];
    for (given, code, error) in cases {
        Test::with(services())
            .given(given)
            .when_async(disable_totp(code))
            .await
            .then_expect_error(error);
    }
    Test::with(services())
        .given(vec![registered(), totp_enrolled(), totp_confirmed(1)])
        .when_async(disable_totp(wrong))
        .await
        .then_expect_events(vec![UserEvent::TotpCodeRejected {
            action: TotpAction::Disable,
            reason: CodeFailure::Wrong,
            failed_attempts: 1,
        }]);
}

#[tokio::test]
async fn turn_off_two_factor_drops_requirement_and_totp() {
    Test::with(services())
        .given(vec![
            registered(),
            UserEvent::TwoFactorRequirementChanged { required: true },
            totp_enrolled(),
            totp_confirmed(1),
        ])
        .when_async(UserCommand::TurnOffTwoFactor)
        .await
        .then_expect_events(vec![
            UserEvent::TwoFactorRequirementChanged { required: false },
            UserEvent::TotpDisabled { by_admin: true },
        ]);
    Test::with(services())
        .given(vec![registered()])
        .when_async(UserCommand::TurnOffTwoFactor)
        .await
        .then_expect_error(UserError::NoChange);
}

// ChangeTwoFactorChannel

#[tokio::test]
async fn change_channel_to_sms_with_a_phone() {
    Test::with(services())
        .given(vec![registered(), with_phone()])
        .when_async(UserCommand::ChangeTwoFactorChannel {
            channel: TwoFactorChannel::Sms,
        })
        .await
        .then_expect_events(vec![UserEvent::TwoFactorChannelChanged {
            channel: TwoFactorChannel::Sms,
        }]);
}

#[tokio::test]
async fn change_channel_refusals() {
    let cases = [
        (TwoFactorChannel::Voice, UserError::PhoneRequired),
        (TwoFactorChannel::Totp, UserError::TotpNotEnabled),
        (TwoFactorChannel::Email, UserError::NoChange),
    ];
    for (channel, error) in cases {
        Test::with(services())
            .given(vec![registered()])
            .when_async(UserCommand::ChangeTwoFactorChannel { channel })
            .await
            .then_expect_error(error);
    }
}

// The second-factor decision

#[test]
fn second_factor_follows_mode_device_and_authenticator() {
    let mut user = User::default();
    user.apply(registered());
    assert_eq!(second_factor(&user, TwoFactorMode::Off, false), None);
    assert_eq!(
        second_factor(&user, TwoFactorMode::NewDevice, false),
        Some(TwoFactorChannel::Email)
    );
    assert_eq!(second_factor(&user, TwoFactorMode::NewDevice, true), None);
    assert_eq!(
        second_factor(&user, TwoFactorMode::EveryLogin, true),
        Some(TwoFactorChannel::Email)
    );
    // SMS preferred but no phone: email.
    user.two_factor_channel = TwoFactorChannel::Sms;
    assert_eq!(
        second_factor(&user, TwoFactorMode::EveryLogin, true),
        Some(TwoFactorChannel::Email)
    );
    user.apply(with_phone());
    assert_eq!(
        second_factor(&user, TwoFactorMode::EveryLogin, true),
        Some(TwoFactorChannel::Sms)
    );
    // Required by an administrator and not set up: a code first, whatever the mode (the
    // authenticator is enrolled after it).
    user.apply(UserEvent::TwoFactorRequirementChanged { required: true });
    assert_eq!(
        second_factor(&user, TwoFactorMode::Off, true),
        Some(TwoFactorChannel::Sms)
    );
    assert!(user.enrolment_due());
    // A confirmed authenticator is asked at every login.
    user.apply(totp_enrolled());
    user.apply(totp_confirmed(1));
    assert_eq!(
        second_factor(&user, TwoFactorMode::Off, true),
        Some(TwoFactorChannel::Totp)
    );
    assert!(!user.enrolment_due());
}

#[tokio::test]
async fn request_reset_a_fourth_time_within_the_hour_is_refused() {
    let given = vec![
        registered(),
        reset_requested(now() + Duration::minutes(10)),
        reset_requested(now() + Duration::minutes(30)),
        reset_requested(now() + Duration::minutes(50)),
    ];
    Test::with(services())
        .given(given)
        .when_async(request_reset())
        .await
        .then_expect_error(UserError::TooManyResets {
            retry_after_secs: 600,
        });
}

#[test]
fn version_1_payloads_read_in_the_current_shape() {
    use serde_json::json;
    let cases = [
        (
            "TwoFactorChallengeFailed",
            json!({"challenge_id": uuid(CHALLENGE), "attempts": 2, "exhausted": false}),
        ),
        (
            "TwoFactorChallengeIssued",
            json!({"challenge_id": uuid(CHALLENGE), "channel": "email", "code_hash": null,
                   "code_sealed": null, "device_id": null,
                   "expires_at": "2026-01-15T10:10:00Z", "max_attempts": 5}),
        ),
        (
            "PasswordResetRequested",
            json!({"request_id": uuid(REQUEST), "token_hash": "t", "initiated_by": "user",
                   "expires_at": "2026-01-15T11:00:00Z"}),
        ),
        (
            "LoginFailed",
            json!({"method": "password", "reason": "wrong_password", "failed_attempts": 2,
                   "device_id": null}),
        ),
        (
            "UserLocked",
            json!({"reason": "policy", "failed_attempts": 2, "until": null}),
        ),
        ("TotpReset", json!({"secret_sealed": "sealed:new"})),
    ];
    for (event_type, data) in cases {
        let payload = json!({ event_type: data });
        let event: UserEvent =
            serde_json::from_value(<User as crate::Upcast>::upcast(event_type, "1", payload))
                .unwrap_or_else(|e| panic!("{event_type}: {e}"));
        assert_eq!(event.event_version(), "2");
        match event {
            UserEvent::TwoFactorChallengeFailed {
                tries_left,
                failed_attempts,
                reason,
                ..
            } => {
                assert_eq!(
                    (tries_left, failed_attempts, reason),
                    (3, None, CodeFailure::Wrong)
                );
            }
            UserEvent::TwoFactorChallengeIssued {
                issued_at, purpose, ..
            } => {
                assert_eq!((issued_at, purpose), (now(), ChallengePurpose::SignIn));
            }
            UserEvent::PasswordResetRequested { requested_at, .. } => {
                assert_eq!(requested_at, now());
            }
            UserEvent::LoginFailed { scope, .. } | UserEvent::UserLocked { scope, .. } => {
                assert_eq!(scope, LockScope::Account);
            }
            UserEvent::TotpReset { keeps_current, .. } => assert!(!keeps_current),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn password_expiry_counts_from_the_last_change() {
    let mut user = User::default();
    user.apply(registered_days_ago(90));
    assert!(user.password_expired(Some(90), now()));
    assert!(!user.password_expired(Some(91), now()));
    assert!(!user.password_expired(None, now()));
}

#[test]
fn one_time_code_parsing() {
    assert_eq!(OneTimeCode::parse(" 123-456 ").unwrap().expose(), "123456");
    assert!(OneTimeCode::parse("12345").is_err());
    assert!(OneTimeCode::parse("12345a").is_err());
    assert_eq!(
        format!("{:?}", OneTimeCode::parse("123456").unwrap()),
        "OneTimeCode([redacted])"
    );
}

#[test]
fn a_version_1_reset_ended_the_old_authenticator() {
    let mut user = User::default();
    user.apply(registered());
    user.apply(totp_enrolled());
    user.apply(totp_confirmed(1));
    user.apply(UserEvent::TotpReset {
        secret_sealed: StoredSecret("sealed:new".into()),
        keeps_current: false,
    });
    assert!(!user.totp_enabled());
    assert!(user.totp_pending.is_some());
}

#[test]
fn an_untrusted_devices_lock_lifting_keeps_the_users_own_count() {
    let mut user = User::default();
    user.apply(registered());
    user.apply(UserEvent::PasswordChangeFailed { failed_attempts: 2 });
    user.apply(UserEvent::UserLocked {
        reason: LockReason::Policy,
        failed_attempts: 3,
        until: None,
        scope: LockScope::UntrustedDevices,
    });
    user.apply(UserEvent::UserUnlocked {
        reason: UnlockReason::Expired,
    });
    assert_eq!(user.failed_attempts, 2);
    assert_eq!(user.untrusted_failed_attempts, 0);
    user.apply(UserEvent::UserLocked {
        reason: LockReason::Policy,
        failed_attempts: 3,
        until: None,
        scope: LockScope::Account,
    });
    user.apply(UserEvent::UserUnlocked {
        reason: UnlockReason::Admin,
    });
    assert_eq!(user.failed_attempts, 0);
}

// Found missing by mutation testing (cargo mutants on this file).

#[test]
fn pending_items_keep_only_the_newest_ten() {
    let mut user = User::default();
    user.apply(registered());
    for n in 0..12u128 {
        user.apply(UserEvent::PasswordChangeRequired {
            change_id: uuid(1000 + n),
            token_hash: token(n as u32),
            expires_at: now() + Duration::minutes(15),
        });
    }
    assert_eq!(user.change_tokens.len(), 10);
    assert!(!user.change_tokens.contains_key(&uuid(1001)));
    assert!(user.change_tokens.contains_key(&uuid(1002)));
    assert!(user.change_tokens.contains_key(&uuid(1011)));
}

#[test]
fn code_issue_times_keep_the_newest_five_in_order() {
    let mut user = User::default();
    user.apply(registered());
    // Out of order, seven of them: the newest five stay, oldest first.
    for minutes in [30, 10, 50, 20, 60, 40, 70] {
        user.apply(email_challenge(
            now() - Duration::minutes(100 - minutes) + CHALLENGE_LIFETIME,
        ));
    }
    let kept: Vec<i64> = user
        .codes_issued
        .iter()
        .map(|t| (now() - *t).num_minutes())
        .collect();
    assert_eq!(kept, vec![70, 60, 50, 40, 30]);
}

#[tokio::test]
async fn issue_a_code_below_the_limit_within_the_window_is_allowed() {
    let sent_at = |minutes_ago: i64| {
        email_challenge(now() - Duration::minutes(minutes_ago) + CHALLENGE_LIFETIME)
    };
    let given: Vec<UserEvent> = std::iter::once(registered())
        .chain([4, 3, 2, 1].map(sent_at))
        .collect();
    let result = Test::with(services())
        .given(given)
        .when_async(issue(TwoFactorChannel::Email))
        .await
        .inspect_result();
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn confirm_a_replacement_with_a_code_later_than_the_old_ones_last() {
    Test::with(services())
        .given(vec![
            registered(),
            totp_enrolled(),
            totp_confirmed(step() - 5),
            UserEvent::TotpReset {
                secret_sealed: totp_secret(),
                keeps_current: true,
            },
        ])
        .when_async(UserCommand::ConfirmTotp { code: code_now() })
        .await
        .then_expect_events(vec![totp_confirmed(step())]);
}

#[tokio::test]
async fn turn_off_two_factor_drops_an_authenticator_being_set_up() {
    Test::with(services())
        .given(vec![registered(), totp_enrolled()])
        .when_async(UserCommand::TurnOffTwoFactor)
        .await
        .then_expect_events(vec![UserEvent::TotpDisabled { by_admin: true }]);
}

#[tokio::test]
async fn change_channel_back_to_an_enabled_authenticator() {
    Test::with(services())
        .given(vec![
            registered(),
            totp_enrolled(),
            totp_confirmed(1),
            UserEvent::TwoFactorChannelChanged {
                channel: TwoFactorChannel::Email,
            },
        ])
        .when_async(UserCommand::ChangeTwoFactorChannel {
            channel: TwoFactorChannel::Totp,
        })
        .await
        .then_expect_events(vec![UserEvent::TwoFactorChannelChanged {
            channel: TwoFactorChannel::Totp,
        }]);
}
